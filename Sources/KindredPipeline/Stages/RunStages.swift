import Foundation
import KindredClean
import KindredCommunity
import KindredCore
import KindredGraph
import KindredPeople
import KindredProjection
import KindredReport
import KindredSimilarity

/// The clustered sample: the partition, its stable ids and its profiles.
struct SampleClustering {
    var result: CommunityResult
    /// Each sample person's stable cluster id (vertex order).
    var membership: [UInt32]
    /// Stable id of each community of `result`.
    var stable: [Int32]
    var nextClusterID: Int32
    var matches: [ClusterMatching.Match]
    var profiles: [ClusterProfile]
    /// Sample people who started in their previous cluster.
    var warmStarted: Int
    var seconds: Double
}

/// The clean stage's outcome with the sample it drew and the date rules it used.
struct CleanedInput {
    var outcome: CleanOutcome
    var dates: DateAudit
    /// The clustered sample (everyone when the input is no larger), in input order; empty once let go.
    var people: [Person] { outcome.sample }
    /// People in the sample (also once it is let go).
    let sampled: Int
    /// The sample people the report's sensitivity chart varies, kept when the sample is let go.
    private(set) var sensitivityPeople: [Person] = []

    init(outcome: CleanOutcome, dates: DateAudit) {
        self.outcome = outcome
        self.dates = dates
        sampled = outcome.sample.count
    }

    /// Lets the sample go (the largest thing a run holds: every sample person's values), keeping only
    /// `count` people evenly spaced through it for the sensitivity chart.
    mutating func letSampleGo(keepingForSensitivity count: Int) {
        sensitivityPeople = RunStages.evenlySpaced(outcome.sample, count: count)
        outcome.sample = []
    }
}

/// The graph of the sample and its statistics.
struct SampleGraph {
    var built: BuiltGraph
    var outcome: GraphOutcome
    var graph: Graph { built.graph }
}

/// The model and how well it gives the sample back its own clusters.
struct BuiltModel {
    var model: ClusterModel
    /// Each sample person's closeness to their cluster's centroid (`ReportBuilder.closenessToCentroids`).
    var closeness: [Float]
    var selfAgreement: Double
}

/// What changed since the previous run, everyone's cluster sizes, and the stability of the partition.
struct RunComparison {
    var diff: RunDiff?
    var clusterSizes: [(Int32, Int)]
    var stability: [(seed: UInt64, ari: Double)]
    var robustness: PartitionRobustness?
}

/// The stages of one `kindred run`, each taking the values the ones before it returned and writing its
/// files into the run folder; the stage clock (log lines and timings) is the only state kept between them.
final class RunStages {
    let config: RunConfig
    let folder: String
    let runKey: String
    let log: RunLog
    let input: String
    let previous: PreviousRun?
    let pseudonymizer: Pseudonymizer
    let catalog: OccupationCatalog
    private let started = Date()
    private var stageStarted = Date()
    private(set) var timings: [(String, Double)] = []
    private static let stageNames = ["clean", "graph", "cluster", "model", "project", "compare", "report"]

    init(
        config: RunConfig, folder: String, runKey: String, log: RunLog, input: String, previous: PreviousRun?, pseudonymizer: Pseudonymizer,
        catalog: OccupationCatalog
    ) {
        self.config = config
        self.folder = folder
        self.runKey = runKey
        self.log = log
        self.input = input
        self.previous = previous
        self.pseudonymizer = pseudonymizer
        self.catalog = catalog
    }

    func path(_ name: String) -> String { joinPath(folder, name) }

    private func begin(_ name: String) throws {
        try StopControl.check()
        MemoryBudget.setAdvice(PipelineRun.memoryAdvice(stage: name, sample: config.sampleSize))
        log.progress(step: Self.stageNames.firstIndex(of: name) ?? 0, of: Self.stageNames.count, name)
        stageStarted = Date()
    }

    private func done(_ name: String, _ message: String, _ fields: [(String, RunLog.Value)] = []) {
        let seconds = Date().timeIntervalSince(stageStarted)
        timings.append((name, seconds))
        log.info("stage_done", "\(name): \(message) (\(String(format: "%.2f", seconds)) s)", [("stage", .string(name)), ("seconds", .double(seconds))] + fields)
    }

