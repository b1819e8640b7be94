#if canImport(Glibc)
import Glibc
#endif
import KindredCore

/// Kindred's binary graph format (`.kgraph`): the CSR arrays as they are in memory, with a checksum.
///
/// Layout, all integers little-endian:
///
/// | bytes | field |
/// |---|---|
/// | 8 | magic `"KGRAPH\0\0"` |
/// | 4 | version, `UInt32` = 1 |
/// | 4 | flags, `UInt32`: bit 0 = a people similarity graph (`GraphKind`); other bits reserved (0) |
/// | 8 | n, `UInt64` (vertices) |
/// | 8 | entries, `UInt64` (adjacency entries = `targets.count`) |
/// | 8 | idBytes, `UInt64` (size of the id table) |
/// | 8 | checksum, `UInt64`: FNV-1a 64 of everything after this 48-byte header |
/// | 8 × (n + 1) | offsets, `UInt64` |
/// | 4 × entries | targets, `UInt32` |
/// | 4 × entries | weights, IEEE-754 `Float32` |
/// | idBytes | the id table: per vertex a `UInt32` byte length, then that many UTF-8 bytes |
public enum KGraphFormat {
    /// The 8 magic bytes that start every `.kgraph` file.
    public static let magic: [UInt8] = Array("KGRAPH".utf8) + [0, 0]
    /// The format version this code writes and reads.
    public static let version: UInt32 = 1
    /// The header size in bytes.
    public static let headerSize = 48

    /// Writes `graph` atomically (temporary file, fsync, rename).
    ///
    /// - Parameters:
    ///   - graph: The graph to write.
    ///   - path: The destination.
    ///   - kind: What the graph is (stored in the header flags).
    /// - Throws: `KindredError` (`.io`) when the file cannot be written.
    /// - Complexity: O(n + E + total id length); the file is assembled in memory first.
    public static func write(_ graph: Graph, to path: String, kind: GraphKind = .general) throws {
        let n = graph.vertexCount
        let entries = graph.targets.count
        var idBytes = 0
        for id in graph.ids { idBytes += 4 + id.utf8.count }
        let bodySize = 8 * (n + 1) + 8 * entries + idBytes
        var bytes = [UInt8](repeating: 0, count: headerSize + bodySize)
        bytes.withUnsafeMutableBytes { raw in
            var out = ByteWriter(base: raw.baseAddress!)
            for b in magic { out.put(b) }
            out.put(version)
            out.put(kind.flags)
            out.put(UInt64(n))
            out.put(UInt64(entries))
            out.put(UInt64(idBytes))
            out.put(UInt64(0))  // checksum, filled below
            graph.offsets.withUnsafeBufferPointer { off in
                for value in off { out.put(UInt64(value)) }
            }
            graph.targets.withUnsafeBufferPointer { tgt in
                for value in tgt { out.put(value) }
            }
            graph.weights.withUnsafeBufferPointer { wgt in
                for value in wgt { out.put(value.bitPattern) }
            }
            for id in graph.ids {
                out.put(UInt32(id.utf8.count))
                for b in id.utf8 { out.put(b) }
            }
            let body = UnsafeRawBufferPointer(start: raw.baseAddress! + headerSize, count: bodySize)
            var checksumWriter = ByteWriter(base: raw.baseAddress! + 40)
            checksumWriter.put(fnv1a(body))
        }
        try AtomicFileWriter.write(bytes: bytes, to: path)
    }

    /// Reads and validates a `.kgraph` file.
    ///
    /// Checks, in order: magic, version, flags, that the file length matches the sizes in the header,
    /// the checksum, then the structure (offsets start at 0, never decrease and end at `entries`;
    /// targets `< n` and strictly ascending per vertex; weights finite and non-negative; ids valid UTF-8
    /// and exactly filling the id table).
    ///
    /// - Parameter path: The file to read.
    /// - Returns: The graph.
    /// - Throws: `KindredError` `.io` naming the file when it cannot be read; `.badInput` naming the
    ///   file and saying what is wrong, e.g. "not a .kgraph file (bad magic)", "unsupported version 7",
    ///   "truncated: expected N bytes, found M", "checksum mismatch: the file is damaged".
    /// - Complexity: O(n + E + total id length).
    public static func read(path: String) throws -> Graph {
        // Sections are read straight into the graph's arrays, so loading needs no second copy of the file.
        let source = try FileSource(path: path)
        defer { source.close() }
        do {
            return try decode(source)
        } catch var error as KindredError {
            error.file = path
            throw error
        }
    }

