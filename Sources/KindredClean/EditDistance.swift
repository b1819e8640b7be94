/// Optimal-string-alignment Damerau–Levenshtein distance (substitution, insertion, deletion and
/// transposition of adjacent characters each cost 1), on Unicode scalars.
///
/// - Complexity: O(|a|·|b|) time, O(|b|) memory; returns early once the distance must exceed `limit`.
public enum EditDistance {
    /// The distance between `a` and `b`, or `limit + 1` when it is larger than `limit`.
    public static func damerauLevenshtein(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar], limit: Int = .max) -> Int {
        let n = a.count
        let m = b.count
        if abs(n - m) > limit { return limit == .max ? abs(n - m) : limit + 1 }
        if n == 0 { return m }
        if m == 0 { return n }
        // Three rows in one stack buffer: no heap allocation per call (this runs for every fuzzy candidate).
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 3 * (m + 1)) { rows -> Int in
            var previous2 = rows.baseAddress!
            var previous = previous2 + (m + 1)
            var current = previous + (m + 1)
            for j in 0...m {
                previous2[j] = 0
                previous[j] = j
                current[j] = 0
            }
            return a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    for i in 1...n {
                        current[0] = i
                        var rowMinimum = i
                        let ai = a[i - 1]
                        for j in 1...m {
                            let cost = ai == b[j - 1] ? 0 : 1
                            var value = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                            if i > 1 && j > 1 && ai == b[j - 2] && a[i - 2] == b[j - 1] {
                                value = Swift.min(value, previous2[j - 2] + 1)
                            }
                            current[j] = value
                            rowMinimum = Swift.min(rowMinimum, value)
                        }
                        if rowMinimum > limit { return limit + 1 }
                        let spare = previous2
                        previous2 = previous
                        previous = current
                        current = spare
                    }
                    return limit == .max ? previous[m] : Swift.min(previous[m], limit + 1)
                }
            }
        }
    }
}

/// Jaro–Winkler similarity in [0, 1] on Unicode scalars: Jaro's matching-characters-within-a-window
/// score, raised for a common prefix (up to 4 characters, scale 0.1), as in Winkler (1990) and
/// OpenRefine's nearest-neighbour clustering.
///
/// - Complexity: O(|a|·|b|) time in the worst case, O(|a| + |b|) memory.
public enum JaroWinkler {
    /// The similarity of `a` and `b` (1 when equal, 0 when nothing matches).
    public static func similarity(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Double {
        if a.isEmpty && b.isEmpty { return 1 }
        if a.isEmpty || b.isEmpty { return 0 }
        let window = max(0, max(a.count, b.count) / 2 - 1)
        // Match flags for both strings in one stack buffer (no heap allocation per call).
        let (matches, transpositions) = withUnsafeTemporaryAllocation(of: Bool.self, capacity: a.count + b.count) { flags -> (Int, Int) in
            flags.initialize(repeating: false)
            let aMatched = UnsafeMutableBufferPointer(rebasing: flags[0..<a.count])
            let bMatched = UnsafeMutableBufferPointer(rebasing: flags[a.count...])
            var matches = 0
            for i in 0..<a.count {
                let low = max(0, i - window)
                let high = min(b.count - 1, i + window)
                if low > high { continue }
                for j in low...high where !bMatched[j] && a[i] == b[j] {
                    aMatched[i] = true
                    bMatched[j] = true
                    matches += 1
                    break
                }
            }
            var transpositions = 0
            var j = 0
            if matches > 0 {
                for i in 0..<a.count where aMatched[i] {
                    while !bMatched[j] { j += 1 }
                    if a[i] != b[j] { transpositions += 1 }
                    j += 1
                }
            }
            return (matches, transpositions)
        }
        if matches == 0 { return 0 }
        let m = Double(matches)
        let jaro = (m / Double(a.count) + m / Double(b.count) + (m - Double(transpositions / 2)) / m) / 3
        var prefix = 0
        while prefix < min(4, a.count, b.count), a[prefix] == b[prefix] { prefix += 1 }
        return jaro + Double(prefix) * 0.1 * (1 - jaro)
    }
}
