import Foundation
import KindredCore
import KindredReport
import KindredSimilarity

/// Gathers what the HTML report shows from a finished run (in memory): sizes, profiles, the most
/// typical members (closest to their centroid), nearest clusters and the 2-D map from the model's
/// centroids, stability, and the diff against the previous run.
public enum ReportBuilder {
    public static func data(
        summary s: RunSummary, runKey: String, configHash: String, membership: [UInt32], embedding: DenseMatrix, model: ClusterModel,
        typicalMembers: Int, ids: [String]
    ) -> ReportData {
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

        // The sample's embedding (from the model stage) ranks members by closeness to their centroid.
        let index = model.index
        let d = index.dimensions
        var row: [Int32: Int] = [:]
        for (c, id) in index.clusterIDs.enumerated() { row[id] = c }
        var typical: [Int32: [(Float, String)]] = [:]
        embedding.values.withUnsafeBufferPointer { v in
            index.centroids.withUnsafeBufferPointer { centroids in
                for i in 0..<membership.count {
                    let id = Int32(bitPattern: membership[i])
                    guard let c = row[id] else { continue }
                    var dot: Float = 0
                    for j in 0..<d { dot += v[i * d + j] * centroids[c * d + j] }
                    typical[id, default: []].append((dot, ids[i]))
                }
            }
        }
        let sizes = Dictionary(uniqueKeysWithValues: s.clusterSizes.map { ($0.0, $0.1) })
        // The map: the largest clusters (ties: smaller id), laid out from their centroids.
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
        let born = Set(s.diff?.changes.born ?? [])
        for p in s.profiles {
            let id = Int32(p.cluster)
            var nearest: [(Int32, Double)] = []
            var position: (x: Double, y: Double)?
            if let c = row[id] {
                var scores: [(Int32, Double)] = []
                for (o, other) in index.clusterIDs.enumerated() where o != c {
                    var dot: Float = 0
                    for j in 0..<d { dot += index.centroids[c * d + j] * index.centroids[o * d + j] }
                    scores.append((other, Double(dot)))
                }
                nearest = Array(scores.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(3))
                position = points[c]
            }
            let members = (typical[id] ?? []).sorted { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }.prefix(typicalMembers).map(\.1)
            data.clusters.append(ReportData.Cluster(
                id: id, size: sizes[id] ?? 0, sampleSize: p.size, topTitles: p.topTitles, topSkills: p.topSkills, typicalMembers: Array(members),
                nearest: nearest, position: position, born: born.contains(id)))
        }
        if let diff = s.diff {
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
            data.changes = ReportData.Changes(
                previousKey: diff.previousKey, idsKept: diff.idsKept, ari: diff.changes.ari, inBoth: diff.changes.inBoth, joined: diff.joined,
                left: diff.left, moved: diff.moved.count, movedRecordChanged: diff.moved.filter(\.recordChanged).count, born: diff.changes.born,
                gone: diff.changes.gone, split: diff.changes.split.map { ($0.cluster, $0.parts.map { ($0.cluster, $0.people) }) },
                merged: diff.changes.merged.map { ($0.cluster, $0.parts.map { ($0.cluster, $0.people) }) }, flows: Array(top))
        }
        return data
    }
}
