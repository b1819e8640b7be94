import KindredCore
import Testing
@testable import KindredSimilarity

@Suite("DenseKNN")
struct DenseKNNTests {
    /// n × d Gaussian rows scaled to unit length; `duplicates` copies some rows to force exact ties.
    static func randomMatrix(seed: UInt64, rows n: Int, columns d: Int, duplicates: Int = 0) -> DenseMatrix {
        var rng = SeededGenerator(seed: seed)
        var m = DenseMatrix(rows: n, columns: d)
        LSAModel.gaussian(&m.values, &rng)
        for t in 0..<min(duplicates, n / 2) {
            let source = Int(rng.next() % UInt64(n))
            let target = (source + 1 + t) % n
            for c in 0..<d { m.values[target * d + c] = m.values[source * d + c] }
        }
        m.normalizeRows()
        return m
    }

    /// Brute force in Double: the k best (score, smaller id) among the other rows.
    static func bruteForce(_ q: DenseMatrix, _ b: DenseMatrix, k: Int, excludeSelf: Bool, minimum: Float) -> [[UInt32]] {
        (0..<q.rows).map { r in
            var scored: [(Float, UInt32)] = []
            for o in 0..<b.rows where !(excludeSelf && o == r) {
                var s: Float = 0
                for c in 0..<q.columns { s += q.values[r * q.columns + c] * b.values[o * b.columns + c] }
                if s >= minimum { scored.append((s, UInt32(o))) }
            }
            scored.sort { NeighborRank.better($0.0, $0.1, $1.0, $1.1) }
            return scored.prefix(k).map(\.1)
        }
    }

