import Foundation
import KindredCore
import KindredProjection
import KindredReport
import KindredSimilarity

/// Gathers what the HTML report shows from a finished run (in memory): sizes, profiles, the most
/// typical members (closest to their centroid), nearest clusters and the 2-D map from the model's
/// centroids, stability, and the diff against the previous run.
public enum ReportBuilder {
    public static func data(
        summary s: RunSummary, runKey: String, configHash: String, membership: [UInt32], closeness: [Float], model: ClusterModel,
        typicalMembers: Int, ids: [String]
    ) -> ReportData {
        var data = overview(s, runKey: runKey, configHash: configHash)
        let index = model.index
        let typical = typicalMembersByCluster(membership: membership, closeness: closeness, ids: ids)
        let sizes = Dictionary(uniqueKeysWithValues: s.clusterSizes.map { ($0.0, $0.1) })
        let points = mapPositions(index: index, sizes: sizes)
        var row: [Int32: Int] = [:]
        for (c, id) in index.clusterIDs.enumerated() { row[id] = c }
        let born = Set(s.diff?.changes.born ?? [])
        for p in s.profiles {
            let id = Int32(p.cluster)
            let c = row[id]
            let members = (typical[id] ?? []).sorted { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }.prefix(typicalMembers).map(\.1)
            data.clusters.append(ReportData.Cluster(
                id: id, size: sizes[id] ?? 0, sampleSize: p.size, topTitles: p.topTitles, topSkills: p.topSkills, typicalMembers: Array(members),
                nearest: c.map { nearestClusters(to: $0, index: index) } ?? [], position: c.flatMap { points[$0] }, born: born.contains(id)))
        }
        if let diff = s.diff { data.changes = changes(diff) }
        return data
    }

    /// The run's counts, summary lines, evaluation and stability.
    private static func overview(_ s: RunSummary, runKey: String, configHash: String) -> ReportData {
        var data = ReportData(runKey: runKey, kindredVersion: KindredVersion.string, configHash: configHash, inputSHA256: s.inputSHA256)
        data.read = s.clean.read
        data.written = s.clean.written
        data.quarantined = s.clean.quarantined
        data.assigned = s.projection.assigned
        data.unassigned = s.projection.unassigned
        data.projectionQuarantined = s.projection.quarantined
        data.unassignedReasons = s.projection.unassignedReasons.keys.sorted().map { ($0, s.projection.unassignedReasons[$0]!) }
        data.summary = [
            ("people clustered (seeded sample)", "\(s.sampled) of \(s.clean.written)"),
            ("k-NN graph", "\(s.graph.vertices) people, \(s.graph.edges) edges, mean degree \(String(format: "%.1f", s.graph.meanDegree))"),
            ("clusters", String(s.communities)),
            ("modularity", String(format: "%.4f", s.modularity)),
            ("hierarchy levels", String(s.levels)),
            ("sample projected back to its own cluster", String(format: "%.2f%%", 100 * s.selfAgreement)),
            ("started from the previous partition", s.diff == nil ? "no (first run)" : "\(s.warmStarted) sample people"),
        ]
        if let e = s.evaluation {
            data.evaluation = [
                ("NMI", String(format: "%.4f", e.nmi)), ("ARI", String(format: "%.4f", e.ari)), ("true labels", String(e.truthLabels)),
                ("people scored", String(e.matched)),
            ]
        }
        data.stability = s.stability
        data.robustness = s.robustness
        return data
    }

    /// Each sample person's closeness to their cluster's centroid: the dot product of their row of the
    /// sample's embedding (the model stage's) with the centroid; NaN when the cluster has no centroid.
    /// Worked out in the model stage, so the embedding need not be kept until the report.
    public static func closenessToCentroids(index: ProjectionIndex, membership: [UInt32], embedding: DenseMatrix) -> [Float] {
        let d = index.dimensions
        var row: [Int32: Int] = [:]
        for (c, id) in index.clusterIDs.enumerated() { row[id] = c }
        var closeness = [Float](repeating: .nan, count: membership.count)
        embedding.values.withUnsafeBufferPointer { v in
            index.centroids.withUnsafeBufferPointer { centroids in
                for i in 0..<membership.count {
                    guard let c = row[Int32(bitPattern: membership[i])] else { continue }
                    var dot: Float = 0
                    for j in 0..<d { dot += v[i * d + j] * centroids[c * d + j] }
                    closeness[i] = dot
                }
            }
        }
        return closeness
    }