    /// Cleans everyone into `clean.jsonl` and draws the sample (kept in memory as people).
    func clean() throws -> CleanedInput {
        try begin("clean")
        var request = CleanRequest(
            input: input, output: path("clean.jsonl"), quarantine: path("quarantine.jsonl"), catalog: catalog, pseudonymizer: pseudonymizer)
        request.threads = config.threads
        request.progress = log.track("clean", unit: "records")
        request.report = path("clean_report.json")
        request.sampleSize = config.sampleSize
        request.sampleSeed = config.seed
        request.keepRecordHashes = previous != nil
        request.showValues = config.showValues
        request.dates.asOf = config.effectiveAsOf(runKey: runKey)
        request.readOptions = config.readOptions
        request.learnVariants = config.learnVariants
        request.overrides = config.overrides
        request.dates.typicalTenureMonths = config.imputeTenureMonths
        let clean = try CleanStage.run(request)
        if let progress = request.progress { log.endTracking(progress) }
        done("clean", "read \(clean.read) = written \(clean.written) + quarantined \(clean.quarantined)",
             [("read", .int(clean.read)), ("written", .int(clean.written)), ("quarantined", .int(clean.quarantined))])
        if clean.quarantined > 0 {
            log.warning("quarantined", "quarantined: " + clean.reasonSummary().joined(separator: "; "), [("quarantined", .int(clean.quarantined))])
        }
        if clean.sample.isEmpty {
            throw PipelineRun.nothingToCluster(clean, input: input, staging: folder, output: config.output, runKey: runKey)
        }
        return CleanedInput(outcome: clean, dates: request.dates)
    }

    /// The graph request the run's settings make (also recorded in `similarity/`).
    private var graphRequest: GraphRequest {
        var request = GraphRequest(input: path("clean.jsonl"), output: path("graph.kgraph"))
        request.threads = config.threads
        request.settings = config.graph
        request.settings.seed = config.seed
        return request
    }

    /// Builds the sample's k-NN graph (`graph.kgraph`, `similarity/`).
    func graph(_ clean: CleanedInput) throws -> SampleGraph {
        try begin("graph")
        var request = graphRequest
        request.progress = log.track("graph", unit: "people")
        let started = Date()
        let built = try GraphStage.build(people: clean.people, request: request)
        if let progress = request.progress { log.endTracking(progress) }
        let graph = built.graph
        try KGraphFormat.write(graph, to: request.output, kind: .peopleSimilarity)
        try SimilarityModel.write(to: path("similarity"), request: request, input: request.input, recordAs: "../clean.jsonl")
        let degrees = (0..<graph.vertexCount).map { graph.offsets[$0 + 1] - graph.offsets[$0] }
        let outcome = GraphOutcome(
            people: clean.people.count, features: built.features, vertices: graph.vertexCount, edges: graph.edgeCount,
            minimumDegree: degrees.min() ?? 0, meanDegree: degrees.isEmpty ? 0 : Double(degrees.reduce(0, +)) / Double(degrees.count),
            maximumDegree: degrees.max() ?? 0, isolated: degrees.filter { $0 == 0 }.count,
            seconds: Date().timeIntervalSince(started))
        done("graph", "\(graph.vertexCount) people, \(graph.edgeCount) edges", [("vertices", .int(graph.vertexCount)), ("edges", .int(graph.edgeCount))])
        return SampleGraph(built: built, outcome: outcome)
    }

