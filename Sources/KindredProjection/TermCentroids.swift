import KindredSimilarity

/// The cluster centroids in the TF-IDF feature space itself, exact (no embedding): centroid c is the
/// normalised mean of its members' unit TF-IDF vectors. Stored feature by feature (an inverted list),
/// so a person is scored against every centroid by walking the lists of their own features only.
///
/// Why beside the embedded centroids: a 128-dimension LSA embedding blurs neighbouring occupations of
/// a large real vocabulary (O*NET-sized: nearest centroid NMI 0.574 embedded, 0.683 in the full space
/// on the same people), while scoring here costs no more than embedding the person.
public struct TermCentroids: Sendable, Equatable {
    /// Features F (the vectoriser's vocabulary size).
    public let featureCount: Int
    /// Feature f's entries are `offsets[f]..<offsets[f+1]` of `clusters` and `weights` (F + 1 values from 0).
    public let offsets: [Int]
    /// Cluster positions (rows of `ProjectionIndex.clusterIDs`), ascending within a feature.
    public let clusters: [Int32]
    /// Centroid weights, each in (0, 1]; every centroid has unit length.
    public let weights: [Float]

    /// - Precondition: shapes agree (F + 1 offsets ascending from 0, as many clusters as weights).
    public init(featureCount: Int, offsets: [Int], clusters: [Int32], weights: [Float]) {
        precondition(offsets.count == featureCount + 1 && offsets.first == 0, "offsets must be F + 1, from 0")
        precondition(clusters.count == weights.count && clusters.count == offsets.last, "one weight per entry")
        self.featureCount = featureCount
        self.offsets = offsets
        self.clusters = clusters
        self.weights = weights
    }

    /// The problem with a stored inverted list, or nil when it is sound: offsets ascending, cluster
    /// positions below `clusterCount` and ascending within a feature, weights finite and positive.
    /// `array` names the faulty array: "offsets", "clusters" or "weights".
    public static func inconsistency(
        offsets: [Int], clusters: [Int], weights: [Float], featureCount: Int, clusterCount: Int
    ) -> (array: String, why: String)? {
        compressedRowsInconsistency(
            offsets: offsets, entries: clusters, values: weights, rows: featureCount, bound: clusterCount, names: ("feature", "clusters", "weights"),
            valueRule: ("finite and positive", { $0.isFinite && $0 > 0 }))
    }

    /// The centroids of the index's clusters from the sample's TF-IDF vectors: cluster c's members are
    /// sample rows `rows[memberOffsets[c]..<memberOffsets[c+1]]` (`ProjectionIndex.buildWithRows`).
    /// Sums in Double, in member order, so the result depends only on the sample and its labels.
    public static func build(vectors: SparseVectors, rows: [Int], memberOffsets: [Int]) -> TermCentroids {
        let features = vectors.columnCount
        let clusterCount = memberOffsets.count - 1
        var sum = [Double](repeating: 0, count: features)
        var touched: [Int] = []
        var perCluster: [[(feature: Int, weight: Float)]] = []
        perCluster.reserveCapacity(clusterCount)
        var counts = [Int](repeating: 0, count: features + 1)
        for c in 0..<max(clusterCount, 0) {
            touched.removeAll(keepingCapacity: true)
            for m in memberOffsets[c]..<memberOffsets[c + 1] {
                let r = rows[m]
                var norm: Double = 0
                for i in vectors.offsets[r]..<vectors.offsets[r + 1] { norm += Double(vectors.values[i]) * Double(vectors.values[i]) }
                guard norm > 0 else { continue }
                let scale = 1 / norm.squareRoot()
                for i in vectors.offsets[r]..<vectors.offsets[r + 1] {
                    let f = Int(vectors.columns[i])
                    if sum[f] == 0 { touched.append(f) }
                    sum[f] += Double(vectors.values[i]) * scale
                }
            }
            touched.sort()
            let length = touched.reduce(0.0) { $0 + sum[$1] * sum[$1] }.squareRoot()
            var entries: [(feature: Int, weight: Float)] = []
            for f in touched {
                let w = length > 0 ? Float(sum[f] / length) : 0
                if w > 0 {
                    entries.append((f, w))
                    counts[f + 1] += 1
                }
                sum[f] = 0
            }
            perCluster.append(entries)
        }
        for f in 0..<features { counts[f + 1] += counts[f] }
        var clusters = [Int32](repeating: 0, count: counts[features])
        var weights = [Float](repeating: 0, count: counts[features])
        var cursor = counts
        for (c, entries) in perCluster.enumerated() {
            for (f, w) in entries {
                clusters[cursor[f]] = Int32(c)
                weights[cursor[f]] = w
                cursor[f] += 1
            }
        }
        return TermCentroids(featureCount: features, offsets: counts, clusters: clusters, weights: weights)
    }