    /// Each cluster's sample members with their closeness to its centroid (`closenessToCentroids`), for
    /// ranking the most typical; people of a cluster without a centroid are left out.
    private static func typicalMembersByCluster(membership: [UInt32], closeness: [Float], ids: [String]) -> [Int32: [(Float, String)]] {
        var typical: [Int32: [(Float, String)]] = [:]
        for i in 0..<membership.count where !closeness[i].isNaN {
            typical[Int32(bitPattern: membership[i]), default: []].append((closeness[i], ids[i]))
        }
        return typical
    }

    /// Positions on the map of the largest clusters (ties: smaller id), laid out from their centroids,
    /// by centroid row.
    private static func mapPositions(index: ProjectionIndex, sizes: [Int32: Int]) -> [Int: (x: Double, y: Double)] {
        let d = index.dimensions
        let mapped = Array((0..<index.clusterCount).sorted {
            let a = sizes[index.clusterIDs[$0]] ?? 0, b = sizes[index.clusterIDs[$1]] ?? 0
            return a != b ? a > b : index.clusterIDs[$0] < index.clusterIDs[$1]
        }.prefix(ClusterMap.mostDrawn)).sorted()
        var mappedCentroids: [Float] = []
        mappedCentroids.reserveCapacity(mapped.count * d)
        for c in mapped { mappedCentroids += index.centroids[(c * d)..<((c + 1) * d)] }
        let layout = ClusterMap.layout(centroids: mappedCentroids, count: mapped.count, dimensions: d)
        var points: [Int: (x: Double, y: Double)] = [:]
        for (i, c) in mapped.enumerated() { points[c] = layout[i] }
        return points
    }

    /// The three clusters whose centroids are nearest to centroid row `c` (ties: smaller id).
    private static func nearestClusters(to c: Int, index: ProjectionIndex) -> [(Int32, Double)] {
        let d = index.dimensions
        var scores: [(Int32, Double)] = []
        for (o, other) in index.clusterIDs.enumerated() where o != c {
            var dot: Float = 0
            for j in 0..<d { dot += index.centroids[c * d + j] * index.centroids[o * d + j] }
            scores.append((other, Double(dot)))
        }
        return Array(scores.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(3))
    }

    /// What changed since the previous run, with the twelve largest flows between clusters.
    private static func changes(_ diff: RunDiff) -> ReportData.Changes {
        var flows: [String: (Int32?, Int32?, Int)] = [:]
        for m in diff.moved {
            let key = "\(m.from.map(String.init) ?? "-")>\(m.to.map(String.init) ?? "-")"
            flows[key, default: (m.from, m.to, 0)].2 += 1
        }
        let top = flows.values.sorted {
            if $0.2 != $1.2 { return $0.2 > $1.2 }
            if ($0.0 ?? -1) != ($1.0 ?? -1) { return ($0.0 ?? -1) < ($1.0 ?? -1) }
            return ($0.1 ?? -1) < ($1.1 ?? -1)
        }.prefix(12)
        return ReportData.Changes(
            previousKey: diff.previousKey, idsKept: diff.idsKept, ari: diff.changes.ari, inBoth: diff.changes.inBoth, joined: diff.joined,
            left: diff.left, moved: diff.moved.count, movedRecordChanged: diff.moved.filter(\.recordChanged).count, born: diff.changes.born,
            gone: diff.changes.gone, split: diff.changes.split.map { ($0.cluster, $0.parts.map { ($0.cluster, $0.people) }) },
            merged: diff.changes.merged.map { ($0.cluster, $0.parts.map { ($0.cluster, $0.people) }) }, flows: Array(top))
    }
}