    /// Clusters the sample (warm-started from the previous run), gives the clusters stable ids and
    /// profiles them (`clusters.csv`, `profiles.csv`).
    func cluster(_ sample: SampleGraph, people: [Person]) throws -> SampleClustering {
        try begin("cluster")
        let graph = sample.graph
        var options = config.cluster.options(seed: config.seed, threads: config.threads)
        let progress = log.track("cluster", unit: "vertex visits")
        progress.start(phase: "moving vertices")
        options.progress = progress
        var warm = 0
        if let previous {
            // Warm start: each sample person starts in their previous cluster (new people alone).
            var initial = [UInt32](repeating: UInt32.max, count: graph.vertexCount)
            for (v, id) in graph.ids.enumerated() {
                if case .some(.some(let c)) = previous.cluster(of: id) {
                    initial[v] = UInt32(bitPattern: c)
                    warm += 1
                }
            }
            if warm > 0 { options.initialMembership = initial }
        }
        let started = Date()
        let consensus = try ClusterStage.cluster(graph, options: options, consensus: config.cluster.consensus)
        let result = consensus.result
        log.endTracking(progress)
        let seconds = Date().timeIntervalSince(started)
        let (stable, nextClusterID, matches) = stableIDs(result, graph: graph)
        let membership = result.membership.map { UInt32(bitPattern: stable[Int($0)]) }
        try LabelFile.writePartition(ids: graph.ids, membership: membership, to: path("clusters.csv"))
        var profiles = ClusterProfiler.profiles(
            membership: result.membership, titles: people.map { $0.currentPosition?.title }, skills: people.map(\.skills), top: 3)
        for i in profiles.indices { profiles[i].cluster = Int(stable[i]) }
        try AtomicFileWriter.write(PipelineRun.profilesCSV(profiles), to: path("profiles.csv"))
        done("cluster", "\(result.communityCount) clusters, modularity \(String(format: "%.4f", result.modularity))" + (previous == nil ? "" : ", warm start from \(warm) people, \(matches.count) ids kept"),
             [("clusters", .int(result.communityCount)), ("modularity", .double(result.modularity)), ("warm_start_people", .int(warm))])
        return SampleClustering(
            result: result, membership: membership, stable: stable, nextClusterID: nextClusterID, matches: matches, profiles: profiles,
            warmStarted: warm, seconds: seconds)
    }

    /// Stable ids: the new communities matched to the previous run's clusters over the sample (fresh
    /// ids from the previous run's next id for the rest); 0, 1, … on a first run.
    private func stableIDs(_ result: CommunityResult, graph: Graph) -> (stable: [Int32], next: Int32, matches: [ClusterMatching.Match]) {
        guard let previous else {
            return ((0..<result.communityCount).map { Int32($0) }, Int32(result.communityCount), [])
        }
        var overlap = ClusterMatching.Overlap()
        for (v, id) in graph.ids.enumerated() {
            if case .some(.some(let c)) = previous.cluster(of: id) { overlap.add(previous: c, current: Int32(result.membership[v])) }
        }
        let matches = ClusterMatching.match(overlap, minimumJaccard: config.minimumJaccard)
        let (stable, next) = ClusterMatching.stableIDs(count: result.communityCount, matches: matches, nextID: previous.nextClusterID)
        return (stable, next, matches)
    }

    /// Builds the cluster model from the sample (reusing the graph's metric) and writes `model/`.
    func model(clean: CleanedInput, graph: SampleGraph, clustering: SampleClustering, inputSHA256: String) throws -> BuiltModel {
        try begin("model")
        var parameters = ClusterModel.Parameters()
        parameters.graph = graphRequest.settings
        parameters.sampleSize = config.sampleSize
        parameters.resolution = config.cluster.resolution
        parameters.asOf = clean.dates.asOf
        parameters.typicalTenureMonths = clean.dates.typicalTenureMonths
        let (model, closeness) = ModelStage.build(
            people: clean.people, built: graph.built, membership: clustering.membership, parameters: parameters,
            profiles: clustering.profiles, modularity: clustering.result.modularity, catalog: catalog,
            learnedTitles: clean.outcome.learnedTitles, overridesCSV: try overridesText(), pseudonymizer: pseudonymizer, inputSHA256: inputSHA256,
            inputRecords: clean.outcome.read, threads: config.threads)
        try model.write(to: path("model"))
        let selfAgreement = ModelStage.selfAgreement(
            people: clean.people, membership: clustering.membership, model: model, projection: config.projection, threads: config.threads)
        done("model", "self-agreement \(String(format: "%.4f", selfAgreement))", [("self_agreement", .double(selfAgreement))])
        return BuiltModel(model: model, closeness: closeness, selfAgreement: selfAgreement)
    }

