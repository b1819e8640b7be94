import KindredCore
import KindredProjection
import KindredSimilarity
import PropertyBased
import Testing

/// Random sparse rows (sorted distinct columns, positive values) over `features` columns.
private func randomVectors(rows: Int, features: Int, using rng: inout SeededGenerator) -> SparseVectors {
    var offsets = [0]
    var columns: [UInt32] = []
    var values: [Float] = []
    for _ in 0..<rows {
        let chosen = Set((0..<Int.random(in: 0...6, using: &rng)).map { _ in UInt32.random(in: 0..<UInt32(features), using: &rng) }).sorted()
        for c in chosen {
            columns.append(c)
            values.append(Float.random(in: 0.05...2, using: &rng))
        }
        offsets.append(columns.count)
    }
    return SparseVectors(offsets: offsets, columns: columns, values: values, columnCount: features)
}

/// Row r of `vectors` as a dense unit vector (zero when the row is empty).
private func denseUnit(_ vectors: SparseVectors, _ r: Int) -> [Double] {
    var row = [Double](repeating: 0, count: vectors.columnCount)
    for i in vectors.offsets[r]..<vectors.offsets[r + 1] { row[Int(vectors.columns[i])] = Double(vectors.values[i]) }
    let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return norm > 0 ? row.map { $0 / norm } : row
}

@Suite struct TermCentroidsTests {
    @Test("each centroid is the normalised mean of its members' unit vectors, and scoring is the cosine with it (brute force, random samples)")
    func agreesWithTheDefinition() async {
        await propertyCheck(count: 150, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var rng = SeededGenerator(seed: seed)
            let features = Int.random(in: 1...12, using: &rng)
            let sample = randomVectors(rows: Int.random(in: 1...30, using: &rng), features: features, using: &rng)
            // Members: a random subset of rows, split into clusters in random sizes.
            let rows = (0..<sample.rowCount).filter { _ in Bool.random(using: &rng) }
            var memberOffsets = [0]
            while memberOffsets.last! < rows.count { memberOffsets.append(min(rows.count, memberOffsets.last! + Int.random(in: 1...5, using: &rng))) }
            let clusterCount = memberOffsets.count - 1
            let terms = TermCentroids.build(vectors: sample, rows: rows, memberOffsets: memberOffsets)
            #expect(terms.featureCount == features && terms.offsets.count == features + 1)
            // The definition, dense.
            var centroids: [[Double]] = []
            for c in 0..<clusterCount {
                var sum = [Double](repeating: 0, count: features)
                for m in memberOffsets[c]..<memberOffsets[c + 1] { for (f, v) in denseUnit(sample, rows[m]).enumerated() { sum[f] += v } }
                let norm = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
                centroids.append(norm > 0 ? sum.map { $0 / norm } : sum)
            }
            var stored = [[Double]](repeating: [Double](repeating: 0, count: features), count: clusterCount)
            for f in 0..<features {
                for e in terms.offsets[f]..<terms.offsets[f + 1] { stored[Int(terms.clusters[e])][f] = Double(terms.weights[e]) }
                #expect(zip(terms.clusters[terms.offsets[f]..<terms.offsets[f + 1]], terms.clusters[terms.offsets[f]..<terms.offsets[f + 1]].dropFirst()).allSatisfy { $0 < $1 })
            }
            for c in 0..<clusterCount { for f in 0..<features { #expect(abs(stored[c][f] - centroids[c][f]) < 1e-6) } }
            #expect(TermCentroids.inconsistency(
                offsets: terms.offsets, clusters: terms.clusters.map(Int.init), weights: terms.weights, featureCount: features, clusterCount: clusterCount) == nil)
            // Scores of fresh rows: the cosine with each centroid; the same bits twice.
            let queries = randomVectors(rows: 5, features: features, using: &rng)
            var scores = [Float](repeating: .nan, count: max(clusterCount, 1))
            var again = scores
            for r in 0..<queries.rowCount {
                let range = queries.offsets[r]..<queries.offsets[r + 1]
                queries.columns.withUnsafeBufferPointer { cols in
                    queries.values.withUnsafeBufferPointer { vals in
                        terms.score(columns: UnsafeBufferPointer(rebasing: cols[range]), values: UnsafeBufferPointer(rebasing: vals[range]), into: &scores, clusterCount: clusterCount)
                        terms.score(columns: UnsafeBufferPointer(rebasing: cols[range]), values: UnsafeBufferPointer(rebasing: vals[range]), into: &again, clusterCount: clusterCount)
                    }
                }
                let q = denseUnit(queries, r)
                for c in 0..<clusterCount {
                    let cosine = zip(q, centroids[c]).reduce(0) { $0 + $1.0 * $1.1 }
                    #expect(abs(Double(scores[c]) - cosine) < 1e-5)
                    #expect(scores[c].bitPattern == again[c].bitPattern)
                }
            }
        }
    }