    /// What the graph in a `.kgraph` file is, from its header alone (`.general` for any other file).
    public static func kind(ofFileAt path: String) -> GraphKind {
        guard let source = try? FileSource(path: path) else { return .general }
        defer { source.close() }
        guard source.size >= headerSize else { return .general }
        var head = [UInt8](repeating: 0, count: headerSize)
        guard (try? head.withUnsafeMutableBytes({ try source.read(into: $0, at: 0) })) != nil, Array(head[0..<magic.count]) == magic else {
            return .general
        }
        let flags = head.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 12, as: UInt32.self).littleEndian }
        return flags & GraphKind.peopleSimilarity.flags != 0 ? .peopleSimilarity : .general
    }

    /// Decodes `.kgraph` bytes; errors carry no file name (the caller adds it).
    static func decode(_ bytes: [UInt8]) throws -> Graph {
        try decode(ArraySource(bytes: bytes))
    }

    /// Decodes from any source of bytes, checking as described on `read(path:)`.
    static func decode<Source: KGraphSource>(_ source: Source) throws -> Graph {
        let found = source.size
        var head = [UInt8](repeating: 0, count: min(found, headerSize))
        try head.withUnsafeMutableBytes { try source.read(into: $0, at: 0) }
        if found < magic.count || Array(head[0..<magic.count]) != magic {
            throw KindredError(.badInput, "not a .kgraph file (bad magic)")
        }
        guard found >= headerSize else {
            throw KindredError(.badInput, "truncated: expected at least \(headerSize) bytes, found \(found)")
        }
        let (fileVersion, flags, n64, entries64, idBytes64, storedChecksum) = head.withUnsafeBytes { raw in
            (
                raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self).littleEndian,
                raw.loadUnaligned(fromByteOffset: 12, as: UInt32.self).littleEndian,
                raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self).littleEndian,
                raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self).littleEndian,
                raw.loadUnaligned(fromByteOffset: 32, as: UInt64.self).littleEndian,
                raw.loadUnaligned(fromByteOffset: 40, as: UInt64.self).littleEndian
            )
        }
        guard fileVersion == version else { throw KindredError(.badInput, "unsupported version \(fileVersion)") }
        guard flags & ~GraphKind.knownFlags == 0 else { throw KindredError(.badInput, "unsupported flags \(flags)") }
        // Sizes, without overflow: each part must fit in the file on its own first.
        let limit = UInt64(found)
        guard n64 < UInt64(UInt32.max), entries64 <= limit, idBytes64 <= limit else {
            throw KindredError(
                .badInput,
                "truncated: the header announces more data (n \(n64), entries \(entries64), id bytes \(idBytes64)) than the file's \(found) bytes"
            )
        }
        let n = Int(n64)
        let entries = Int(entries64)
        let idBytes = Int(idBytes64)
        let expected = headerSize + 8 * (n + 1) + 8 * entries + idBytes
        if expected > found {
            throw KindredError(.badInput, "truncated: expected \(expected) bytes, found \(found)")
        }
        if expected < found {
            throw KindredError(.badInput, "trailing data: expected \(expected) bytes, found \(found)")
        }
        try MemoryBudget.require(
            8 * (n + 1) + 8 * entries + idBytes + 16 * n, for: "loading a graph of \(n) vertices and \(entries / 2) edges",
            advice: "cluster a smaller sample of people, or raise --max-memory")
        var checksum = FNV1a()
        var position = headerSize
        // Offsets (UInt64 little-endian) straight into the Int array, then fixed up in place.
        var offsets = [Int](repeating: 0, count: n + 1)
        try offsets.withUnsafeMutableBytes { raw in
            try source.read(into: raw, at: position)
            checksum.add(UnsafeRawBufferPointer(raw))
        }
        position += 8 * (n + 1)
        var targets = [UInt32](repeating: 0, count: entries)
        try targets.withUnsafeMutableBytes { raw in
            try source.read(into: raw, at: position)
            checksum.add(UnsafeRawBufferPointer(raw))
        }
        targets.withUnsafeMutableBufferPointer { tgt in
            for i in 0..<entries { tgt[i] = UInt32(littleEndian: tgt[i]) }
        }
        position += 4 * entries
        var weights = [Float](repeating: 0, count: entries)
        try weights.withUnsafeMutableBytes { raw in
            try source.read(into: raw, at: position)
            checksum.add(UnsafeRawBufferPointer(raw))
        }
        weights.withUnsafeMutableBufferPointer { wgt in
            for i in 0..<entries { wgt[i] = Float(bitPattern: UInt32(littleEndian: wgt[i].bitPattern)) }
        }
        position += 4 * entries
        var table = [UInt8](repeating: 0, count: idBytes)
        try table.withUnsafeMutableBytes { raw in
            try source.read(into: raw, at: position)
            checksum.add(UnsafeRawBufferPointer(raw))
        }
        guard checksum.value == storedChecksum else {
            throw KindredError(.badInput, "checksum mismatch: the file is damaged")
        }
        try offsets.withUnsafeMutableBufferPointer { off in
            for i in 0...n {
                let value = UInt64(bitPattern: Int64(off[i])).littleEndian
                guard value <= entries64 else {
                    throw KindredError(.badInput, "offset of vertex \(i) is beyond the \(entries) entries")
                }
                off[i] = Int(value)
            }
        }
        var ids: [String] = []
        ids.reserveCapacity(n)
        try table.withUnsafeBytes { raw in
            var at = 0
            for v in 0..<n {
                guard at + 4 <= idBytes else {
                    throw KindredError(.badInput, "id table ends before the id of vertex \(v)")
                }
                let length = Int(raw.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian)
                at += 4
                guard length <= idBytes - at else {
                    throw KindredError(.badInput, "id of vertex \(v) runs past the end of the id table")
                }
                let idRaw = UnsafeRawBufferPointer(rebasing: raw[at..<(at + length)])
                guard let id = String(validating: idRaw.bindMemory(to: UInt8.self), as: UTF8.self) else {
                    throw KindredError(.badInput, "id of vertex \(v) is not valid UTF-8")
                }
                ids.append(id)
                at += length
            }
            guard at == idBytes else {
                throw KindredError(.badInput, "id table size does not match the ids (\(idBytes - at) bytes left over)")
            }
        }
        return try Graph(offsets: offsets, targets: targets, weights: weights, ids: ids)
    }

    /// FNV-1a 64 of bytes (the same function as `KindredCore.stableHash`, on a raw buffer).
    static func fnv1a(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}