    /// Cosine of a sparse vector (columns and values of one row) with every centroid, written into
    /// `scores[0..<clusterCount]`; entries in the row's order, each list in cluster order, so the
    /// same row always gives the same bits. Columns at or beyond F are ignored.
    @inlinable
    public func score(
        columns: UnsafeBufferPointer<UInt32>, values: UnsafeBufferPointer<Float>, into scores: UnsafeMutablePointer<Float>, clusterCount: Int
    ) {
        scores.update(repeating: 0, count: clusterCount)
        var norm: Float = 0
        for v in values { norm += v * v }
        guard norm > 0 else { return }
        let inverse = 1 / norm.squareRoot()
        offsets.withUnsafeBufferPointer { off in
            clusters.withUnsafeBufferPointer { cl in
                weights.withUnsafeBufferPointer { wt in
                    for i in 0..<columns.count {
                        let f = Int(columns[i])
                        guard f < featureCount else { continue }
                        let w = values[i] * inverse
                        for e in off[f]..<off[f + 1] { scores[Int(cl[e])] += w * wt[e] }
                    }
                }
            }
        }
    }
}

/// The clusters and the labelled sample in the TF-IDF space itself: the centroids (scored by the
/// nearest-centroid method and to choose the clusters a vote searches) and each member's unit vector
/// (which the vote's neighbours are found among, by exact sparse dot products). Models of format 3 on.
public struct TermSpace: Sendable, Equatable {
    public let centroids: TermCentroids
    /// Row m is index member m's unit TF-IDF vector (member order of `ProjectionIndex.members`).
    public let members: SparseVectors

    /// - Precondition: the same features in both.
    public init(centroids: TermCentroids, members: SparseVectors) {
        precondition(centroids.featureCount == members.columnCount, "centroids and members must share the features")
        self.centroids = centroids
        self.members = members
    }

    /// The term space of the index's clusters from the sample's TF-IDF vectors: cluster c's members
    /// are sample rows `rows[memberOffsets[c]..<memberOffsets[c+1]]` (`ProjectionIndex.buildWithRows`).
    public static func build(vectors: SparseVectors, rows: [Int], memberOffsets: [Int]) -> TermSpace {
        var offsets = [0]
        var columns: [UInt32] = []
        var values: [Float] = []
        offsets.reserveCapacity(rows.count + 1)
        for r in rows {
            let range = vectors.offsets[r]..<vectors.offsets[r + 1]
            let norm = range.reduce(0.0) { $0 + Double(vectors.values[$1]) * Double(vectors.values[$1]) }.squareRoot()
            for i in range where norm > 0 {
                columns.append(vectors.columns[i])
                values.append(Float(Double(vectors.values[i]) / norm))
            }
            offsets.append(columns.count)
        }
        return TermSpace(
            centroids: TermCentroids.build(vectors: vectors, rows: rows, memberOffsets: memberOffsets),
            members: SparseVectors(offsets: offsets, columns: columns, values: values, columnCount: vectors.columnCount))
    }

    /// The problem with stored member vectors, or nil when they are sound: one row per member, columns
    /// ascending and below `featureCount` within a row, values finite. `array` names the faulty array:
    /// "offsets", "columns" or "values".
    public static func memberInconsistency(
        offsets: [Int], columns: [Int], values: [Float], featureCount: Int, memberCount: Int
    ) -> (array: String, why: String)? {
        compressedRowsInconsistency(
            offsets: offsets, entries: columns, values: values, rows: memberCount, bound: featureCount, names: ("member", "columns", "values"),
            valueRule: ("finite", { $0.isFinite }))
    }
}

/// The problem with stored compressed rows (row r's entries are `offsets[r]..<offsets[r+1]`), or nil
/// when they are sound: `rows` + 1 offsets ascending from 0 to the entry count, entries ascending within
/// a row and below `bound`, one value per entry, each passing `valueRule`. `array` is "offsets" or the
/// entries' or values' name.
func compressedRowsInconsistency(
    offsets: [Int], entries: [Int], values: [Float], rows: Int, bound: Int, names: (row: String, entries: String, values: String),
    valueRule: (description: String, test: (Float) -> Bool)
) -> (array: String, why: String)? {
    guard offsets.count == rows + 1, offsets.first == 0, offsets.last == entries.count else {
        return ("offsets", "expected \(rows + 1) offsets (one per \(names.row), and one) from 0 to the number of entries")
    }
    guard values.count == entries.count else { return (names.values, "expected \(entries.count) \(names.values), one per entry") }
    for r in 0..<rows {
        guard offsets[r] <= offsets[r + 1], offsets[r + 1] <= entries.count else { return ("offsets", "offsets must ascend") }
        var previous = -1
        for e in offsets[r]..<offsets[r + 1] {
            guard entries[e] > previous, entries[e] < bound else {
                return (names.entries, "\(names.entries) must ascend within a \(names.row) and stay below \(bound)")
            }
            previous = entries[e]
        }
    }
    guard values.allSatisfy(valueRule.test) else { return (names.values, "\(names.values) must be \(valueRule.description)") }
    return nil
}
