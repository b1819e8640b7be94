import KindredClean
import KindredCommunity
import KindredCore
import KindredGraph
import KindredReport

/// What `kindred evaluate` is asked to do.
public struct EvaluateRequest: Sendable {
    public var clusters: String
    public var truth: String
    public var truthColumn: String?
    public var graph: String?
    /// When set, truth ids are raw ids and are pseudonymised with this key to meet clean ids.
    public var pseudonymizer: Pseudonymizer?
    /// Worker threads for the modularity (nil: all usable CPUs); never changes the result.
    public var threads: Int?

    public init(clusters: String, truth: String) {
        self.clusters = clusters
        self.truth = truth
    }
}

/// Agreement between a partition and the ground truth.
public struct Evaluation: Sendable {
    public var nmi: Double
    public var ari: Double
    public var modularity: Double?
    /// With a graph: over people with neighbours in the truth, the mean share of their graph neighbours
    /// that carry their own truth label.
    public var neighborAgreement: Double?
    /// With a graph: the share of those people whose neighbours agree with them at least 90%.
    public var peopleWithNinetyPercentAgreement: Double?
    public var communities: Int
    public var truthLabels: Int
    /// Nodes present in both files (the ones scored).
    public var matched: Int
    public var onlyInClusters: Int
    public var onlyInTruth: Int
    public var sizes: SizeDistribution
}

/// Scores a partition against ground truth.
public enum EvaluateStage {
    /// Scores in-memory labels: only nodes present in both maps count.
    public static func evaluate(clusters: [(node: String, label: String)], truth: [(node: String, label: String)]) -> Evaluation {
        var truthByNode: [String: String] = [:]
        for pair in truth { truthByNode[pair.node] = pair.label }
        var clusterIDs: [String: UInt32] = [:]
        var truthIDs: [String: UInt32] = [:]
        var a: [UInt32] = []
        var b: [UInt32] = []
        var clusterSizes: [String: Int] = [:]
        for pair in clusters {
            clusterSizes[pair.label, default: 0] += 1
            guard let t = truthByNode[pair.node] else { continue }
            let c = clusterIDs[pair.label] ?? { let id = UInt32(clusterIDs.count); clusterIDs[pair.label] = id; return id }()
            let l = truthIDs[t] ?? { let id = UInt32(truthIDs.count); truthIDs[t] = id; return id }()
            a.append(c)
            b.append(l)
        }
        let matched = a.count
        return Evaluation(
            nmi: PartitionComparison.normalizedMutualInformation(a, b), ari: PartitionComparison.adjustedRandIndex(a, b),
            modularity: nil, communities: clusterSizes.count, truthLabels: Set(truth.map(\.label)).count, matched: matched,
            onlyInClusters: clusters.count - matched, onlyInTruth: truth.count - matched,
            sizes: SizeDistribution(sizes: Array(clusterSizes.values)))
    }

    public static func run(_ request: EvaluateRequest) throws -> Evaluation {
        // clusters.csv (node,community), or everyone's assignments (id,cluster,…: unassigned people left out).
        let clusters = try LabelFile.read(path: request.clusters, columns: ["community", "cluster"])
            .filter { $0.label != "unassigned" && !$0.label.isEmpty }.map { ($0.node, $0.label) }
        var truth = try LabelFile.read(path: request.truth, column: request.truthColumn)
        if let pseudonymizer = request.pseudonymizer {
            truth = truth.map { (pseudonymizer.pseudonym(for: $0.node), $0.label) }
        }
        var evaluation = evaluate(clusters: clusters, truth: truth)
        if evaluation.matched == 0 {
            let hint = request.pseudonymizer == nil
                ? "raw ids against pseudonyms? add --pseudonymize-truth with the same key as for `clean`: --key-file, KINDRED_KEY or --demo-key"
                : "the truth ids were pseudonymised: is the key the one `clean` used?"
            throw KindredError.badInput(
                "no node of the clusters appears in the truth file (\(hint))",
                file: request.truth, line: nil)
        }
        if let path = request.graph {
            let graph = try GraphLoader.load(path: path)
            var labelOf: [String: UInt32] = [:]
            var next: UInt32 = 0
            var byNode: [String: String] = [:]
            for pair in clusters { byNode[pair.0] = pair.1 }
            var membership = [UInt32](repeating: 0, count: graph.vertexCount)
            for (v, id) in graph.ids.enumerated() {
                guard let label = byNode[id] else {
                    throw KindredError.badInput("graph vertex has no cluster in the clusters file", file: request.clusters, line: nil, field: "node")
                }
                if labelOf[label] == nil {
                    labelOf[label] = next
                    next += 1
                }
                membership[v] = labelOf[label]!
            }
            evaluation.modularity = Modularity.compute(graph, membership: membership, threads: request.threads)
            var truthOf: [String: String] = [:]
            for pair in truth { truthOf[pair.node] = pair.label }
            let truthLabel = graph.ids.map { truthOf[$0] }
            var agreementSum = 0.0
            var ninety = 0
            var scored = 0
            for v in 0..<graph.vertexCount {
                guard let mine = truthLabel[v] else { continue }
                var same = 0
                var known = 0
                for e in graph.offsets[v]..<graph.offsets[v + 1] where Int(graph.targets[e]) != v {
                    guard let theirs = truthLabel[Int(graph.targets[e])] else { continue }
                    known += 1
                    if theirs == mine { same += 1 }
                }
                guard known > 0 else { continue }
                let share = Double(same) / Double(known)
                agreementSum += share
                if share >= 0.9 { ninety += 1 }
                scored += 1
            }
            if scored > 0 {
                evaluation.neighborAgreement = agreementSum / Double(scored)
                evaluation.peopleWithNinetyPercentAgreement = Double(ninety) / Double(scored)
            }
        }
        return evaluation
    }
}
