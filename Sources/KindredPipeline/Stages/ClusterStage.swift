import Foundation
import KindredCommunity
import KindredCore
import KindredGraph

/// What `kindred cluster` is asked to do.
public struct ClusterRequest: Sendable {
    public var graph: String
    public var output: String
    /// Also write every level of the hierarchy here.
    public var levels: String?
    public var options = LouvainOptions()
    /// Consensus of several seeded runs (one run by default).
    public var consensus = ConsensusOptions()
    /// Warm start: a partition file (`node,community`) whose communities the run starts from.
    public var initial: String?
    /// Vertices that keep their starting community: a file whose first column lists node ids.
    public var fixed: String?

    public init(graph: String, output: String) {
        self.graph = graph
        self.output = output
    }

    /// The resolution people similarity graphs are clustered at by default. Modularity at γ = 1 merges
    /// related occupations on k-NN graphs of people. γ = 8 is the value of 2.5, 3, 3.5, 4.5, 6 and 8 with the
    /// highest lower NMI of the two data sets of `scripts/eval-people`'s dev split (medians of seeds 1–3:
    /// variants 0.962 → 0.985, reported 0.989 → 0.985; ARI 0.826 → 0.974 and 0.964 → 0.969), checked once on
    /// its held-out split (variants eyeball 0.943 → 0.990) and on `scripts/eval-stability` (worst seed-pair ARI
    /// 0.978 → 0.994). It depends little on the number of people when the number of groups is fixed.
    public static let peopleResolution = 8.0

    /// Seeded runs combined by consensus on people graphs by default. On `scripts/eval-stability`
    /// (dev split, O*NET people, median of two datasets) the worst-pair ARI across three seeds went from
    /// 0.941 to 0.961 (600 people) and 0.976 to 0.983 (1,500 people) with 5 runs; 9 runs gave 0.970 and
    /// 0.983 for nearly twice the time. Other graphs keep a single run unless asked.
    public static let peopleConsensusRuns = 5

    /// The default number of consensus runs for a graph file: `peopleConsensusRuns` for a people
    /// similarity graph, else 1.
    public static func defaultConsensusRuns(forGraphAt path: String) -> Int {
        KGraphFormat.kind(ofFileAt: path) == .peopleSimilarity ? peopleConsensusRuns : 1
    }

    /// The default resolution for a graph file: `peopleResolution` for a people similarity graph made by
    /// `kindred graph` or `kindred run`, else 1 (classic modularity).
    public static func defaultResolution(forGraphAt path: String) -> Double {
        KGraphFormat.kind(ofFileAt: path) == .peopleSimilarity ? peopleResolution : 1
    }
}

/// The partition found and its quality.
public struct ClusterOutcome: Sendable {
    public var vertices: Int
    public var edges: Int
    /// Newman's modularity (γ = 1).
    public var modularity: Double
    /// Modularity at the resolution used: what the run maximised.
    public var objective: Double = 0
    public var communities: Int
    public var levels: Int
    public var seconds: Double
    public var membership: [UInt32]
    public var disconnectedCommunities: Int
    public var splitCommunities: Int
    public var iterations: Int
    public var phaseSeconds: [String: Double]
    /// What each level did (see `LevelTrace`).
    public var levelTrace: [LevelTrace]
    /// Vertices given a starting community, and ids of the initial file absent from the graph.
    public var initialMatched: Int
    public var initialUnknown: Int
    public var fixedCount: Int
    /// Consensus rounds run, and whether the last round's runs agreed.
    public var consensusRounds = 1
    public var consensusAgreed = true
}

/// Loads a graph, runs Louvain and writes `node,community`.
public enum ClusterStage {
    /// Clusters an in-memory graph (no files) by consensus of `consensus.runs` seeded runs.
    public static func cluster(_ graph: Graph, options: LouvainOptions, consensus: ConsensusOptions) throws -> ConsensusResult {
        if let problem = consensus.problem() {
            throw KindredError.usage("--\(problem.field.replacingOccurrences(of: "_", with: "-")) \(problem.message)")
        }
        try check(graph, options: options)
        return Consensus.run(graph, options: options, consensus: consensus)
    }

    /// Clusters an in-memory graph (no files).
    public static func cluster(_ graph: Graph, options: LouvainOptions) throws -> CommunityResult {
        try check(graph, options: options)
        return Louvain.run(graph, options: options)
    }

