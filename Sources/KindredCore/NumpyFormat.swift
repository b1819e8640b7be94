import Foundation

/// NumPy `.npy` files (format versions 1–3, little-endian, C order): how Kindred exchanges vectors
/// and neighbour tables with Python peers.
///
/// ```swift
/// try NumpyFormat.write(values, shape: [rows, columns], to: "x.npy")   // dtype <f4
/// let (shape, floats) = try NumpyFormat.readFloat32("x.npy")
/// ```
public enum NumpyFormat {
    /// Element types Kindred reads and writes.
    public protocol Element {
        static var descriptor: String { get }
    }

    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

    /// Writes a C-order array atomically.
    public static func write<T: Element>(_ values: [T], shape: [Int], to path: String) throws {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(T.descriptor)', 'fortran_order': False, 'shape': \(shapeText), }"
        // Pad with spaces so that data starts on a 64-byte boundary; the header ends with a newline.
        let unpadded = magic.count + 2 + 2 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var prefix = magic
        prefix.append(contentsOf: [1, 0])
        let length = UInt16(header.utf8.count)
        prefix.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        prefix.append(contentsOf: Array(header.utf8))
        let writer = try AtomicFileWriter(path: path)
        try writer.write(bytes: prefix)
        try values.withUnsafeBytes { try writer.write(bytes: $0) }
        try writer.commit()
    }

    /// Reads a `<f4` array: its shape and values.
    public static func readFloat32(_ path: String) throws -> (shape: [Int], values: [Float]) {
        try read(path, as: Float.self)
    }

    /// Reads an integer array of any of `<i4`, `<u4`, `<i8`, `<u8` as `Int`.
    public static func readIntegers(_ path: String) throws -> (shape: [Int], values: [Int]) {
        let (descriptor, shape, payload) = try parse(path)
        func load<T: FixedWidthInteger>(_: T.Type) -> [Int] {
            let count = payload.count / MemoryLayout<T>.size
            return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                _ = payload.copyBytes(to: buffer)
                initialized = count
            }.map { Int(truncatingIfNeeded: $0) }
        }
        switch descriptor {
        case "<i4": return (shape, load(Int32.self))
        case "<u4": return (shape, load(UInt32.self))
        case "<i8": return (shape, load(Int64.self))
        case "<u8": return (shape, load(UInt64.self))
        default: throw KindredError.badInput("dtype \(descriptor) is not an integer type Kindred reads (<i4, <u4, <i8, <u8)", file: path, line: nil, field: "descr")
        }
    }

    static func read<T: Element>(_ path: String, as: T.Type) throws -> (shape: [Int], values: [T]) {
        let (descriptor, shape, payload) = try parse(path)
        guard descriptor == T.descriptor else {
            throw KindredError.badInput("dtype is \(descriptor), expected \(T.descriptor)", file: path, line: nil, field: "descr")
        }
        let count = payload.count / MemoryLayout<T>.stride
        let values = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            _ = payload.copyBytes(to: buffer)
            initialized = count
        }
        return (shape, values)
    }

    /// Splits a file into descriptor, shape and payload, checking the header and the payload size.
    static func parse(_ path: String) throws -> (String, [Int], Data) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw KindredError(.io, "cannot read: \(error.localizedDescription)", file: path)
        }
        func bad(_ message: String, _ field: String? = nil) -> KindredError {
            KindredError.badInput(message, file: path, line: nil, field: field)
        }
        guard data.count >= 10, Array(data.prefix(6)) == magic else { throw bad("not a .npy file (bad magic)") }
        let major = data[data.startIndex + 6]
        var headerStart = 10
        var headerLength: Int
        switch major {
        case 1: headerLength = Int(data[data.startIndex + 8]) | Int(data[data.startIndex + 9]) << 8
        case 2, 3:
            guard data.count >= 12 else { throw bad("truncated header") }
            headerLength = (0..<4).reduce(0) { $0 | Int(data[data.startIndex + 8 + $1]) << (8 * $1) }
            headerStart = 12
        default: throw bad("unsupported .npy version \(major)")
        }
        guard data.count >= headerStart + headerLength else { throw bad("truncated header") }
        guard let header = String(data: data.subdata(in: (data.startIndex + headerStart)..<(data.startIndex + headerStart + headerLength)), encoding: .utf8)
        else { throw bad("header is not text") }
        guard let descriptor = value(of: "descr", in: header)?.trimmingCharacters(in: CharacterSet(charactersIn: "'\" ")) else {
            throw bad("no descr in header", "descr")
        }
        if let order = value(of: "fortran_order", in: header), order.contains("True") {
            throw bad("Fortran-order arrays are not supported; save with numpy.ascontiguousarray", "fortran_order")
        }
        guard let shapeText = value(of: "shape", in: header) else { throw bad("no shape in header", "shape") }
        // Strictly a tuple of non-negative integers; the byte count without overflow (found by fuzzing).
        let trimmed = shapeText.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("("), trimmed.hasSuffix(")") else { throw bad("shape is not a tuple", "shape") }
        let parts = trimmed.dropFirst().dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var shape: [Int] = []
        for part in parts {
            guard let dimension = Int(part), dimension >= 0 else { throw bad("shape is not a tuple of non-negative integers", "shape") }
            shape.append(dimension)
        }
        let size: Int
        switch descriptor {
        case "<f4", "<i4", "<u4": size = 4
        case "<f8", "<i8", "<u8": size = 8
        default: throw bad("unsupported dtype \(descriptor)", "descr")
        }
        let payloadStart = data.startIndex + headerStart + headerLength
        var expected = size
        for dimension in shape {
            let (product, overflow) = expected.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= data.count else { throw bad("shape \(shape) needs more bytes than the file has", "shape") }
            expected = product
        }
        guard data.count - (headerStart + headerLength) == expected else {
            throw bad("payload has \(data.count - headerStart - headerLength) bytes, shape \(shape) needs \(expected)", "shape")
        }
        return (descriptor, shape, data.subdata(in: payloadStart..<(payloadStart + expected)))
    }

    /// The text after `'key':` up to the next top-level comma (a tuple counts as one value).
    static func value(of key: String, in header: String) -> String? {
        guard let range = header.range(of: "'\(key)':") else { return nil }
        var depth = 0
        var out = ""
        for ch in header[range.upperBound...] {
            if ch == "(" { depth += 1 }
            if ch == ")" { depth -= 1 }
            if (ch == "," && depth == 0) || ch == "}" { break }
            out.append(ch)
        }
        return out.trimmingCharacters(in: .whitespaces)
    }
}

extension Float: NumpyFormat.Element { public static var descriptor: String { "<f4" } }
extension UInt32: NumpyFormat.Element { public static var descriptor: String { "<u4" } }
extension Int32: NumpyFormat.Element { public static var descriptor: String { "<i4" } }
extension Int64: NumpyFormat.Element { public static var descriptor: String { "<i8" } }
