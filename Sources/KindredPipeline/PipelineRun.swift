import Foundation
import KindredClean
import KindredCommunity
import KindredCore
import KindredGraph
import KindredPeople
import KindredProjection
import KindredReport
import Crypto

/// Everything a finished run reports: reconciliation, graph, clustering, profiles, evaluation.
public struct RunSummary: Sendable {
    public var output: String
    public var clean: CleanOutcome
    public var graph: GraphOutcome
    public var modularity: Double
    public var communities: Int
    public var levels: Int
    public var clusterSeconds: Double
    /// Profiles of the clustered sample, with stable cluster ids, largest first.
    public var profiles: [ClusterProfile]
    public var evaluation: Evaluation?
    /// People clustered (the reservoir sample) and the projection of everyone onto them.
    public var sampled = 0
    public var selfAgreement = 0.0
    public var projection = ProjectOutcome()
    public var totalSeconds: Double
    /// Files written, by role (relative to the run folder).
    public var files: [(String, String)]
    /// Seconds per stage, in order (kept out of the output files, which must not depend on time).
    public var timings: [(String, Double)] = []
    /// The stable cluster ids and people assigned to each (everyone, not just the sample).
    public var clusterSizes: [(Int32, Int)] = []
    /// Above every cluster id handed out so far.
    public var nextClusterID: Int32 = 0
    /// What changed since the previous run, when there was one.
    public var diff: RunDiff?
    /// ARI of the partition against reclusterings of the sample with other seeds.
    public var stability: [(seed: UInt64, ari: Double)] = []
    /// Whether the clustering started from the previous run's partition, and how many sample people it knew.
    public var warmStarted = 0
    public var keyCheck = ""
    public var inputSHA256 = ""
}

/// The whole job: clean → sample → graph → cluster (warm-started from the previous run) → stable
/// ids → model → project everyone → diff → profiles, evaluation and the HTML report.
public enum PipelineRun {
    /// What to change when `stage` passes the memory limit (`--max-memory`).
    static func memoryAdvice(stage: String, sample: Int) -> String {
        switch stage {
        case "graph", "cluster", "model":
            return "cluster a smaller sample (now \(sample) people: [sample] size in the config, KINDRED_SAMPLE_SIZE or --sample), or raise --max-memory; everyone else is still projected"
        case "project":
            return "project in shards instead (`kindred project --shard i/N` on a saved model), or raise --max-memory"
        case "clean":
            return "cluster a smaller sample (now \(sample) people, held in memory while cleaning: [sample] size, KINDRED_SAMPLE_SIZE or --sample), or raise --max-memory"
        default:
            return "split the input into parts, or raise --max-memory"
        }
    }

    /// Where a failed run's quarantine file is kept: `OUTPUT/failed/KEY/quarantine.jsonl` (the run's
    /// own folder is never published when it fails).
    public static func keptQuarantinePath(output: String, runKey: String) -> String {
        joinPath(joinPath(joinPath(output, "failed"), runKey), "quarantine.jsonl")
    }

