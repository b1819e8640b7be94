import Foundation
import KindredClean
import KindredCommunity
import KindredCore
import KindredGraph
import KindredPeople
import KindredProjection
import KindredReport

/// Everything a finished run reports: reconciliation, graph, clustering, profiles, evaluation.
public struct RunSummary: Sendable {
    public var output: String
    public var clean: CleanOutcome
    public var graph: GraphOutcome
    public var modularity: Double
    public var communities: Int
    public var levels: Int
    public var clusterSeconds: Double
    public var profiles: [ClusterProfile]
    public var evaluation: Evaluation?
    /// People clustered (the reservoir sample) and the projection of everyone onto them.
    public var sampled = 0
    public var selfAgreement = 0.0
    public var projection = ProjectOutcome()
    public var totalSeconds: Double
    /// Files written, by role.
    public var files: [(String, String)]
}

/// The whole job: clean → graph → cluster → per-cluster profiles → evaluation (when truth is given).
public enum PipelineRun {
    /// Runs the pipeline into `config.output` (created if missing). Each file is written atomically.
    /// - Throws: `KindredError` for bad configuration or input.
    public static func run(_ config: RunConfig, environment: [String: String]) throws -> RunSummary {
        let started = Date()
        guard let input = config.input else { throw KindredError.usage("no input: give INPUT or `input` in the config") }
        guard let output = config.output else { throw KindredError.usage("no output folder: give --output or `output` in the config") }
        guard let catalogPath = config.catalog else { throw KindredError.usage("no catalogue: give --catalog or `catalog` in the config") }
        let pseudonymizer = try Pseudonymizer.resolve(keyFile: config.keyFile, environment: environment, allowDemoKey: config.demoKey)
        let catalog = try OccupationCatalog.load(path: catalogPath)
        try makeFolder(output)
        func path(_ name: String) -> String { output + "/" + name }

        var cleanRequest = CleanRequest(
            input: input, output: path("clean.jsonl"), quarantine: path("quarantine.jsonl"), catalog: catalog,
            pseudonymizer: pseudonymizer)
        cleanRequest.report = path("clean_report.json")
        cleanRequest.sampleSize = config.sampleSize
        cleanRequest.sampleSeed = config.seed
        let clean = try CleanStage.run(cleanRequest)

        var graphRequest = GraphRequest(input: path("clean.jsonl"), output: path("graph.kgraph"))
        graphRequest.k = config.k
        graphRequest.minimumSimilarity = config.minimumSimilarity
        graphRequest.symmetrization = config.symmetrization
        graphRequest.weights = config.weights
        graphRequest.method = config.method
        graphRequest.dimensions = config.dimensions
        graphRequest.candidateFactor = config.candidateFactor
        graphRequest.seed = config.seed
        // The sample (everyone when the input is no larger), as written to clean.jsonl.
        var people: [Person] = []
        people.reserveCapacity(clean.sample.count)
        for line in clean.sample { people.append(try PeopleJSON.parse(line)) }
        if people.isEmpty { throw KindredError.badInput("no clean people to cluster (every record was quarantined)", file: input, line: nil) }
        let graphStarted = Date()
        let (graph, features, _) = try GraphStage.build(people: people, request: graphRequest)
        try KGraphFormat.write(graph, to: graphRequest.output)
        try SimilarityModel.write(to: path("similarity"), request: graphRequest, input: graphRequest.input)
        let degrees = (0..<graph.vertexCount).map { graph.offsets[$0 + 1] - graph.offsets[$0] }
        let graphOutcome = GraphOutcome(
            people: people.count, features: features, vertices: graph.vertexCount, edges: graph.edgeCount,
            minimumDegree: degrees.min() ?? 0, meanDegree: degrees.isEmpty ? 0 : Double(degrees.reduce(0, +)) / Double(degrees.count),
            maximumDegree: degrees.max() ?? 0, isolated: degrees.filter { $0 == 0 }.count,
            seconds: Date().timeIntervalSince(graphStarted))

        var options = LouvainOptions()
        options.resolution = config.resolution
        options.seed = config.seed
        let clusterStarted = Date()
        let result = try ClusterStage.cluster(graph, options: options)
        let clusterSeconds = Date().timeIntervalSince(clusterStarted)
        try LabelFile.writePartition(ids: graph.ids, membership: result.membership, to: path("clusters.csv"))

        let profiles = ClusterProfiler.profiles(
            membership: result.membership, titles: people.map { $0.currentPosition?.title }, skills: people.map(\.skills), top: 3)
        try AtomicFileWriter.write(profilesCSV(profiles), to: path("profiles.csv"))

        // The model, and everyone projected onto it (the sample keeps its own clusters).
        var parameters = ClusterModel.Parameters()
        parameters.seed = config.seed
        parameters.sampleSize = config.sampleSize
        parameters.k = config.k
        parameters.resolution = config.resolution
        parameters.graphMethod = config.method
        parameters.dimensions = config.dimensions
        parameters.candidateFactor = config.candidateFactor
        parameters.minimumSimilarity = config.minimumSimilarity
        parameters.symmetrization = config.symmetrization
        parameters.weights = config.weights
        parameters.asOf = cleanRequest.dates.asOf
        parameters.typicalTenureMonths = cleanRequest.dates.typicalTenureMonths
        let model = ModelStage.build(
            people: people, membership: result.membership, parameters: parameters, profiles: profiles, modularity: result.modularity,
            catalog: catalog, learnedTitles: clean.learnedTitles, overridesCSV: nil, pseudonymizer: pseudonymizer,
            inputSHA256: try ClusterModel.sha256(of: input), inputRecords: clean.read)
        try model.write(to: path("model"))
        let selfAgreement = ModelStage.selfAgreement(
            people: people, membership: result.membership, model: model, method: config.projectionMethod, k: config.projectionK,
            probes: config.probes)
        var projectRequest = ProjectRequest(input: path("clean.jsonl"), output: path("assignments.csv"))
        projectRequest.inputIsClean = true
        projectRequest.failOnBadRecord = true
        projectRequest.method = config.projectionMethod
        projectRequest.k = config.projectionK
        projectRequest.probes = config.probes
        var known: [String: Int32] = [:]
        for (v, id) in graph.ids.enumerated() { known[id] = Int32(truncatingIfNeeded: result.membership[v]) }
        projectRequest.known = known
        let projection = try ProjectStage.run(projectRequest, model: model, pseudonymizer: nil)

        var evaluation: Evaluation?
        var files = [
            ("clean people", path("clean.jsonl")), ("quarantine", path("quarantine.jsonl")), ("cleaning report", path("clean_report.md")), ("graph", path("graph.kgraph")),
            ("clusters (the sample)", path("clusters.csv")), ("cluster profiles", path("profiles.csv")), ("model", path("model")),
            ("everyone's cluster", path("assignments.csv")), ("similarity model", path("similarity")),
        ]
        if let truthPath = config.truth {
            var truth = try LabelFile.read(path: truthPath, column: config.truthColumn)
            truth = truth.map { (pseudonymizer.pseudonym(for: $0.node), $0.label) }
            let clusters = zip(graph.ids, result.membership).map { (node: $0.0, label: String($0.1)) }
            var scored = EvaluateStage.evaluate(clusters: clusters, truth: truth)
            scored.modularity = result.modularity
            evaluation = scored
            try AtomicFileWriter.write(evaluationJSON(scored) + "\n", to: path("evaluation.json"))
            files.append(("evaluation", path("evaluation.json")))
        }
        var summary = RunSummary(
            output: output, clean: clean, graph: graphOutcome, modularity: result.modularity, communities: result.communityCount,
            levels: result.levels.count, clusterSeconds: clusterSeconds, profiles: profiles, evaluation: evaluation,
            sampled: people.count, selfAgreement: selfAgreement, projection: projection, totalSeconds: 0, files: files)
        summary.files.append(("summary", path("summary.json")))
        summary.totalSeconds = Date().timeIntervalSince(started)
        try AtomicFileWriter.write(summaryJSON(summary) + "\n", to: path("summary.json"))
        return summary
    }

