import KindredCore
import KindredPeople
import Testing
@testable import KindredSimilarity

@Suite("SparseKNN")
struct SparseKNNTests {
    static let people = [
        person("a", skills: ["Java", "Go", "Docker"], titles: ["Software Engineer"]),
        person("b", skills: ["Java", "Go"], titles: ["Backend Developer", "Software Engineer"]),
        person("c", skills: ["Docker", "Kubernetes"], titles: ["DevOps Engineer"]),
        person("d", skills: ["CPR", "Triage"], titles: ["Registered Nurse"]),
        person("e", skills: ["CPR"], titles: ["Paramedic"]),
        person("f", skills: ["Java", "Go", "Docker"], titles: ["Software Engineer"]),  // twin of a
        person("g"),  // no features: no neighbours
    ]

    static func assertMatchesBruteForce(_ vectors: SparseVectors, k: Int, minimum: Float = 0, sourceLocation: SourceLocation = #_sourceLocation) {
        let table = SparseKNN.neighbors(of: vectors, k: k, minimumSimilarity: minimum)
        let expected = bruteForceNeighbors(vectors, k: k, minimum: minimum)
        #expect(table.k == k, sourceLocation: sourceLocation)
        #expect(table.rowCount == vectors.rowCount, sourceLocation: sourceLocation)
        #expect(table.neighbors == expected.neighbors, sourceLocation: sourceLocation)
        #expect(table.similarities == expected.similarities, sourceLocation: sourceLocation)
        for r in 0..<vectors.rowCount {
            #expect(!table.neighbors[(r * k)..<(r * k + k)].contains(UInt32(r)), "row \(r) lists itself", sourceLocation: sourceLocation)
        }
    }

    @Test("hand-made people: neighbours and similarities equal brute force", arguments: [1, 2, 3, 10])
    func handMade(k: Int) {
        var vectorizer = PeopleVectorizer()
        let vectors = vectorizer.fitTransform(SparseKNNTests.people)
        SparseKNNTests.assertMatchesBruteForce(vectors, k: k)
    }

    @Test("hand-made people: the expected nearest neighbours")
    func handMadeNeighbours() {
        var vectorizer = PeopleVectorizer()
        let vectors = vectorizer.fitTransform(SparseKNNTests.people)
        let table = SparseKNN.neighbors(of: vectors, k: 2)
        func row(_ r: Int) -> [UInt32] { Array(table.neighbors[(r * 2)..<(r * 2 + 2)]) }
        #expect(row(0).first == 5)  // a's twin
        #expect(row(5).first == 0)
        #expect(abs(table.similarities[0] - 1) < 1e-5)
        #expect(row(3) == [4, .max])  // the nurse only overlaps the paramedic
        #expect(row(6) == [.max, .max])
        #expect(table.similarities[12] == -.infinity)
    }

    @Test("random sparse vectors: the table equals brute-force top-k (ties to the smaller id, never self)", arguments: Array(UInt64(1)...40))
    func randomAgainstBruteForce(seed: UInt64) {
        var rng = SeededGenerator(seed: seed ^ 0xABCD)
        let vectors = randomVectors(seed: seed)
        let k = 1 + Int(rng.next() % 6)
        let minimum: Float = rng.next() % 3 == 0 ? 0.25 : 0
        SparseKNNTests.assertMatchesBruteForce(vectors, k: k, minimum: minimum)
    }

    @Test("deterministic: identical tables at 1, 2, 3 and 8 threads over many chunks")
    func determinism() {
        var rng = SeededGenerator(seed: 77)
        var vectors = randomVectors(seed: 77, maxRows: 2, maxColumns: 2)
        // Grow to 1500 rows (23 chunks of 64) while keeping the generator's shape.
        var offsets = [0]
        var columns: [UInt32] = []
        var values: [Float] = []
        for _ in 0..<1500 {
            var row = Set<UInt32>()
            for _ in 0..<(1 + rng.next() % 5) { row.insert(UInt32(rng.next() % 60)) }
            let value = 1 / Float(row.count).squareRoot()
            for c in row.sorted() {
                columns.append(c)
                values.append(value)
            }
            offsets.append(columns.count)
        }
        vectors = SparseVectors(offsets: offsets, columns: columns, values: values, columnCount: 60)
        let first = SparseKNN.neighbors(of: vectors, k: 8, threads: 1)
        for threads in [2, 3, 8] {
            #expect(SparseKNN.neighbors(of: vectors, k: 8, threads: threads) == first, "\(threads) threads")
        }
        #expect(first.neighbors.allSatisfy { $0 != .max })
        // Spot-check a few rows against brute force (the whole table would be slow in debug).
        for r in [0, 63, 64, 700, 1499] {
            var candidates = (0..<vectors.rowCount).filter { $0 != r }.map { (UInt32($0), vectors.dot(r, $0)) }.filter { $0.1 > 0 }
            candidates.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            #expect(Array(first.neighbors[(r * 8)..<(r * 8 + 8)]) == candidates.prefix(8).map(\.0), "row \(r)")
        }
    }

    @Test("empty input and k larger than n")
    func edgeCases() {
        let empty = SparseVectors(offsets: [0], columns: [], values: [], columnCount: 0)
        let table = SparseKNN.neighbors(of: empty, k: 3)
        #expect(table.neighbors.isEmpty && table.rowCount == 0)
        let two = SparseVectors(offsets: [0, 1, 2], columns: [0, 0], values: [1, 1], columnCount: 1)
        let small = SparseKNN.neighbors(of: two, k: 5)
        #expect(small.neighbors == [1, .max, .max, .max, .max, 0, .max, .max, .max, .max])
        #expect(small.similarities[0] == 1 && small.similarities[5] == 1)
    }
}

@Suite("SparseKNN pruning")
struct SparseKNNPruningTests {
    @Test("pruning off (max df 1) is the exact table; pruning a feature every row has removes exactly its part of the scores")
    func pruning() {
        // Rows share a common feature 0 (in every row) plus one of three topic features.
        var offsets = [0]
        var columns: [UInt32] = []
        var values: [Float] = []
        for r in 0..<30 {
            columns += [0, UInt32(1 + r % 3)]
            values += [0.6, 0.8]
            offsets.append(columns.count)
        }
        let vectors = SparseVectors(offsets: offsets, columns: columns, values: values, columnCount: 4)
        let exact = SparseKNN.neighbors(of: vectors, k: 3)
        #expect(SparseKNN.neighbors(of: vectors, k: 3, maximumDocumentFrequency: 1) == exact)
        let pruned = SparseKNN.neighbors(of: vectors, k: 3, maximumDocumentFrequency: 0.5)
        // Same neighbours (the topic decides), scores without the common feature's 0.36.
        #expect(pruned.neighbors == exact.neighbors)
        for (a, b) in zip(pruned.similarities, exact.similarities) where b.isFinite { #expect(abs(a - (b - 0.36)) < 1e-6) }
    }
}
