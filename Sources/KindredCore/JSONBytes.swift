/// Writes compact JSON straight into a byte buffer, the bytes `JSONText` would make, without an
/// intermediate string per key or value: commas are placed as members and items are added, strings
/// are escaped as `JSONText.quote` escapes them (copied whole when nothing needs escaping).
///
/// For hot paths that write one record per line (clean people): one buffer per record, grown once.
public struct JSONBytes: Sendable {
    /// The JSON written so far.
    public private(set) var bytes: [UInt8] = []
    /// Whether the next member or item needs a comma before it.
    private var needsComma = false

    public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    @inline(__always) private mutating func comma() {
        if needsComma { bytes.append(0x2C) }
    }

    /// Opens an object (`{`), as an array item when it follows one.
    public mutating func openObject() { open(0x7B) }
    /// Closes the object opened last.
    public mutating func closeObject() { close(0x7D) }
    /// Opens an array (`[`), as an array item when it follows one.
    public mutating func openArray() { open(0x5B) }
    /// Closes the array opened last.
    public mutating func closeArray() { close(0x5D) }

    private mutating func open(_ bracket: UInt8) {
        comma()
        bytes.append(bracket)
        needsComma = false
    }

    private mutating func close(_ bracket: UInt8) {
        bytes.append(bracket)
        needsComma = true
    }

    /// A member's key (`"key":`); its value is written next.
    public mutating func key(_ key: StaticString) {
        comma()
        bytes.append(0x22)
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(0x22)
        bytes.append(0x3A)
        needsComma = false
    }

    /// A string value, escaped.
    public mutating func string(_ value: String) {
        comma()
        JSONBytes.appendQuoted(value, to: &bytes)
        needsComma = true
    }

    /// An array of strings.
    public mutating func strings(_ values: [String]) {
        openArray()
        for value in values { string(value) }
        closeArray()
    }

    /// Text that is already JSON (a number, `true`, `null`), written as it is.
    public mutating func raw(_ text: StaticString) {
        comma()
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
        needsComma = true
    }

    /// Text that is already JSON, written as it is.
    public mutating func raw(_ text: String) {
        comma()
        bytes.append(contentsOf: text.utf8)
        needsComma = true
    }

    /// Bytes that are already JSON, written as they are.
    public mutating func raw(bytes text: UnsafeRawBufferPointer) {
        comma()
        bytes.append(contentsOf: text)
        needsComma = true
    }

    /// Ends the line (a newline byte; the writer is then ready for the next record).
    public mutating func newline() {
        bytes.append(0x0A)
        needsComma = false
    }

    /// Appends `value` as a JSON string literal: the same bytes as `JSONText.quote(value)`.
    public static func appendQuoted(_ value: String, to bytes: inout [UInt8]) {
        bytes.append(0x22)
        var value = value
        value.withUTF8 { utf8 in
            var plain = true
            for b in utf8 where b < 0x20 || b == 0x22 || b == 0x5C {
                plain = false
                break
            }
            if plain {
                bytes.append(contentsOf: utf8)
                return
            }
            for b in utf8 {
                switch b {
                case 0x22: bytes.append(0x5C); bytes.append(0x22)
                case 0x5C: bytes.append(0x5C); bytes.append(0x5C)
                case 0x0A: bytes.append(0x5C); bytes.append(0x6E)
                case 0x0D: bytes.append(0x5C); bytes.append(0x72)
                case 0x09: bytes.append(0x5C); bytes.append(0x74)
                case ..<0x20:
                    // \u00XX, lower-case hex, as `JSONText.quoteScalarByScalar` writes it.
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    bytes.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0xF)]])
                default: bytes.append(b)
                }
            }
        }
        bytes.append(0x22)
    }
}