    /// sgemm and a scalar loop may round differently in the last bit, so a near-tie can swap order:
    /// compare sets of neighbours whose scores clear the k-th by a margin, and the scores themselves.
    static func expectClose(_ table: NeighborTable, _ q: DenseMatrix, _ b: DenseMatrix, expected: [[UInt32]], sourceLocation: SourceLocation = #_sourceLocation) {
        let k = table.k
        for r in 0..<q.rows {
            let got = Array(table.neighbors[(r * k)..<(r * k + k)]).filter { $0 != .max }
            #expect(got.count == expected[r].count, "row \(r)", sourceLocation: sourceLocation)
            let overlap = Set(got).intersection(expected[r]).count
            #expect(overlap >= expected[r].count - 1, "row \(r): \(got) vs \(expected[r])", sourceLocation: sourceLocation)
            for j in 0..<got.count {
                let o = Int(got[j])
                var s: Float = 0
                for c in 0..<q.columns { s += q.values[r * q.columns + c] * b.values[o * b.columns + c] }
                #expect(abs(s - table.similarities[r * k + j]) < 1e-4, sourceLocation: sourceLocation)
                if j > 0 { #expect(table.similarities[r * k + j] <= table.similarities[r * k + j - 1], sourceLocation: sourceLocation) }
            }
        }
    }

    @Test("self-join equals brute force, never lists a row itself (several block sizes, ragged edges)", arguments: [(7, 3), (40, 8), (130, 16), (300, 64)])
    func selfJoin(shape: (Int, Int)) {
        let (n, blockSize) = shape
        let m = Self.randomMatrix(seed: UInt64(n), rows: n, columns: 12)
        for k in [1, 5, 20] {
            let table = DenseKNN.neighbors(of: m, k: k, threads: 2, blockSize: blockSize)
            Self.expectClose(table, m, m, expected: Self.bruteForce(m, m, k: k, excludeSelf: true, minimum: -.infinity))
            for r in 0..<n { #expect(!table.neighbors[(r * k)..<(r * k + k)].contains(UInt32(r))) }
        }
    }

    @Test("query against base equals brute force; a query that is in the base finds itself first")
    func queryBase() {
        let base = Self.randomMatrix(seed: 5, rows: 90, columns: 10)
        var queries = Self.randomMatrix(seed: 6, rows: 25, columns: 10)
        for c in 0..<10 { queries.values[c] = base.values[17 * 10 + c] }
        let table = DenseKNN.neighbors(of: queries, in: base, k: 6, threads: 2, blockSize: 16)
        Self.expectClose(table, queries, base, expected: Self.bruteForce(queries, base, k: 6, excludeSelf: false, minimum: -.infinity))
        #expect(table.neighbors[0] == 17)
    }

    @Test("minimum similarity leaves weak neighbours out")
    func minimum() {
        let m = Self.randomMatrix(seed: 9, rows: 60, columns: 4)
        let table = DenseKNN.neighbors(of: m, k: 10, minimumSimilarity: 0.5, blockSize: 16)
        for (j, s) in table.similarities.enumerated() where table.neighbors[j] != .max { #expect(s >= 0.5) }
        Self.expectClose(table, m, m, expected: Self.bruteForce(m, m, k: 10, excludeSelf: true, minimum: 0.5))
    }

    @Test("identical table at 1, 2, 3 and 8 threads; exact ties broken by the smaller id")
    func deterministic() {
        let m = Self.randomMatrix(seed: 11, rows: 700, columns: 16, duplicates: 40)
        let one = DenseKNN.neighbors(of: m, k: 8, threads: 1, blockSize: 64)
        for threads in [2, 3, 8] { #expect(DenseKNN.neighbors(of: m, k: 8, threads: threads, blockSize: 64) == one) }
        // Rows that are copies of each other: each lists the other with score 1, ties ordered by id.
        for r in 0..<m.rows {
            let row = Array(one.neighbors[(r * 8)..<(r * 8 + 8)])
            let scores = Array(one.similarities[(r * 8)..<(r * 8 + 8)])
            for j in 1..<8 where scores[j] == scores[j - 1] { #expect(row[j] > row[j - 1]) }
        }
    }
}

@Suite("LSA")
struct LSATests {
    @Test("recovers the singular values of a small low-rank matrix and gives a deterministic, orthonormal basis")
    func lowRank() {
        // Rows mix three planted topics over 40 features; the matrix has rank 3.
        var offsets = [0]
        var columns: [UInt32] = []
        var values: [Float] = []
        for r in 0..<300 {
            let topic = r % 3
            for f in 0..<40 where f % 3 == topic {
                columns.append(UInt32(f))
                values.append(Float(1 + topic))
            }
            offsets.append(columns.count)
        }
        let x = SparseVectors(offsets: offsets, columns: columns, values: values, columnCount: 40)
        let model = LSAModel.fit(x, dimensions: 5, oversampling: 4, powerIterations: 2, seed: 1, threads: 2)
        #expect(model.dimensions == 5)
        // Exact singular values: each topic block is 100 identical rows of |topic features| entries of value v.
        let expected = [0, 1, 2].map { t -> Float in
            let width = Float((0..<40).filter { $0 % 3 == t }.count)
            return (100 * width).squareRoot() * Float(1 + t)
        }.sorted(by: >)
        for j in 0..<3 { #expect(abs(model.singularValues[j] - expected[j]) / expected[j] < 1e-3) }
        for j in 3..<5 { #expect(model.singularValues[j] < 1e-2) }
        // Orthonormal columns for the non-zero values.
        for a in 0..<3 {
            for b in 0..<3 {
                var dot: Float = 0
                for f in 0..<40 { dot += model.basis[f * 5 + a] * model.basis[f * 5 + b] }
                #expect(abs(dot - (a == b ? 1 : 0)) < 1e-3)
            }
        }
        #expect(LSAModel.fit(x, dimensions: 5, oversampling: 4, powerIterations: 2, seed: 1, threads: 1) == model)
        // Rows of one topic embed to the same unit vector; different topics are orthogonal.
        let e = model.embed(x)
        var same: Float = 0
        var other: Float = 0
        for c in 0..<5 {
            same += e.values[0 * 5 + c] * e.values[3 * 5 + c]
            other += e.values[0 * 5 + c] * e.values[1 * 5 + c]
        }
        #expect(abs(same - 1) < 1e-3)
        #expect(abs(other) < 1e-3)
    }

    @Test("orthonormalising in place, block by block (more rows than a block): orthonormal columns with Y's span, the bits of one whole product")
    func orthonormalizeInPlace() {
        var rng = SeededGenerator(seed: 9)
        let (n, l) = (9_000 + 123, 6)  // three blocks of rows, the last one ragged
        var y = DenseMatrix(rows: n, columns: l)
        LSAModel.gaussian(&y.values, &rng)
        let original = y
        var q = y
        LSAModel.orthonormalize(&q)
        #expect(q.rows == n && q.columns == l)
        // QᵀQ = I.
        let g = LSAModel.gram(q)
        for a in 0..<l {
            for b in 0..<l { #expect(abs(g[a * l + b] - (a == b ? 1 : 0)) < 1e-4) }
        }
        // Y lies in Q's span: Y − Q(QᵀY) ≈ 0.
        var qty = [Double](repeating: 0, count: l * l)
        for i in 0..<n {
            for j in 0..<l {
                for c in 0..<l { qty[j * l + c] += Double(q.values[i * l + j]) * Double(original.values[i * l + c]) }
            }
        }
        var worst: Double = 0
        for r in 0..<n {
            for c in 0..<l {
                var projected = 0.0
                for j in 0..<l { projected += Double(q.values[r * l + j]) * qty[j * l + c] }
                worst = max(worst, abs(projected - Double(original.values[r * l + c])))
            }
        }
        #expect(worst < 1e-3)
        // The blocks give the bits of one product over all rows (what the model's basis depended on).
        var whole = original
        for _ in 0..<2 {
            let (lambda, w) = LSAModel.symmetricEigen(LSAModel.gram(whole), size: l)
            var t = [Float](repeating: 0, count: l * l)
            for j in 0..<l where lambda[j] > lambda[0] * 1e-12 && lambda[j] > 0 {
                for i in 0..<l { t[i * l + j] = Float(w[i * l + j] / lambda[j].squareRoot()) }
            }
            var next = DenseMatrix(rows: n, columns: l)
            whole.values.withUnsafeBufferPointer { a in
                t.withUnsafeBufferPointer { tb in
                    next.values.withUnsafeMutableBufferPointer { out in
                        BLAS.sgemm(transposeB: false, m: n, n: l, k: l, a: a.baseAddress, lda: l, b: tb.baseAddress, ldb: l, c: out.baseAddress, ldc: l)
                    }
                }
            }
            whole = next
        }
        #expect(whole == q)
    }

    @Test("synonyms meet: two features that always co-occur with the same others embed close together")
    func synonyms() {
        // Features 0 and 1 are synonyms (never together, same companions 2 and 3); 4–7 a separate topic.
        let rows: [[UInt32]] = Array(repeating: [0, 2, 3], count: 30) + Array(repeating: [1, 2, 3], count: 30)
            + Array(repeating: [4, 5, 6], count: 30) + Array(repeating: [5, 6, 7], count: 30)
        var offsets = [0]
        var columns: [UInt32] = []
        for row in rows {
            columns += row
            offsets.append(columns.count)
        }
        let x = SparseVectors(offsets: offsets, columns: columns, values: [Float](repeating: 1, count: columns.count), columnCount: 8)
        let model = LSAModel.fit(x, dimensions: 2, seed: 4)
        let only0 = SparseVectors(offsets: [0, 1, 2, 3], columns: [0, 1, 4], values: [1, 1, 1], columnCount: 8)
        let e = model.embed(only0)
        func cos(_ a: Int, _ b: Int) -> Float { (0..<2).reduce(0) { $0 + e.values[a * 2 + $1] * e.values[b * 2 + $1] } }
        #expect(cos(0, 1) > 0.99)  // the synonyms, never seen together
        #expect(abs(cos(0, 2)) < 0.1)
    }
}

@Suite("ApproximateKNN")
struct ApproximateKNNTests {
    /// Rows around 30 planted directions (tight clusters), unit length.
    static func clustered(seed: UInt64, rows n: Int, columns d: Int) -> DenseMatrix {
        var rng = SeededGenerator(seed: seed)
        var centers = DenseMatrix(rows: 30, columns: d)
        LSAModel.gaussian(&centers.values, &rng)
        var noise = DenseMatrix(rows: n, columns: d)
        LSAModel.gaussian(&noise.values, &rng)
        var m = DenseMatrix(rows: n, columns: d)
        for r in 0..<n {
            let c = Int(rng.next() % 30)
            for x in 0..<d { m.values[r * d + x] = centers.values[c * d + x] + 0.3 * noise.values[r * d + x] }
        }
        m.normalizeRows()
        return m
    }

    @Test("probing every cell is exact; a few probes keep recall high; never self; identical at 1, 2 and 3 threads")
    func recallAndDeterminism() {
        let m = Self.clustered(seed: 21, rows: 1500, columns: 16)
        let everything = Array(0..<m.rows)
        var all = ApproximateKNN.Options()
        all.cells = 12
        all.probes = 12
        let full = ApproximateKNN.neighbors(of: m, k: 10, options: all, threads: 2)
        #expect(ApproximateKNN.recall(of: full, vectors: m, sample: everything) > 0.999)
        var few = ApproximateKNN.Options()
        few.cells = 40
        few.probes = 4
        let one = ApproximateKNN.neighbors(of: m, k: 10, options: few, threads: 1)
        #expect(ApproximateKNN.recall(of: one, vectors: m, sample: everything) > 0.9)
        for threads in [2, 3] { #expect(ApproximateKNN.neighbors(of: m, k: 10, options: few, threads: threads) == one) }
        for r in 0..<m.rows { #expect(!one.neighbors[(r * 10)..<(r * 10 + 10)].contains(UInt32(r))) }
    }
}