    /// Checks the options and the memory the clustering needs.
    private static func check(_ graph: Graph, options: LouvainOptions) throws {
        guard options.resolution.isFinite && options.resolution >= 0 else {
            throw KindredError.usage("--resolution must be a finite number ≥ 0 (0: one cluster per connected component)")
        }
        guard options.iterations >= 1 else { throw KindredError.usage("--iterations must be ≥ 1") }
        guard options.initialTolerance.isFinite && options.initialTolerance > 0 else {
            throw KindredError.usage("--tolerance must be a positive number")
        }
        guard (1...2).contains(options.refinementRounds) else { throw KindredError.usage("--refinement-rounds must be 1 or 2") }
        if let threads = options.threads, threads < 1 { throw KindredError.usage("--threads must be ≥ 1") }
        // Measured growth inside the algorithm: 1.6× (1M vertices) to 3.2× (200k vertices) the CSR arrays; the watchdog covers the rest.
        let csr = 8 * (graph.vertexCount + 1) + 8 * graph.offsets[graph.vertexCount]
        try MemoryBudget.require(
            csr * 2, for: "clustering a graph of \(graph.vertexCount) vertices and \(graph.edgeCount) edges",
            advice: "cluster a smaller sample of people (then project the rest), or raise --max-memory")
    }

    /// Reads a warm-start partition onto the graph's vertices: labels by id, `UInt32.max` for vertices
    /// the file does not mention. Returns the labels, how many vertices matched and how many ids of the
    /// file are not in the graph.
    public static func initialMembership(path: String, graph: Graph) throws -> (labels: [UInt32], matched: Int, unknown: Int) {
        // clusters.csv (node,community) or assignments (id,cluster,…; unassigned people start alone).
        let pairs = try LabelFile.read(path: path, columns: ["community", "cluster"]).filter { $0.label != "unassigned" && !$0.label.isEmpty }
        var index: [String: Int] = [:]
        for (v, id) in graph.ids.enumerated() { index[id] = v }
        var labels = [UInt32](repeating: UInt32.max, count: graph.vertexCount)
        var names: [String: UInt32] = [:]
        var matched = 0
        var unknown = 0
        for pair in pairs {
            guard let v = index[pair.node] else {
                unknown += 1
                continue
            }
            let label = names[pair.label] ?? { let l = UInt32(names.count); names[pair.label] = l; return l }()
            labels[v] = label
            matched += 1
        }
        return (labels, matched, unknown)
    }

    /// Reads the ids of fixed vertices (first column; `#` comments and a `node`/`id` header skipped).
    public static func fixedVertices(path: String, graph: Graph) throws -> [Bool] {
        var index: [String: Int] = [:]
        for (v, id) in graph.ids.enumerated() { index[id] = v }
        var fixed = [Bool](repeating: false, count: graph.vertexCount)
        let reader = try LineReader(path: path)
        while let line = try reader.nextString() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let first = String(trimmed.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }).first ?? "")
            if reader.lineNumber == 1 && ["node", "id", "vertex"].contains(first.lowercased()) { continue }
            if let v = index[first] { fixed[v] = true }
        }
        return fixed
    }

    public static func run(_ request: ClusterRequest) throws -> ClusterOutcome {
        let graph = try GraphLoader.load(path: request.graph)
        var options = request.options
        var matched = 0
        var unknown = 0
        if let initial = request.initial {
            let read = try initialMembership(path: initial, graph: graph)
            options.initialMembership = read.labels
            matched = read.matched
            unknown = read.unknown
        }
        if let fixed = request.fixed {
            guard options.initialMembership != nil else { throw KindredError.usage("--fixed needs --initial") }
            options.fixed = try fixedVertices(path: fixed, graph: graph)
        }
        let started = Date()
        let consensus = try cluster(graph, options: options, consensus: request.consensus)
        let result = consensus.result
        let seconds = Date().timeIntervalSince(started)
        try LabelFile.writePartition(ids: graph.ids, membership: result.membership, to: request.output)
        if let levels = request.levels { try LabelFile.writeLevels(ids: graph.ids, levels: result.levels, to: levels) }
        return ClusterOutcome(
            vertices: graph.vertexCount, edges: graph.edgeCount, modularity: result.modularity, objective: result.objective,
            communities: result.communityCount, levels: result.levels.count, seconds: seconds, membership: result.membership,
            disconnectedCommunities: result.disconnectedCommunities, splitCommunities: result.splitCommunities,
            iterations: result.iterations, phaseSeconds: result.phaseSeconds, levelTrace: result.levelTrace, initialMatched: matched, initialUnknown: unknown,
            fixedCount: options.fixed?.filter { $0 }.count ?? 0, consensusRounds: consensus.rounds, consensusAgreed: consensus.agreed)
    }
}
