import KindredCore
import Testing
@testable import KindredClean

@Suite("EditDistance")
struct EditDistanceTests {
    static func d(_ a: String, _ b: String, limit: Int = .max) -> Int {
        EditDistance.damerauLevenshtein(Array(a.unicodeScalars), Array(b.unicodeScalars), limit: limit)
    }

    /// Reference: the full optimal-string-alignment table, no early exit.
    static func reference(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        let n = a.count
        let m = b.count
        var table = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
        for i in 0...n { table[i][0] = i }
        for j in 0...m { table[0][j] = j }
        if n == 0 || m == 0 { return table[n][m] }
        for i in 1...n {
            for j in 1...m {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[n][m]
    }

    @Test(
        "hand-computed distances",
        arguments: [
            ("kitten", "sitting", 3),
            ("ab", "ba", 1),  // one transposition
            ("", "", 0),
            ("", "abc", 3),
            ("abc", "", 3),
            ("flaw", "lawn", 2),
            ("ca", "abc", 3),  // optimal string alignment (unrestricted Damerau would give 2)
            ("nurse", "nurse", 0),
            ("paramedic", "paramedc", 1),
            ("électricien", "electricien", 1),  // scalars, precomposed é
            ("abcdef", "badcfe", 3),
        ])
    func known(a: String, b: String, expected: Int) {
        #expect(EditDistanceTests.d(a, b) == expected)
        #expect(EditDistanceTests.d(b, a) == expected)
    }

    @Test("limit: returns the distance when within the limit, limit + 1 when beyond")
    func limit() {
        #expect(EditDistanceTests.d("kitten", "sitting", limit: 3) == 3)
        #expect(EditDistanceTests.d("kitten", "sitting", limit: 5) == 3)
        #expect(EditDistanceTests.d("kitten", "sitting", limit: 2) == 3)
        #expect(EditDistanceTests.d("kitten", "sitting", limit: 1) == 2)
        #expect(EditDistanceTests.d("kitten", "sitting", limit: 0) == 1)
        #expect(EditDistanceTests.d("a", "abcdefgh", limit: 2) == 3)  // length difference alone exceeds the limit
        #expect(EditDistanceTests.d("abcdefgh", "", limit: 4) == 5)
        #expect(EditDistanceTests.d("", "", limit: 0) == 0)
    }

    /// Random short words over a small alphabet (so that distances are small and repeats common).
    static func randomPairs(count: Int, seed: UInt64) -> [([Unicode.Scalar], [Unicode.Scalar], Int)] {
        var rng = SeededGenerator(seed: seed)
        let alphabet = Array("abcé".unicodeScalars)
        func word() -> [Unicode.Scalar] {
            (0..<Int(rng.next() % 9)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
        }
        return (0..<count).map { _ in (word(), word(), Int(rng.next() % 5)) }
    }

    static func text(_ scalars: [Unicode.Scalar]) -> String { String(String.UnicodeScalarView(scalars)) }

    @Test("without a limit, matches the full table on random strings")
    func randomAgainstReference() {
        var failures: [String] = []
        for (a, b, _) in EditDistanceTests.randomPairs(count: 3000, seed: 2024) {
            let full = EditDistanceTests.reference(a, b)
            let got = EditDistance.damerauLevenshtein(a, b)
            if got != full { failures.append("\(EditDistanceTests.text(a))/\(EditDistanceTests.text(b)): \(got), expected \(full)") }
            if got != EditDistance.damerauLevenshtein(b, a) { failures.append("asymmetric: \(EditDistanceTests.text(a))/\(EditDistanceTests.text(b))") }
        }
        #expect(failures.isEmpty, "\(failures.count) mismatches, e.g. \(failures.prefix(5))")
    }

    @Test("with a limit, returns min(distance, limit + 1) as documented")
    func limitContract() {
        // "ab" -> "bcé": 3 edits. The length difference (1) is within limit 1 and no row of the table
        // exceeds 1 before the last, so the early exit does not fire; the result must still be capped.
        #expect(EditDistanceTests.d("ab", "bcé", limit: 1) == 2)
        var failures: [String] = []
        for (a, b, limit) in EditDistanceTests.randomPairs(count: 3000, seed: 99) {
            let expected = min(EditDistanceTests.reference(a, b), limit + 1)
            let got = EditDistance.damerauLevenshtein(a, b, limit: limit)
            if got != expected {
                failures.append("\(EditDistanceTests.text(a))/\(EditDistanceTests.text(b)) limit \(limit): \(got), expected \(expected)")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) mismatches, e.g. \(failures.prefix(5))")
    }
}
