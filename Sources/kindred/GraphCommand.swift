import ArgumentParser
import Foundation
import KindredCommunity
import KindredCore
import KindredGraph
import KindredPipeline
import KindredSimilarity

/// `kindred graph`: people → TF-IDF vectors → exact top-k cosine k-NN graph.
struct GraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Build the k-NN similarity graph of clean people under a configurable people metric.",
        discussion: """
            Candidates come from an exact search (sparse TF-IDF index, or --method dense: OpenBLAS sgemm \
            tiles over an LSA embedding); k × --candidates of them per person are re-scored with the full \
            metric (skills, titles, career tempo, location; a field one of the pair lacks is left out and \
            the other weights renormalised) and the best k kept. Same input and seed give the same graph \
            at any --threads.
            """)

    @Argument(help: "Clean people (JSON Lines), as written by `kindred clean`.") var input: String
    @Option(help: "Graph output (.kgraph binary).") var output: String
    @Option(help: "Also write the graph as an edge list `u v w`.") var edges: String?
    @Option(help: "Neighbours per person.") var k = GraphSettings().k
    @Option(help: "Leave out neighbours below this cosine similarity.") var minSimilarity = GraphSettings().minimumSimilarity
    @Option(help: "max | mean | mutual: how the directed k-NN lists become undirected edges.") var symmetrization = GraphSettings().symmetrization
    @Option(help: "Weight of the skills field.") var skillsWeight = MetricWeights().skills
    @Option(help: "Weight of the titles field.") var titlesWeight = MetricWeights().titles
    @Option(help: "Weight of each earlier title relative to the next more recent one.") var titleRecencyDecay = MetricWeights().titleRecencyDecay
    @Option(help: "Weight of career tempo (average tenure, job changes per year, years of experience).") var tempoWeight = MetricWeights().tempo
    @Option(help: "Weight of location (same city 1, same region only --same-region).") var locationWeight = MetricWeights().location
    @Option(help: "Location similarity of two people in the same region but different cities.") var sameRegion = MetricWeights().sameRegion
    @Option(help: "sparse (TF-IDF index) | dense (LSA embedding, sgemm tiles) | approximate (LSA, inverted file).") var method = GraphSettings().method
    @Option(help: "LSA dimensions for --method dense.") var dimensions = GraphSettings().dimensions
    @Option(help: "Candidates per person = k × this, re-scored with the full metric.") var candidates = GraphSettings().candidateFactor
    @Option(help: "--method approximate: k-means cells (default √n).") var cells: Int?
    @Option(help: "--method approximate: cells searched per person.") var probes = GraphSettings().approximateProbes
    @Option(help: "Random seed (LSA sketch).") var seed = GraphSettings().seed
    @Option(help: "Worker threads (default: the CPUs this process may use, container quota included); never changes the graph.") var threads: Int?
    @Option(help: "Also write a similarity model folder (for `kindred similar`).") var model: String?
    @Flag(help: "Print one JSON summary object on stdout.") var json = false

    @OptionGroup var resources: ResourceOptions

    func run() throws {
        try guarded(resources, advice: "build the graph of a smaller sample of people, lower --k or --candidates, or raise --max-memory") {
            if let threads, threads < 1 { throw KindredError.usage("--threads must be at least 1") }
            var request = GraphRequest(input: input, output: output)
            request.edges = edges
            request.settings.k = k
            request.settings.minimumSimilarity = minSimilarity
            request.settings.symmetrization = symmetrization
            request.settings.weights = MetricWeights(
                skills: skillsWeight, titles: titlesWeight, titleRecencyDecay: titleRecencyDecay, tempo: tempoWeight,
                location: locationWeight, sameRegion: sameRegion)
            request.settings.method = method
            request.settings.dimensions = dimensions
            request.settings.candidateFactor = candidates
            request.settings.approximateCells = cells
            request.settings.approximateProbes = probes
            request.settings.seed = seed
            request.threads = threads
            request.model = model
            let (o, _) = try withProgress("graph", unit: "people") { counter in
                request.progress = counter
                return try GraphStage.run(request)
            }
            if json {
                var j = JSONText()
                j.add("people", o.people)
                j.add("features", o.features)
                j.add("vertices", o.vertices)
                j.add("edges", o.edges)
                j.add("min_degree", o.minimumDegree)
                j.add("mean_degree", o.meanDegree, digits: 2)
                j.add("max_degree", o.maximumDegree)
                j.add("isolated", o.isolated)
                j.add("method", o.method.rawValue)
                j.add("search_seconds", o.searchSeconds, digits: 3)
                j.add("seconds", o.seconds, digits: 3)
                print(j.text)
            } else {
                print("graph (\(o.method.rawValue)): \(o.vertices) people, \(o.edges) edges, \(o.features) features; degree min \(o.minimumDegree) / mean \(fixed(o.meanDegree, 1)) / max \(o.maximumDegree), \(o.isolated) isolated; \(fixed(o.seconds, 2)) s → \(output)")
            }
        }
    }
}