    @Test(
        "a stored inverted list that does not fit is named by its array",
        arguments: [
            ([0, 1, 2], [0, 1], [Float(0.5), 0.5], "ok"),
            ([0, 1], [0, 1], [Float(0.5), 0.5], "offsets"),  // F + 1 offsets expected
            ([0, 2, 1], [0, 1], [Float(0.5), 0.5], "offsets"),  // descending
            ([0, 5, 2], [0, 1], [Float(0.5), 0.5], "offsets"),  // beyond the entries
            ([0, 2, 2], [1, 0], [Float(0.5), 0.5], "clusters"),  // not ascending within a feature
            ([0, 1, 2], [0, 3], [Float(0.5), 0.5], "clusters"),  // no such cluster
            ([0, 1, 2], [0, 1], [Float(0.5)], "weights"),
            ([0, 1, 2], [0, 1], [Float(0.5), .nan], "weights"),
            ([0, 1, 2], [0, 1], [Float(0.5), 0], "weights"),
        ])
    func inconsistency(offsets: [Int], clusters: [Int], weights: [Float], array: String) {
        let fault = TermCentroids.inconsistency(offsets: offsets, clusters: clusters, weights: weights, featureCount: 2, clusterCount: 2)
        #expect(fault?.array ?? "ok" == array, "\(fault?.why ?? "")")
    }
}

@Suite struct TermSpaceTests {
    @Test("members are the sample rows in member order, each of unit length; centroids as TermCentroids.build")
    func membersInOrder() {
        var rng = SeededGenerator(seed: 11)
        let sample = randomVectors(rows: 40, features: 9, using: &rng)
        let rows = (0..<40).filter { sample.offsets[$0] < sample.offsets[$0 + 1] }.shuffled(using: &rng)
        let memberOffsets = [0, 5, rows.count / 2, rows.count]
        let space = TermSpace.build(vectors: sample, rows: rows, memberOffsets: memberOffsets)
        #expect(space.centroids == TermCentroids.build(vectors: sample, rows: rows, memberOffsets: memberOffsets))
        #expect(space.members.rowCount == rows.count)
        for (m, r) in rows.enumerated() {
            let range = space.members.offsets[m]..<space.members.offsets[m + 1]
            #expect(Array(space.members.columns[range]) == Array(sample.columns[sample.offsets[r]..<sample.offsets[r + 1]]))
            let norm = range.reduce(Float(0)) { $0 + space.members.values[$1] * space.members.values[$1] }
            #expect(abs(norm - 1) < 1e-5)
        }
        #expect(TermSpace.memberInconsistency(
            offsets: space.members.offsets, columns: space.members.columns.map(Int.init), values: space.members.values, featureCount: 9,
            memberCount: rows.count) == nil)
    }

    @Test(
        "stored member vectors that do not fit are named by their array",
        arguments: [
            ([0, 1, 2], [0, 1], [Float(0.5), 0.5], "ok"),
            ([0, 2], [0, 1], [Float(0.5), 0.5], "offsets"),  // members + 1 offsets expected
            ([0, 3, 2], [0, 1], [Float(0.5), 0.5], "offsets"),
            ([0, 2, 2], [1, 0], [Float(0.5), 0.5], "columns"),  // not ascending within a row
            ([0, 1, 2], [0, 9], [Float(0.5), 0.5], "columns"),  // no such feature
            ([0, 1, 2], [0, 1], [Float(0.5), .infinity], "values"),
        ])
    func memberInconsistency(offsets: [Int], columns: [Int], values: [Float], array: String) {
        let fault = TermSpace.memberInconsistency(offsets: offsets, columns: columns, values: values, featureCount: 3, memberCount: 2)
        #expect(fault?.array ?? "ok" == array, "\(fault?.why ?? "")")
    }
}