    /// The error for a run whose every record was quarantined: the quarantine file moved out of the
    /// staging folder to `keptQuarantinePath`, and a message with the reasons (counts and first lines,
    /// no record content), the formats Kindred reads, and where the quarantine file is.
    static func nothingToCluster(_ clean: CleanOutcome, input: String, staging: String, output: String?, runKey: String) -> KindredError {
        var kept = joinPath(staging, "quarantine.jsonl")
        if let output {
            let target = keptQuarantinePath(output: output, runKey: runKey)
            let folder = String(target.dropLast("/quarantine.jsonl".count))
            if (try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)) != nil,
                rename(joinPath(staging, "quarantine.jsonl"), target) == 0
            {
                kept = target
            }
        }
        var lines = ["no clean people to cluster: every record was quarantined (read \(clean.read), quarantined \(clean.quarantined))"]
        lines += clean.reasonSummary().map { "  " + $0 }
        lines.append(PeopleFormat.expectation)
        lines.append("quarantine file (reasons by line): \(kept)")
        return KindredError.badInput(lines.joined(separator: "\n"), file: input, line: nil)
    }

    /// Runs the pipeline, writing every output (atomically) into `folder`, which must exist.
    /// `previous` is the run to refresh from (made with the same pseudonymisation key: `Job` checks);
    /// `inputSHA256` the input's fingerprint. Checks `StopControl` between stages and chunks.
    /// - Throws: `KindredError` for bad configuration or input, or when asked to stop.
    public static func run(
        _ config: RunConfig, into folder: String, previous: PreviousRun?, runKey: String, environment: [String: String], log: RunLog = .silent,
        configHash: String, inputSHA256: String
    ) throws -> RunSummary {
        let started = Date()
        var timings: [(String, Double)] = []
        var stageStarted = Date()
        let stageNames = ["clean", "graph", "cluster", "model", "project", "compare", "report"]
        func stage(_ name: String) throws {
            try StopControl.check()
            MemoryBudget.setAdvice(PipelineRun.memoryAdvice(stage: name, sample: config.sampleSize))
            log.progress(step: stageNames.firstIndex(of: name) ?? 0, of: stageNames.count, name)
            stageStarted = Date()
        }
        func done(_ name: String, _ message: String, _ fields: [(String, RunLog.Value)] = []) {
            let seconds = Date().timeIntervalSince(stageStarted)
            timings.append((name, seconds))
            log.info("stage_done", "\(name): \(message) (\(String(format: "%.2f", seconds)) s)", [("stage", .string(name)), ("seconds", .double(seconds))] + fields)
        }
        guard let input = config.input else { throw KindredError.usage("no input: give --input FILE or `input` in the config") }
        let pseudonymizer = try Pseudonymizer.resolve(keyFile: config.keyFile, environment: environment, allowDemoKey: config.demoKey)
        let keyCheck = ClusterModel.keyCheck(pseudonymizer)
        let catalog = try DictionaryLocation.load(explicit: config.catalog, environment: environment)
        func path(_ name: String) -> String { joinPath(folder, name) }

        try stage("clean")
        var cleanRequest = CleanRequest(
            input: input, output: path("clean.jsonl"), quarantine: path("quarantine.jsonl"), catalog: catalog,
            pseudonymizer: pseudonymizer)
        cleanRequest.threads = config.threads
        cleanRequest.progress = log.track("clean", unit: "records")
        cleanRequest.report = path("clean_report.json")
        cleanRequest.sampleSize = config.sampleSize
        cleanRequest.sampleSeed = config.seed
        cleanRequest.showValues = config.showValues
        cleanRequest.dates.asOf = config.effectiveAsOf(runKey: runKey)
        cleanRequest.format = config.inputFormat
        cleanRequest.delimiter = config.delimiter
        cleanRequest.dateOrder = config.dateOrder
        let clean = try CleanStage.run(cleanRequest)
        if let progress = cleanRequest.progress { log.endTracking(progress) }
        done("clean", "read \(clean.read) = written \(clean.written) + quarantined \(clean.quarantined)",
             [("read", .int(clean.read)), ("written", .int(clean.written)), ("quarantined", .int(clean.quarantined))])
        if clean.quarantined > 0 {
            log.warning("quarantined", "quarantined: " + clean.reasonSummary().joined(separator: "; "), [("quarantined", .int(clean.quarantined))])
        }

        try stage("graph")
        var graphRequest = GraphRequest(input: path("clean.jsonl"), output: path("graph.kgraph"))
        graphRequest.threads = config.threads
        graphRequest.progress = log.track("graph", unit: "people")
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
        if people.isEmpty { throw PipelineRun.nothingToCluster(clean, input: input, staging: folder, output: config.output, runKey: runKey) }
        let graphStarted = Date()
        let (graph, features, _) = try GraphStage.build(people: people, request: graphRequest)
        if let progress = graphRequest.progress { log.endTracking(progress) }
        try KGraphFormat.write(graph, to: graphRequest.output, kind: .peopleSimilarity)
        try SimilarityModel.write(to: path("similarity"), request: graphRequest, input: graphRequest.input, recordAs: "../clean.jsonl")
        let degrees = (0..<graph.vertexCount).map { graph.offsets[$0 + 1] - graph.offsets[$0] }
        let graphOutcome = GraphOutcome(
            people: people.count, features: features, vertices: graph.vertexCount, edges: graph.edgeCount,
            minimumDegree: degrees.min() ?? 0, meanDegree: degrees.isEmpty ? 0 : Double(degrees.reduce(0, +)) / Double(degrees.count),
            maximumDegree: degrees.max() ?? 0, isolated: degrees.filter { $0 == 0 }.count,
            seconds: Date().timeIntervalSince(graphStarted))
        done("graph", "\(graph.vertexCount) people, \(graph.edgeCount) edges", [("vertices", .int(graph.vertexCount)), ("edges", .int(graph.edgeCount))])

        try stage("cluster")
        var options = LouvainOptions()
        options.resolution = config.resolution
        options.seed = config.seed
        options.threads = config.threads
        let clusterProgress = log.track("cluster", unit: "vertex visits")
        clusterProgress.start(phase: "moving vertices")
        options.progress = clusterProgress
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
        let clusterStarted = Date()
        let result = try ClusterStage.cluster(graph, options: options)
        log.endTracking(clusterProgress)
        let clusterSeconds = Date().timeIntervalSince(clusterStarted)
        // Stable ids: match the new communities to the previous run's clusters over the sample.
        var matches: [ClusterMatching.Match] = []
        let stable: [Int32]
        let nextClusterID: Int32
        if let previous {
            var overlap = ClusterMatching.Overlap()
            for (v, id) in graph.ids.enumerated() {
                if case .some(.some(let c)) = previous.cluster(of: id) { overlap.add(previous: c, current: Int32(result.membership[v])) }
            }
            matches = ClusterMatching.match(overlap, minimumJaccard: config.minimumJaccard)
            (stable, nextClusterID) = ClusterMatching.stableIDs(count: result.communityCount, matches: matches, nextID: previous.nextClusterID)
        } else {
            stable = (0..<result.communityCount).map { Int32($0) }
            nextClusterID = Int32(result.communityCount)
        }
        let membership = result.membership.map { UInt32(bitPattern: stable[Int($0)]) }
        try LabelFile.writePartition(ids: graph.ids, membership: membership, to: path("clusters.csv"))
        var profiles = ClusterProfiler.profiles(
            membership: result.membership, titles: people.map { $0.currentPosition?.title }, skills: people.map(\.skills), top: 3)
        for i in profiles.indices { profiles[i].cluster = Int(stable[i]) }
        try AtomicFileWriter.write(profilesCSV(profiles), to: path("profiles.csv"))
        done("cluster", "\(result.communityCount) clusters, modularity \(String(format: "%.4f", result.modularity))" + (previous == nil ? "" : ", warm start from \(warm) people, \(matches.count) ids kept"),
             [("clusters", .int(result.communityCount)), ("modularity", .double(result.modularity)), ("warm_start_people", .int(warm))])

        try stage("model")
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
        let (model, embedding) = ModelStage.build(
            people: people, membership: membership, parameters: parameters, profiles: profiles, modularity: result.modularity,
            catalog: catalog, learnedTitles: clean.learnedTitles, overridesCSV: nil, pseudonymizer: pseudonymizer,
            inputSHA256: inputSHA256, inputRecords: clean.read, threads: config.threads)
        try model.write(to: path("model"))
        let selfAgreement = ModelStage.selfAgreement(
            people: people, membership: membership, model: model, method: config.projectionMethod, k: config.projectionK,
            probes: config.probes, threads: config.threads)
        done("model", "self-agreement \(String(format: "%.4f", selfAgreement))", [("self_agreement", .double(selfAgreement))])

        try stage("project")
        var projectRequest = ProjectRequest(input: path("clean.jsonl"), output: path("assignments.csv"))
        projectRequest.inputIsClean = true
        projectRequest.failOnBadRecord = true
        projectRequest.method = config.projectionMethod
        projectRequest.k = config.projectionK
        projectRequest.probes = config.probes
        projectRequest.threads = config.threads
        let projectProgress = log.track("project", unit: "records")
        projectProgress.start(phase: "projecting", total: clean.written)
        projectRequest.progress = projectProgress
        var known: [String: Int32] = [:]
        for (v, id) in graph.ids.enumerated() { known[id] = Int32(bitPattern: membership[v]) }
        projectRequest.known = known
        let projection = try ProjectStage.run(projectRequest, model: model, pseudonymizer: nil)
        log.endTracking(projectProgress)
        done("project", "\(projection.assigned) assigned, \(projection.unassigned) unassigned",
             [("assigned", .int(projection.assigned)), ("unassigned", .int(projection.unassigned))])

        try stage("compare")
        let everyone = try AssignmentsFile.read(path: path("assignments.csv"))
        var sizes: [Int32: Int] = [:]
        for c in everyone.clusters { if let c { sizes[c, default: 0] += 1 } }
        for id in stable where sizes[id] == nil { sizes[id] = 0 }
        let clusterSizes = sizes.keys.sorted().map { ($0, sizes[$0]!) }
        var diff: RunDiff?
        if let previous {
            let hashes = try PreviousRun.recordHashes(path: path("clean.jsonl"))
            let d = RunDiff.compute(
                previous: previous, ids: everyone.ids, clusters: everyone.clusters, clusterIDs: Set(stable), recordHashes: hashes, matches: matches)
            try AtomicFileWriter.write(d.json() + "\n", to: path("diff.json"))
            try AtomicFileWriter.write(d.movedCSV(), to: path("moved.csv"))
            diff = d
        }
        // Stability: the same sample clustered from scratch with other seeds.
        var stability: [(seed: UInt64, ari: Double)] = []
        for offset in 0..<config.stabilitySeeds {
            try StopControl.check()
            var other = LouvainOptions()
            other.resolution = config.resolution
            other.seed = config.seed &+ UInt64(offset + 1)
            other.threads = config.threads
            let again = try ClusterStage.cluster(graph, options: other)
            stability.append((other.seed, PartitionComparison.adjustedRandIndex(result.membership, again.membership)))
        }
        done("compare", diff.map { "\($0.moved.count) people moved since \($0.previousKey), \(String(format: "%.1f", 100 * $0.idsKept))% of ids kept" } ?? "nothing to compare (not refreshed from an earlier run)",
             [("moved", .int(diff?.moved.count ?? 0))])

        try stage("report")
        var evaluation: Evaluation?
        var files = [
            ("clean people", "clean.jsonl"), ("quarantine", "quarantine.jsonl"), ("cleaning report", "clean_report.md"), ("graph", "graph.kgraph"),
            ("clusters (the sample)", "clusters.csv"), ("cluster profiles", "profiles.csv"), ("model", "model/"),
            ("everyone's cluster", "assignments.csv"), ("similarity model", "similarity/"),
        ]
        if diff != nil { files += [("what changed", "diff.json"), ("people who moved", "moved.csv")] }
        if let truthPath = config.truth {
            var truth = try LabelFile.read(path: truthPath, column: config.truthColumn)
            truth = truth.map { (pseudonymizer.pseudonym(for: $0.node), $0.label) }
            let clusters = zip(graph.ids, membership).map { (node: $0.0, label: String($0.1)) }
            var scored = EvaluateStage.evaluate(clusters: clusters, truth: truth)
            scored.modularity = result.modularity
            evaluation = scored
            try AtomicFileWriter.write(evaluationJSON(scored) + "\n", to: path("evaluation.json"))
            files.append(("evaluation", "evaluation.json"))
        }
        var summary = RunSummary(
            output: folder, clean: clean, graph: graphOutcome, modularity: result.modularity, communities: result.communityCount,
            levels: result.levels.count, clusterSeconds: clusterSeconds, profiles: profiles, evaluation: evaluation,
            sampled: people.count, selfAgreement: selfAgreement, projection: projection, totalSeconds: 0, files: files)
        summary.clusterSizes = clusterSizes
        summary.nextClusterID = nextClusterID
        summary.diff = diff
        summary.stability = stability
        summary.warmStarted = warm
        summary.keyCheck = keyCheck
        summary.inputSHA256 = inputSHA256
        let reportData = ReportBuilder.data(
            summary: summary, runKey: runKey, configHash: configHash, membership: membership, embedding: embedding, model: model,
            typicalMembers: config.typicalMembers, ids: graph.ids)
        try AtomicFileWriter.write(HTMLReport.render(reportData), to: path("report.html"))
        summary.files.append(("report", "report.html"))
        summary.files.append(("summary", "summary.json"))
        try AtomicFileWriter.write(summaryJSON(summary) + "\n", to: path("summary.json"))
        done("report", "report.html written")
        summary.timings = timings
        summary.totalSeconds = Date().timeIntervalSince(started)
        log.finishProgress()
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
        json.add("clusters", e.communities)
        json.add("communities", e.communities)  // the older name, kept for readers of earlier output
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
        json.add("graph", raw: graph.text)
        json.add("modularity", s.modularity)
        json.add("communities", s.communities)
        json.add("levels", s.levels)
        var sample = JSONText()
        sample.add("clustered", s.sampled)
        sample.add("of", s.clean.written)
        sample.add("self_agreement", s.selfAgreement, digits: 4)
        json.add("sample", raw: sample.text)
        json.add("projection", raw: ProjectStage.summaryJSON(s.projection, timings: false))
        if let e = s.evaluation { json.add("evaluation", raw: evaluationJSON(e)) }
        var clusters = JSONText()
        for (id, size) in s.clusterSizes { clusters.add(String(id), size) }
        json.add("cluster_sizes", raw: clusters.text)
        json.add("next_cluster_id", Int(s.nextClusterID))
        json.add("stability_ari", raw: "[" + s.stability.map { "{\"seed\":\($0.seed),\"ari\":\(JSONText.number($0.ari, digits: 4))}" }.joined(separator: ",") + "]")
        if let d = s.diff {
            var refresh = JSONText()
            refresh.add("previous_run", d.previousKey)
            refresh.add("warm_start_people", s.warmStarted)
            refresh.add("ids_kept_share", d.idsKept, digits: 4)
            refresh.add("moved", d.moved.count)
            refresh.add("ari_vs_previous", d.changes.ari, digits: 4)
            json.add("refresh", raw: refresh.text)
        }
        return json.text
    }
}

/// Hex SHA-256 of a text.
func sha256Hex(_ text: String) -> String {
    SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
}

/// Reads `assignments.csv` (`id,cluster,…`; `unassigned` for none).
public enum AssignmentsFile {
    public static func read(path: String) throws -> (ids: [String], clusters: [Int32?]) {
        var ids: [String] = []
        var clusters: [Int32?] = []
        let reader = try LineReader(path: path)
        while let line = try reader.nextString() {
            if reader.lineNumber == 1 || line.isEmpty { continue }
            let fields = try CSV.fields(of: line)
            guard fields.count >= 2 else { throw KindredError.badInput("expected id,cluster,…", file: path, line: reader.lineNumber) }
            if fields[1] == "unassigned" {
                clusters.append(nil)
            } else {
                guard let c = Int32(fields[1]) else { throw KindredError.badInput("not a cluster id", file: path, line: reader.lineNumber, field: "cluster") }
                clusters.append(c)
            }
            ids.append(fields[0])
        }
        return (ids, clusters)
    }
}