/// `kindred cluster`: Louvain on a .kgraph or an edge list.
struct Cluster: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find communities (Leiden or Louvain, modularity with resolution γ) in a .kgraph file or an edge list.",
        discussion: """
            Parallel and deterministic: the same graph, options and seed give the same partition at any \
            --threads. Leiden (the default) guarantees connected communities.
            """)

    @Argument(help: "Graph: .kgraph, or an edge list `u v [w]` per line (# comments, any token as id).") var graph: String
    @Option(help: "Partition output: CSV node,community (communities numbered by decreasing size).") var output: String
    @Option(help: ArgumentHelp(
        "Resolution γ > 0: higher gives more, smaller communities.",
        discussion: "Default: \(ClusterRequest.peopleResolution) for a people similarity graph made by kindred graph (recorded in the .kgraph header), else 1."))
    var resolution: Double?
    @Option(help: "leiden (connected communities) or louvain.") var algorithm = ClusterSettings().algorithm
    @Option(help: "Random seed; the same seed gives the same partition.") var seed = LouvainOptions().seed
    @Option(help: "Worker threads (default: the CPUs this process may use, container quota included); never changes the result.") var threads: Int?
    @Option(help: "Run the method this many times, each from the previous result (stops when no gain).") var iterations = ClusterSettings().iterations
    @Option(help: "Threshold scaling: the first level's passes stop when one gains less modularity than this; each next level divides it by 10.") var tolerance = ClusterSettings().tolerance
    @Option(help: "Leiden refinement rounds: 1 merges vertices into sub-communities (classic Leiden), 2 also merges those sub-communities.") var refinementRounds = ClusterSettings().refinementRounds
    @Flag(inversion: .prefixedNo, help: "A last round that moves the first level's pieces between the final communities (raises modularity for ~10% more time).") var polish = ClusterSettings().polish
    @Option(help: ArgumentHelp(
        "Seeded runs combined by consensus (1: a single run); more make the partition robust to the seed and to small input changes.",
        discussion: "Default: \(ClusterRequest.peopleConsensusRuns) for a people similarity graph made by kindred graph, else 1."))
    var consensusRuns: Int?
    @Option(help: "Consensus: the share of runs that must put an edge's two ends together for it to stay.") var consensusThreshold = ClusterSettings().consensus.threshold
    @Option(help: "Consensus: the most rounds (it stops when all runs of a round agree).") var consensusRounds = ClusterSettings().consensus.maxRounds
    @Option(help: "Also write every level of the hierarchy: node,level0,level1,…") var levels: String?
    @Option(help: "Warm start from this partition: clusters.csv (node,community) or assignments.csv (id,cluster); vertices it lacks start alone.") var initial: String?
    @Option(name: .customLong("fixed"), help: "Keep these vertices in their --initial community (file: node id in the first column).")
    var fixedVertices: String?
    @Flag(help: "Print one JSON summary object on stdout.") var json = false

    @OptionGroup var resources: ResourceOptions

    func run() throws {
        try guarded(resources, advice: "cluster the graph of a smaller sample of people (then project the rest), or raise --max-memory") {
            var request = ClusterRequest(graph: graph, output: output)
            request.options.algorithm = algorithm
            let resolution = self.resolution ?? ClusterRequest.defaultResolution(forGraphAt: graph)
            request.options.resolution = resolution
            request.options.seed = seed
            request.options.threads = threads
            request.options.iterations = iterations
            request.options.initialTolerance = tolerance
            request.options.refinementRounds = refinementRounds
            request.options.polish = polish
            let consensusRuns = self.consensusRuns ?? ClusterRequest.defaultConsensusRuns(forGraphAt: graph)
            request.consensus = ConsensusOptions(runs: consensusRuns, threshold: consensusThreshold, maxRounds: consensusRounds)
            request.levels = levels
            request.initial = initial
            request.fixed = fixedVertices
            let o = try withProgress("cluster", unit: "vertex visits") { counter in
                request.options.progress = counter
                return try ClusterStage.run(request)
            }
            if json {
                var j = JSONText()
                j.add("vertices", o.vertices)
                j.add("edges", o.edges)
                j.add("modularity", o.modularity)
                j.add("objective", o.objective)
                j.add("communities", o.communities)
                j.add("levels", o.levels)
                j.add("algorithm", algorithm.rawValue)
                j.add("disconnected_communities", o.disconnectedCommunities)
                j.add("split_communities", o.splitCommunities)
                if consensusRuns > 1 {
                    j.add("consensus_runs", consensusRuns)
                    j.add("consensus_rounds", o.consensusRounds)
                    j.add("consensus_agreed", o.consensusAgreed)
                }
                j.add("resolution", resolution)
                j.add("seed", Int(seed))
                j.add("threads", threads ?? ParallelRunner.defaultThreads)
                j.add("iterations", o.iterations)
                if initial != nil {
                    j.add("initial_matched", o.initialMatched)
                    j.add("initial_unknown", o.initialUnknown)
                    j.add("fixed", o.fixedCount)
                }
                var phases = JSONText()
                for (name, value) in o.phaseSeconds.sorted(by: { $0.key < $1.key }) { phases.add(name, value, digits: 3) }
                j.add("phase_seconds", raw: phases.text)
                let trace = o.levelTrace.map { level -> String in
                    var t = JSONText()
                    t.add("vertices", level.vertices)
                    t.add("entries", level.entries)
                    t.add("passes", level.passes)
                    t.add("moves", level.moves)
                    t.add("communities", level.communities)
                    t.add("refined", level.refined)
                    t.add("seconds", level.seconds, digits: 3)
                    return t.text
                }
                j.add("level_trace", raw: "[" + trace.joined(separator: ",") + "]")
                j.add("seconds", o.seconds, digits: 3)
                print(j.text)
            } else {
                print("\(plural(o.communities, "cluster")), modularity \(fixed(o.modularity)), \(plural(o.levels, "level")), \(o.disconnectedCommunities) disconnected (\(algorithm)), \(fixed(o.seconds, 3)) s → \(output)")
                if initial != nil {
                    print("warm start: \(o.initialMatched) vertices from the initial partition, \(o.initialUnknown) of its ids not in the graph, \(o.fixedCount) fixed")
                }
            }
        }
    }
}

