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
    /// Robustness of the partition to the seed and to people left out, overall and per cluster.
    public var robustness: PartitionRobustness?
    /// Whether the clustering started from the previous run's partition, and how many sample people it knew.
    public var warmStarted = 0
    public var keyCheck = ""
    public var inputSHA256 = ""
}

/// The whole job: clean → sample → graph → cluster (warm-started from the previous run) → stable
/// ids → model → project everyone → diff → profiles, evaluation and the HTML report.
public enum PipelineRun {
    /// `summary.json`'s `stability` object: the worst seed ARI, the left-out check and each cluster's kept shares.
    static func robustnessJSON(_ r: PartitionRobustness) -> String {
        var j = JSONText()
        if let x = r.worstSeedARI { j.add("worst_seed_ari", x, digits: 4) }
        if let x = r.leftOutARI {
            j.add("left_out_share", r.leftOutShare, digits: 4)
            j.add("left_out_people", r.leftOutPeople)
            j.add("left_out_ari", x, digits: 4)
        }
        var clusters = JSONText()
        for c in r.clusters {
            var one = JSONText()
            one.add("sample_size", c.sampleSize)
            if let x = c.keptAcrossSeeds { one.add("kept_across_seeds", x, digits: 4) }
            if let x = c.keptWithPeopleLeftOut { one.add("kept_with_people_left_out", x, digits: 4) }
            clusters.add(String(c.id), raw: one.text)
        }
        j.add("clusters", raw: clusters.text)
        return j.text
    }

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
    /// Each stage takes the values the ones before it returned: nothing is read back or fitted twice.
    /// - Throws: `KindredError` for bad configuration or input, or when asked to stop.
    public static func run(
        _ config: RunConfig, into folder: String, previous: PreviousRun?, runKey: String, environment: [String: String], log: RunLog = .silent,
        configHash: String, inputSHA256: String
    ) throws -> RunSummary {
        guard let input = config.input else { throw KindredError.usage("no input: give --input FILE or `input` in the config") }
        let run = RunStages(
            config: config, folder: folder, runKey: runKey, log: log, input: input, previous: previous,
            pseudonymizer: try Pseudonymizer.resolve(keyFile: config.keyFile, environment: environment, allowDemoKey: config.demoKey),
            catalog: try DictionaryLocation.load(explicit: config.catalog, environment: environment))
        var clean = try run.clean()
        let graph = try run.graph(clean)
        let clustering = try run.cluster(graph, people: clean.people)
        let model = try run.model(clean: clean, graph: graph, clustering: clustering, inputSHA256: inputSHA256)
        // Nothing after the model needs the sample's people but the sensitivity chart's few.
        clean.letSampleGo(keepingForSensitivity: config.sensitivityPeople)
        MemoryBudget.returnFreedMemory()
        let projection = try run.project(clean: clean, graph: graph, clustering: clustering, model: model.model)
        let comparison = try run.compare(clean: clean, graph: graph, clustering: clustering, rows: projection.rows)
        return try run.report(
            clean: clean, graph: graph, clustering: clustering, model: model, projection: projection, comparison: comparison,
            configHash: configHash, inputSHA256: inputSHA256)
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
        if let r = s.robustness { json.add("stability", raw: robustnessJSON(r)) }
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
    public static func read(path: String) throws -> AssignmentRows {
        var rows = AssignmentRows()
        let reader = try LineReader(path: path)
        while let line = try reader.nextString() {
            if reader.lineNumber == 1 || line.isEmpty { continue }
            let fields = try CSV.fields(of: line)
            guard fields.count >= 2 else { throw KindredError.badInput("expected id,cluster,…", file: path, line: reader.lineNumber) }
            if fields[1] == "unassigned" {
                rows.append(id: fields[0], cluster: nil)
            } else {
                guard let c = Int32(fields[1]) else { throw KindredError.badInput("not a cluster id", file: path, line: reader.lineNumber, field: "cluster") }
                rows.append(id: fields[0], cluster: c)
            }
        }
        return rows
    }
}