    /// The overrides file's text, kept in the model (nil without one).
    private func overridesText() throws -> String? {
        guard let path = config.overrides else { return nil }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw KindredError(.io, "cannot read the overrides file", file: path)
        }
        return text
    }

    /// Assigns everyone (`assignments.csv`): the sample keeps its clusters, the rest is projected.
    func project(clean: CleanedInput, graph: SampleGraph, clustering: SampleClustering, model: ClusterModel) throws -> ProjectOutcome {
        try begin("project")
        var request = ProjectRequest(input: path("clean.jsonl"), output: path("assignments.csv"))
        request.inputIsClean = true
        request.failOnBadRecord = true
        request.keepRows = true
        request.projection = config.projection
        request.threads = config.threads
        let progress = log.track("project", unit: "records")
        progress.start(phase: "projecting", total: clean.outcome.written)
        request.progress = progress
        var known: [String: Int32] = [:]
        for (v, id) in graph.graph.ids.enumerated() { known[id] = Int32(bitPattern: clustering.membership[v]) }
        request.known = known
        let projection = try ProjectStage.run(request, model: model, pseudonymizer: nil)
        log.endTracking(progress)
        done("project", "\(projection.assigned) assigned, \(projection.unassigned) unassigned",
             [("assigned", .int(projection.assigned)), ("unassigned", .int(projection.unassigned))])
        return projection
    }

    /// Everyone's cluster sizes, the diff against the previous run (`diff.json`, `moved.csv`) and the
    /// stability of the partition under other seeds.
    func compare(clean: CleanedInput, graph: SampleGraph, clustering: SampleClustering, rows: AssignmentRows) throws -> RunComparison {
        try begin("compare")
        var sizes: [Int32: Int] = [:]
        for c in rows.clusters { if let c { sizes[c, default: 0] += 1 } }
        for id in clustering.stable where sizes[id] == nil { sizes[id] = 0 }
        let clusterSizes = sizes.keys.sorted().map { ($0, sizes[$0]!) }
        var diff: RunDiff?
        if let previous {
            let d = RunDiff.compute(
                previous: previous, ids: rows.ids, clusters: rows.clusters, clusterIDs: Set(clustering.stable),
                recordHashes: clean.outcome.recordHashes, matches: clustering.matches)
            try AtomicFileWriter.write(d.json() + "\n", to: path("diff.json"))
            try AtomicFileWriter.write(d.movedCSV(), to: path("moved.csv"))
            diff = d
        }
        let (stability, robustness) = try robustnessChecks(graph: graph.graph, clustering: clustering)
        done("compare", diff.map { "\($0.moved.count) people moved since \($0.previousKey), \(String(format: "%.1f", 100 * $0.idsKept))% of ids kept" } ?? "nothing to compare (not refreshed from an earlier run)",
             [("moved", .int(diff?.moved.count ?? 0))])
        return RunComparison(diff: diff, clusterSizes: clusterSizes, stability: stability, robustness: robustness)
    }

    /// The sample clustered again from scratch with other seeds, and with a share of its people left out
    /// (`[report] stability_seeds`, `stability_left_out`): ARI against this run and, per cluster, the
    /// share of its members kept together (`PartitionComparison.keptShares`). Nil without either check.
    private func robustnessChecks(graph: Graph, clustering: SampleClustering) throws -> ([(seed: UInt64, ari: Double)], PartitionRobustness?) {
        let reference = clustering.result.membership
        let count = clustering.result.communityCount
        var stability: [(seed: UInt64, ari: Double)] = []
        var seedKept = [Double](repeating: 0, count: count)
        for offset in 0..<config.stabilitySeeds {
            try StopControl.check()
            let other = config.cluster.options(seed: config.seed &+ UInt64(offset + 1), threads: config.threads)
            let again = try ClusterStage.cluster(graph, options: other, consensus: config.cluster.consensus).result
            stability.append((other.seed, PartitionComparison.adjustedRandIndex(reference, again.membership)))
            for (c, share) in PartitionComparison.keptShares(reference: reference, other: again.membership).prefix(count).enumerated() {
                seedKept[c] += share / Double(config.stabilitySeeds)
            }
        }
        var left: [Bool]?
        var leftOutARI: Double?
        var leftOutKept: [Double]?
        if config.stabilityLeftOut > 0 {
            try StopControl.check()
            // A seeded, fixed choice of people; their edges removed, everyone else clustered again.
            var rng = SeededGenerator(seed: config.seed, stream: 0x1EF7_0B7)
            let out = (0..<graph.vertexCount).map { _ in rng.nextUnit() < config.stabilityLeftOut }
            let options = config.cluster.options(seed: config.seed, threads: config.threads)
            let again = try ClusterStage.cluster(graph.leavingOut(out), options: options, consensus: config.cluster.consensus).result
            let kept = (0..<graph.vertexCount).filter { !out[$0] }
            leftOutARI = PartitionComparison.adjustedRandIndex(kept.map { reference[$0] }, kept.map { again.membership[$0] })
            leftOutKept = Array(PartitionComparison.keptShares(reference: reference, other: again.membership, include: out.map { !$0 }).prefix(count))
            left = out
        }
        guard !stability.isEmpty || left != nil else { return (stability, nil) }
        var sizes = [Int](repeating: 0, count: count)
        for c in reference { sizes[Int(c)] += 1 }
        let clusters = (0..<count).map { c in
            PartitionRobustness.Cluster(
                id: clustering.stable[c], sampleSize: sizes[c], keptAcrossSeeds: stability.isEmpty ? nil : seedKept[c],
                keptWithPeopleLeftOut: leftOutKept?[c])
        }
        let robustness = PartitionRobustness(
            worstSeedARI: stability.map(\.ari).min(), leftOutShare: config.stabilityLeftOut, leftOutPeople: left?.filter { $0 }.count ?? 0,
            leftOutARI: leftOutARI, clusters: clusters.sorted { $0.id < $1.id })
        return (stability, robustness)
    }

    /// Scores the sample against the truth (`evaluation.json`) when the config names one.
    private func evaluate(graph: SampleGraph, clustering: SampleClustering) throws -> Evaluation? {
        guard let truthPath = config.truth else { return nil }
        var truth = try LabelFile.read(path: truthPath, column: config.truthColumn)
        truth = truth.map { (pseudonymizer.pseudonym(for: $0.node), $0.label) }
        let clusters = zip(graph.graph.ids, clustering.membership).map { (node: $0.0, label: String($0.1)) }
        var scored = EvaluateStage.evaluate(clusters: clusters, truth: truth)
        scored.modularity = clustering.result.modularity
        try AtomicFileWriter.write(PipelineRun.evaluationJSON(scored) + "\n", to: path("evaluation.json"))
        return scored
    }

    /// `count` of `people` (all when fewer), evenly spaced: positions i · n / count.
    static func evenlySpaced(_ people: [Person], count: Int) -> [Person] {
        let count = min(count, people.count)
        return (0..<max(count, 0)).map { people[$0 * people.count / count] }
    }

    /// The report's sensitivity chart: `[report] sensitivity_people` sample people, evenly spaced through
    /// the sample (`CleanedInput.sensitivityPeople`), varied in tenure (−24…24 months by 6) and job
    /// switches (0…4) as `kindred sensitivity` does.
    func sensitivityCurves(people: [Person], model: ClusterModel) -> [SensitivityCurve] {
        guard !people.isEmpty else { return [] }
        let factors = SensitivityStage.defaultVary.compactMap { try? SensitivityStage.parseVary($0) { Position(title: $0) } }
        let projector = model.projector(config.projection)
        let scratch = projector.makeScratch()
        var curves: [SensitivityCurve] = []
        var shown = 0
        for person in people {
            let reference = model.tempo?.scale.reference ?? SensitivityStage.latestMonth(of: person)
            let (steps, _) = Sensitivity.analyse(person, factors: factors, projector: projector, scratch: scratch, reference: reference)
            guard let own = steps.first?.ownCluster else { continue }
            shown += 1
            for factor in factors {
                let rows = steps.filter { $0.factor == factor.name && $0.similarityOwn != nil }
                curves.append(
                    SensitivityCurve(
                        factor: factor.name, unit: factor.unit ?? "", person: "person \(shown)", cluster: own,
                        points: rows.map { ($0.value, $0.similarityOwn!) }, flips: rows.filter(\.flipped).map(\.value)))
            }
        }
        return curves
    }

    /// `[report] pdf`: prints `report.html` to `report.pdf` with headless Chromium, its dates set to the
    /// first of the as-of month (the same run prints the same bytes). Without Chromium, or when it
    /// fails, the run goes on with the HTML alone and logs a `pdf_skipped` warning saying why.
    /// - Returns: the number of pages, or nil when no PDF was written.
    private func printPDF(asOf: YearMonth) -> Int? {
        do {
            let printer = try PDFPrinter.find()
            let date = asOf.description.replacingOccurrences(of: "-", with: "") + "01000000"
            return try printer.print(html: path("report.html"), to: path("report.pdf"), fixedDate: date)
        } catch let error as KindredError {
            log.warning("pdf_skipped", "report.pdf not written: \(error.message); report.html is complete")
        } catch {
            log.warning("pdf_skipped", "report.pdf not written: \(error); report.html is complete")
        }
        try? FileManager.default.removeItem(atPath: path("report.pdf"))
        return nil
    }

    /// The evaluation, the HTML report and `summary.json`; returns the run's summary.
    func report(
        clean: CleanedInput, graph: SampleGraph, clustering: SampleClustering, model: BuiltModel, projection: ProjectOutcome,
        comparison: RunComparison, configHash: String, inputSHA256: String
    ) throws -> RunSummary {
        try begin("report")
        var files = [
            ("clean people", "clean.jsonl"), ("quarantine", "quarantine.jsonl"), ("cleaning report", "clean_report.md"), ("graph", "graph.kgraph"),
            ("clusters (the sample)", "clusters.csv"), ("cluster profiles", "profiles.csv"), ("model", "model/"),
            ("everyone's cluster", "assignments.csv"), ("similarity model", "similarity/"),
        ]
        if comparison.diff != nil { files += [("what changed", "diff.json"), ("people who moved", "moved.csv")] }
        let evaluation = try evaluate(graph: graph, clustering: clustering)
        if evaluation != nil { files.append(("evaluation", "evaluation.json")) }
        let result = clustering.result
        var summary = RunSummary(
            output: folder, clean: clean.outcome, graph: graph.outcome, modularity: result.modularity, communities: result.communityCount,
            levels: result.levels.count, clusterSeconds: clustering.seconds, profiles: clustering.profiles, evaluation: evaluation,
            sampled: clean.sampled, selfAgreement: model.selfAgreement, projection: projection, totalSeconds: 0, files: files)
        summary.clusterSizes = comparison.clusterSizes
        summary.nextClusterID = clustering.nextClusterID
        summary.diff = comparison.diff
        summary.stability = comparison.stability
        summary.robustness = comparison.robustness
        summary.warmStarted = clustering.warmStarted
        summary.keyCheck = ClusterModel.keyCheck(pseudonymizer)
        summary.inputSHA256 = inputSHA256
        let reportData = ReportBuilder.data(
            summary: summary, runKey: runKey, configHash: configHash, membership: clustering.membership, closeness: model.closeness,
            model: model.model, typicalMembers: config.typicalMembers, ids: graph.graph.ids)
        var withCurves = reportData
        withCurves.sensitivity = sensitivityCurves(people: clean.sensitivityPeople, model: model.model)
        let asOf = config.effectiveAsOf(runKey: runKey)
        withCurves.asOf = asOf.description
        try AtomicFileWriter.write(HTMLReport.render(withCurves, page: config.reportPage), to: path("report.html"))
        summary.files.append(("report", "report.html"))
        let printed = config.reportPDF ? printPDF(asOf: asOf) : nil
        if printed != nil { summary.files.append(("printed report", "report.pdf")) }
        summary.files.append(("summary", "summary.json"))
        try AtomicFileWriter.write(PipelineRun.summaryJSON(summary) + "\n", to: path("summary.json"))
        done("report", printed.map { "report.html and report.pdf (\($0) pages) written" } ?? "report.html written")
        summary.timings = timings
        summary.totalSeconds = Date().timeIntervalSince(started)
        log.finishProgress()
        return summary
    }
}