/// `kindred evaluate`: NMI, ARI, modularity against ground truth.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare a partition with ground truth: NMI, ARI, modularity (with --graph), community sizes.")

    @Option(help: "Clusters: CSV node,community (clusters.csv), or id,cluster (assignments.csv, project's output).") var clusters: String
    @Option(help: "Ground truth: CSV node,label (header optional) or `node label` per line.") var truth: String
    @Option(help: "Truth column to use (by header name); default the second column.") var truthColumn: String?
    @Option(help: "The graph, to report modularity and how often neighbours share a truth label.") var graph: String?
    @Option(help: "Worker threads (default: the CPUs this process may use, container quota included); never changes the result.") var threads: Int?
    @Flag(help: "Truth ids are raw ids: pseudonymise them with the key (as `clean` did) before matching.")
    var pseudonymizeTruth = false
    @OptionGroup var key: KeyOptions
    @Flag(help: "Print one JSON summary object on stdout.") var json = false

    @OptionGroup var resources: ResourceOptions

    func run() throws {
        try guarded(resources) {
            var request = EvaluateRequest(clusters: clusters, truth: truth)
            request.truthColumn = truthColumn
            request.graph = graph
            if let threads, threads < 1 { throw KindredError.usage("--threads must be at least 1") }
            request.threads = threads
            if pseudonymizeTruth { request.pseudonymizer = try key.pseudonymizer() }
            let e = try EvaluateStage.run(request)
            if json {
                print(PipelineRun.evaluationJSON(e))
            } else {
                var lines = [
                    "NMI \(fixed(e.nmi)), ARI \(fixed(e.ari))" + (e.modularity.map { ", modularity \(fixed($0))" } ?? ""),
                    "\(plural(e.communities, "cluster")) (truth has \(plural(e.truthLabels, "label"))); sizes min \(e.sizes.minimum), median \(fixed(e.sizes.median, 1)), max \(e.sizes.maximum), \(e.sizes.singletons) singletons",
                    "scored \(e.matched) nodes; \(e.onlyInClusters) only in clusters, \(e.onlyInTruth) only in truth",
                ]
                if let a = e.neighborAgreement, let ninety = e.peopleWithNinetyPercentAgreement {
                    lines.append("graph neighbours sharing the person's truth label: \(fixed(100 * a, 2))% on average; \(fixed(100 * ninety, 2))% of people at ≥ 90%")
                }
                if e.matched < 10 { lines.append("warning: very few nodes matched") }
                print(lines.joined(separator: "\n"))
            }
        }
    }
}

/// `kindred convert`: edge list ⇄ .kgraph.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a graph between an edge list and the binary .kgraph format (by the output's extension).")

    @Argument(help: "Input graph: .kgraph or edge list.") var input: String
    @Argument(help: "Output: a path ending in .kgraph writes binary, anything else an edge list.") var output: String

    @OptionGroup var resources: ResourceOptions

    func run() throws {
        try guarded(resources) {
            let graph = try GraphLoader.load(path: input)
            if output.hasSuffix(".kgraph") {
                try KGraphFormat.write(graph, to: output)
            } else {
                try EdgeListFormat.write(graph, to: output)
            }
            print("\(graph.vertexCount) vertices, \(graph.edgeCount) edges → \(output)")
        }
    }
}