    /// `cluster,size,top_titles,top_skills` with `;`-joined lists.
    public static func profilesCSV(_ profiles: [ClusterProfile]) -> String {
        var lines = ["cluster,size,top_titles,top_skills"]
        for p in profiles {
            lines.append(
                CSV.line([
                    String(p.cluster), String(p.size), p.topTitles.map { "\($0.0) (\($0.1))" }.joined(separator: "; "),
                    p.topSkills.map { "\($0.0) (\($0.1))" }.joined(separator: "; "),
                ]))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The evaluation as one JSON object.
    public static func evaluationJSON(_ e: Evaluation) -> String {
        var json = JSONText()
        json.add("nmi", e.nmi)
        json.add("ari", e.ari)
        if let q = e.modularity { json.add("modularity", q) }
        if let a = e.neighborAgreement { json.add("neighbor_agreement", a, digits: 4) }
        if let a = e.peopleWithNinetyPercentAgreement { json.add("people_neighbors_90", a, digits: 4) }
        json.add("communities", e.communities)
        json.add("truth_labels", e.truthLabels)
        json.add("matched", e.matched)
        json.add("only_in_clusters", e.onlyInClusters)
        json.add("only_in_truth", e.onlyInTruth)
        var sizes = JSONText()
        sizes.add("min", e.sizes.minimum)
        sizes.add("median", e.sizes.median)
        sizes.add("max", e.sizes.maximum)
        sizes.add("mean", e.sizes.mean, digits: 2)
        sizes.add("singletons", e.sizes.singletons)
        json.add("sizes", raw: sizes.text)
        return json.text
    }

    /// Reconciliation counts as JSON.
    public static func reconciliationJSON(_ c: CleanOutcome) -> String {
        var json = JSONText()
        json.add("read", c.read)
        json.add("written", c.written)
        json.add("quarantined", c.quarantined)
        json.add("reconciles", c.reconciles)
        return json.text
    }

    /// The run summary as one JSON object (no personal data: counts, figures, canonical titles/skills).
    public static func summaryJSON(_ s: RunSummary) -> String {
        var json = JSONText()
        json.add("reconciliation", raw: reconciliationJSON(s.clean))
        var graph = JSONText()
        graph.add("vertices", s.graph.vertices)
        graph.add("edges", s.graph.edges)
        graph.add("features", s.graph.features)
        graph.add("min_degree", s.graph.minimumDegree)
        graph.add("mean_degree", s.graph.meanDegree, digits: 2)
        graph.add("max_degree", s.graph.maximumDegree)
        graph.add("isolated", s.graph.isolated)
        graph.add("seconds", s.graph.seconds, digits: 3)
        json.add("graph", raw: graph.text)
        json.add("modularity", s.modularity)
        json.add("communities", s.communities)
        json.add("levels", s.levels)
        json.add("cluster_seconds", s.clusterSeconds, digits: 3)
        var sample = JSONText()
        sample.add("clustered", s.sampled)
        sample.add("of", s.clean.written)
        sample.add("self_agreement", s.selfAgreement, digits: 4)
        json.add("sample", raw: sample.text)
        json.add("projection", raw: ProjectStage.summaryJSON(s.projection))
        if let e = s.evaluation { json.add("evaluation", raw: evaluationJSON(e)) }
        json.add("seconds", s.totalSeconds, digits: 3)
        return json.text
    }
}
