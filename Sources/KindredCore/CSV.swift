/// Minimal RFC 4180 CSV: comma-separated fields (or another separator), double quotes around fields
/// that contain the separator, a quote or a line break, quotes doubled inside. A record is one line, or
/// several when a quoted field holds line breaks (`CSV.QuoteState` tells a reader to join them).
public enum CSV {
    /// Whether a CSV record is inside a quoted field after the bytes scanned so far: a line that ends
    /// inside quotes continues on the next line. Follows `fields(of:separator:)`: a quote opens a
    /// quoted field only at the field's start (or right after a closing quote: a doubled quote).
    public struct QuoteState: Sendable {
        public private(set) var insideQuotes = false
        private var atFieldStart = true
        private var afterQuote = false

        public init() {}

        /// Scans one line's bytes (without its line break). - Complexity: O(n), no allocation.
        public mutating func scan(_ bytes: ArraySlice<UInt8>, separator: UInt8) {
            for b in bytes {
                if insideQuotes {
                    if b == 34 {
                        insideQuotes = false
                        afterQuote = true
                    }
                } else if b == 34 {
                    if atFieldStart || afterQuote { insideQuotes = true }
                    atFieldStart = false
                    afterQuote = false
                } else if b == separator {
                    atFieldStart = true
                    afterQuote = false
                } else {
                    atFieldStart = false
                    afterQuote = false
                }
            }
        }
    }

    /// Splits one CSV line into fields.
    /// - Throws: `KindredError` (`.badInput`) for an unterminated quote or text after a closing quote;
    ///   the caller adds file and line.
    public static func fields(of line: String, separator: Character = ",") throws -> [String] {
        var fields: [String] = []
        var current = ""
        var inQuotes = false
        var afterQuote = false
        var iterator = line.makeIterator()
        while let ch = iterator.next() {
            if inQuotes {
                if ch == "\"" {
                    inQuotes = false
                    afterQuote = true
                } else {
                    current.append(ch)
                }
                continue
            }
            if ch == separator {
                fields.append(current)
                current = ""
                afterQuote = false
            } else if ch == "\"" {
                if afterQuote {
                    current.append("\"")  // doubled quote inside a quoted field
                    inQuotes = true
                    afterQuote = false
                } else if current.isEmpty {
                    inQuotes = true
                } else {
                    throw KindredError.badInput("quote inside an unquoted field", file: nil, line: nil, field: "column \(fields.count + 1)")
                }
            } else {
                if afterQuote {
                    throw KindredError.badInput("text after a closing quote", file: nil, line: nil, field: "column \(fields.count + 1)")
                }
                current.append(ch)
            }
        }
        if inQuotes {
            throw KindredError.badInput("unterminated quoted field", file: nil, line: nil, field: "column \(fields.count + 1)")
        }
        fields.append(current)
        return fields
    }

    /// Quotes a field when it needs quoting.
    public static func escape(_ field: String) -> String {
        if field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + field.replacingAll("\"", with: "\"\"") + "\""
        }
        return field
    }

    /// Joins fields into one CSV line (without the newline).
    public static func line(_ fields: [String]) -> String {
        fields.map(escape).joined(separator: ",")
    }
}

extension String {
    /// Replaces every occurrence of a character (no Foundation needed).
    public func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        out.reserveCapacity(count)
        for ch in self {
            if ch == target { out += replacement } else { out.append(ch) }
        }
        return out
    }
}

/// Builds JSON text with keys in the order they are added, so outputs are byte-for-byte stable.
public struct JSONText: Sendable {
    private var parts: [String] = []

    public init() {}

    /// A JSON string literal for `value`, escaped.
    public static func quote(_ value: String) -> String {
        // Most values need no escape (no quote, backslash or control byte: UTF-8 continuation and lead
        // bytes are ≥ 0x80): copied whole, not scalar by scalar.
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            var out = "\""
            out.reserveCapacity(value.utf8.count + 2)
            out += value
            out += "\""
            return out
        }
        return quoteScalarByScalar(value)
    }

    /// `quote`'s general path: escapes scalar by scalar.
    static func quoteScalarByScalar(_ value: String) -> String {
        var out = "\""
        out.reserveCapacity(value.utf8.count + 2)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// A JSON number for a Double (finite values; non-finite become null).
    public static func number(_ value: Double, digits: Int = 6) -> String {
        guard value.isFinite else { return "null" }
        if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        return "\(rounded)"
    }

    public mutating func add(_ key: String, _ value: String) { parts.append(JSONText.quote(key) + ":" + JSONText.quote(value)) }
    public mutating func add(_ key: String, _ value: Int) { parts.append(JSONText.quote(key) + ":" + String(value)) }
    public mutating func add(_ key: String, _ value: Double, digits: Int = 6) {
        parts.append(JSONText.quote(key) + ":" + JSONText.number(value, digits: digits))
    }
    public mutating func add(_ key: String, _ value: Bool) { parts.append(JSONText.quote(key) + ":" + (value ? "true" : "false")) }
    /// Adds a value that is already JSON text.
    public mutating func add(_ key: String, raw: String) { parts.append(JSONText.quote(key) + ":" + raw) }
    public mutating func addNull(_ key: String) { parts.append(JSONText.quote(key) + ":null") }

    /// The object as text.
    public var text: String { "{" + parts.joined(separator: ",") + "}" }

    /// Adds counts by name as a JSON object, keys sorted (stable output).
    public mutating func add(_ key: String, counts: [String: Int]) {
        var object = JSONText()
        for name in counts.keys.sorted() { object.add(name, counts[name]!) }
        add(key, raw: object.text)
    }

    /// A JSON array of strings.
    public static func array(_ values: [String]) -> String {
        "[" + values.map(quote).joined(separator: ",") + "]"
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs (Unicode space separators included),
    /// like `trimmingCharacters(in: .whitespaces)` but without Foundation's bridging: the common
    /// case, nothing to trim, costs two scalar checks.
    @inlinable
    public func trimmingSpaces() -> String {
        @inline(__always) func isSpace(_ s: Unicode.Scalar) -> Bool {
            if s.value < 0x80 { return s.value == 0x20 || s.value == 0x09 }
            return s.properties.generalCategory == .spaceSeparator
        }
        let scalars = unicodeScalars
        guard let first = scalars.first, let last = scalars.last else { return "" }
        if !isSpace(first) && !isSpace(last) { return String(self) }
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end && isSpace(scalars[start]) { start = scalars.index(after: start) }
        while end > start && isSpace(scalars[scalars.index(before: end)]) { end = scalars.index(before: end) }
        return String(String.UnicodeScalarView(scalars[start..<end]))
    }
}
