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
        var previous2 = [Int](repeating: 0, count: m + 1)
        var previous = Array(0...m)
        var current = [Int](repeating: 0, count: m + 1)
        for i in 1...n {
            current[0] = i
            var rowMinimum = i
            for j in 1...m {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    value = min(value, previous2[j - 2] + 1)
                }
                current[j] = value
                rowMinimum = min(rowMinimum, value)
            }
            if rowMinimum > limit { return limit + 1 }
            swap(&previous2, &previous)
            swap(&previous, &current)
        }
        return limit == .max ? previous[m] : min(previous[m], limit + 1)
    }
}
