/// The ids a stream has seen and the line each was first seen on, for the duplicate-id check of
/// `kindred project`. Pseudonyms (`k` and 24 hex digits: the 96 bits of the keyed hash) are kept as
/// their bits in an open-addressing table, 16 bytes a slot at up to 85% load (about 20–40 bytes per id
/// instead of about 100 in a `[String: Int]`); any other id, or a line number past 2³²−1, in a dictionary.
/// Exact: two pseudonyms are the same id exactly when their bits are equal.
struct SeenIDs {
    private var low: [UInt64] = []
    private var high: [UInt32] = []
    /// Line numbers, 0 for an empty slot (lines count from 1).
    private var lines: [UInt32] = []
    private var used = 0
    private var others: [String: Int] = [:]

    /// The ids recorded.
    var count: Int { used + others.count }

    /// The line `id` was first seen on, or nil after recording it as seen on `line` now.
    mutating func firstLine(of id: String, line: Int) -> Int? {
        guard line >= 1, line < Int(UInt32.max), let (lo, hi) = SeenIDs.bits(of: id) else {
            if let first = others[id] { return first }
            others[id] = line
            return nil
        }
        if used * 100 >= lines.count * 85 { grow() }
        let mask = lines.count - 1
        var slot = Int(truncatingIfNeeded: lo) & mask
        while lines[slot] != 0 {
            if low[slot] == lo && high[slot] == hi { return Int(lines[slot]) }
            slot = (slot + 1) & mask
        }
        low[slot] = lo
        high[slot] = hi
        lines[slot] = UInt32(line)
        used += 1
        return nil
    }

    /// The 96 bits of a pseudonym (`k` + 24 lower-case hex digits), nil for any other id.
    static func bits(of id: String) -> (UInt64, UInt32)? {
        var id = id
        return id.withUTF8 { bytes -> (UInt64, UInt32)? in
            guard bytes.count == 25, bytes[0] == UInt8(ascii: "k") else { return nil }
            var lo: UInt64 = 0
            var hi: UInt32 = 0
            for i in 1..<25 {
                let b = bytes[i]
                let digit: UInt8
                switch b {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
                default: return nil
                }
                if i <= 16 { lo = lo << 4 | UInt64(digit) } else { hi = hi << 4 | UInt32(digit) }
            }
            return (lo, hi)
        }
    }

    private mutating func grow() {
        let capacity = max(1024, lines.count * 2)
        let (oldLow, oldHigh, oldLines) = (low, high, lines)
        low = [UInt64](repeating: 0, count: capacity)
        high = [UInt32](repeating: 0, count: capacity)
        lines = [UInt32](repeating: 0, count: capacity)
        let mask = capacity - 1
        for i in oldLines.indices where oldLines[i] != 0 {
            var slot = Int(truncatingIfNeeded: oldLow[i]) & mask
            while lines[slot] != 0 { slot = (slot + 1) & mask }
            low[slot] = oldLow[i]
            high[slot] = oldHigh[i]
            lines[slot] = oldLines[i]
        }
    }
}