/// FNV-1a 64, fed in pieces.
struct FNV1a {
    private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        var hash = value
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        value = hash
    }
}

/// Where `.kgraph` bytes come from: a file (read in place into the destination arrays) or memory.
protocol KGraphSource {
    var size: Int { get }
    /// Fills `buffer` with the bytes at `offset` (the caller checked they exist).
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws
}

/// `.kgraph` bytes already in memory (tests, fuzzing).
struct ArraySource: KGraphSource {
    let bytes: [UInt8]
    var size: Int { bytes.count }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws {
        guard buffer.count > 0 else { return }
        bytes.withUnsafeBytes { raw in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + buffer.count)]))
        }
    }
}

/// A `.kgraph` file read with `pread`, section by section.
final class FileSource: KGraphSource {
    let descriptor: Int32
    let size: Int
    let path: String

    init(path: String) throws {
        self.path = path
        let status = try InputFile.checkExists(path)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw KindredError(.io, "cannot open: \(String(cString: strerror(errno)))", file: path) }
        descriptor = fd
        size = Int(status.st_size)
    }

    func close() { _ = Glibc.close(descriptor) }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws {
        var filled = 0
        while filled < buffer.count {
            let got = pread(descriptor, buffer.baseAddress! + filled, buffer.count - filled, off_t(offset + filled))
            if got < 0 {
                if errno == EINTR { continue }
                throw KindredError(.io, "read failed: \(String(cString: strerror(errno)))", file: path)
            }
            if got == 0 { throw KindredError(.badInput, "truncated while reading (the file shrank)", file: path) }
            filled += got
        }
    }
}

/// Sequential little-endian writes into raw memory of known size.
private struct ByteWriter {
    var pointer: UnsafeMutableRawPointer

    init(base: UnsafeMutableRawPointer) {
        pointer = base
    }

    @inline(__always)
    mutating func put(_ value: UInt8) {
        pointer.storeBytes(of: value, as: UInt8.self)
        pointer += 1
    }

    @inline(__always)
    mutating func put(_ value: UInt32) {
        pointer.storeBytes(of: value.littleEndian, toByteOffset: 0, as: UInt32.self)
        pointer += 4
    }

    @inline(__always)
    mutating func put(_ value: UInt64) {
        pointer.storeBytes(of: value.littleEndian, toByteOffset: 0, as: UInt64.self)
        pointer += 8
    }
}

/// What a graph is, as recorded in a `.kgraph` header: commands choose defaults by it (a people
/// similarity graph from `kindred graph` is clustered at the people resolution; any other at γ = 1).
public enum GraphKind: Sendable, Equatable {
    /// Any graph.
    case general
    /// A k-nearest-neighbour similarity graph of people (`kindred graph`).
    case peopleSimilarity

    /// The header flag bits of this kind.
    public var flags: UInt32 { self == .peopleSimilarity ? 1 : 0 }
    /// Every flag bit a reader understands.
    static let knownFlags: UInt32 = 1
}
