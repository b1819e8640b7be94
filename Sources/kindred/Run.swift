import ArgumentParser
import Foundation
import KindredCore
import KindredPeople
import KindredPipeline
import KindredProjection
import KindredReport
import KindredSimilarity

/// `kindred run`: the whole pipeline from a TOML config and/or flags.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the whole job: clean → sample → graph → cluster → model → project everyone → diff → report.",
        discussion: """
            Settings come from CONFIG (a TOML file; paths relative to it), then environment variables \
            (KINDRED_SEED, KINDRED_GRAPH_K, …: one per config key, KINDRED_SECTION_KEY), then flags; flags win. \
            The people file is --input (or `input` in the config), never the positional argument.

            Outputs go to OUTPUT/runs/KEY/ (KEY from --run-key; without it "auto-" and a hash of the settings \
            and the input), written to a staging folder and published in one step with manifest.json last; \
            OUTPUT/latest points at the newest good run and OUTPUT/catalog.sqlite lists every run (`kindred \
            runs`). The clustering warm-starts from the previous good run and keeps its cluster ids (diff.json, \
            moved.csv). One run per output folder at a time.
            """)

    @Argument(help: "Config file (TOML); the people file goes in --input.") var config: String?
    @Option(help: "People file (JSON Lines, a JSON array or CSV; .gz allowed).") var input: String?
    @Option(name: .customLong("format"), help: "Input format: jsonl, json (an array) or csv (default: from the file name and content).") var peopleFormat: PeopleFormat?
    @OptionGroup var inputOptions: InputOptions
    @Option(help: "Output folder.") var output: String?
    @Option(help: "Occupation catalogue.") var catalog: String?
    @Option(help: "Ground truth (CSV node,label) with raw ids, to evaluate the clusters.") var truth: String?
    @Option(help: "Truth column to use (by header name; default the second column). Config `truth_column`, KINDRED_TRUTH_COLUMN.") var truthColumn: String?
    @Option(help: "Random seed.") var seed: UInt64?
    @Option(help: "Worker threads (default: the CPUs this process may use, container quota included); never changes the output. Config `threads`, KINDRED_THREADS.") var threads: Int?
    @Option(help: "Neighbours per person (default \(GraphSettings().k)).") var k: Int?
    @Option(help: "Minimum cosine similarity for an edge.") var minSimilarity: Float?
    @Option(help: "Resolution γ ≥ 0: higher gives more, smaller clusters (default \(ClusterSettings().resolution)).") var resolution: Double?
    @Option(help: "People clustered: a seeded reservoir sample of the input (default 200000); the rest are projected.") var sample: Int?
    @Option(help: "How everyone else is assigned: vote or centroid.") var projectMethod: ProjectionMethod?
    @Option(help: "Names the run's folder OUTPUT/runs/KEY (e.g. the schedule's date); same inputs, config and key give the same bytes.") var runKey: String?
    @Option(help: "Run to refresh from: auto (the catalog's last good run), none, a run key or a run folder.") var previous: String?
    @Option(help: "Wait up to this many seconds for another run on the same output folder (default 0: exit 75 at once).") var lockWait: Double?
    @Option(help: "Stop cleanly after this long: seconds or 45m, 2h (exit 1, previous outputs kept).") var maxRuntime: String?
    @Option(help: "Messages on stderr: text or json (JSON Lines); default KINDRED_LOG_FORMAT, else text.") var logFormat: RunLog.Format?
    @Option(help: "Check dates against this month, YYYY-MM (default: the run key's month when it starts with a date, else this month).") var asOf: String?
    @Flag(help: "Exit 3 (after publishing the run) when records were quarantined.") var strict = false
    @Flag(help: "Keep raw values in the run's quarantine file (default: identifiers redacted).") var showValues = false
    @OptionGroup var key: KeyOptions
    @Flag(help: "Print one JSON summary object on stdout.") var json = false

    @OptionGroup var resources: ResourceOptions

    func run() throws {
        try guarded(resources) {
            let environment = ProcessInfo.processInfo.environment
            let fromEnvironment = try environment["KINDRED_LOG_FORMAT"].map { name in
                guard let format = RunLog.Format(rawValue: name) else { throw KindredError.usage("KINDRED_LOG_FORMAT must be text or json") }
                return format
            }
            let format = logFormat ?? fromEnvironment ?? .text
            let log = RunLog(format: format, environment: environment)
            do {
                try body(environment: environment, format: format, log: log)
            } catch let error as KindredError where format == .json {
                log.error("run_failed", error.description, [("exit_code", .int(Int(error.exitStatus)))])
                throw ExitCode(error.exitStatus)
            }
        }
    }

    private func body(environment: [String: String], format: RunLog.Format, log: RunLog) throws {
        do {
            var settings = try RunConfig.load(path: config, environment: environment)
            for warning in settings.warnings { log.warning("deprecated_setting", warning) }
            if let input { settings.input = input }
            if let peopleFormat { settings.readOptions.format = peopleFormat }
            if let d = try inputOptions.parsedDelimiter() { settings.readOptions.delimiter = d }
            if let o = inputOptions.dateOrder { settings.readOptions.dateOrder = o }
            if let output { settings.output = output }
            if let catalog { settings.catalog = catalog }
            if let truth { settings.truth = truth }
            if let truthColumn {
                guard !truthColumn.isEmpty else { throw KindredError.usage("--truth-column must name a column") }
                settings.truthColumn = truthColumn
            }
            if let seed { settings.seed = seed }
            if let threads {
                guard threads >= 1 else { throw KindredError.usage("--threads must be at least 1") }
                settings.threads = threads
            }
            if let k {
                guard k >= 1 else { throw KindredError.usage("--k must be at least 1") }
                settings.graph.k = k
            }
            if let minSimilarity { settings.graph.minimumSimilarity = minSimilarity }
            if let resolution {
                settings.cluster.resolution = resolution
                if let problem = settings.cluster.problem() { throw KindredError.usage("--\(problem.field): \(problem.message)") }
            }
            if let sample {
                guard sample >= 1 else { throw KindredError.usage("--sample must be at least 1") }
                settings.sampleSize = sample
            }
            if let projectMethod { settings.projection.method = projectMethod }
            if let runKey {
                guard RunConfig.isValidRunKey(runKey) else { throw KindredError.usage("--run-key: 1–100 letters, digits, '.', '_' or '-', not starting with '.'") }
                settings.runKey = runKey
            }
            if let previous { settings.previous = previous }
            if let maxRuntime {
                guard let seconds = StopControl.parseDuration(maxRuntime) else { throw KindredError.usage("--max-runtime: expected seconds or a duration such as 45m, 2h") }
                settings.maximumRuntime = seconds
            }
            var wait = 0.0
            if let text = lockWait.map({ String($0) }) ?? environment["KINDRED_LOCK_WAIT"] {
                guard let w = Double(text), w >= 0, w.isFinite else { throw KindredError.usage("--lock-wait (or KINDRED_LOCK_WAIT) must be a number of seconds ≥ 0") }
                wait = w
            }
            if let asOf {
                guard let month = YearMonth(parsing: asOf) else { throw KindredError.usage("--as-of must be a month, YYYY-MM") }
                settings.asOf = month
            }
            if strict { settings.strict = true }
            if showValues { settings.showValues = true }
            if let keyFile = key.keyFile { settings.keyFile = keyFile }
            if key.demoKey { settings.demoKey = true }
            if settings.keyFile == nil && environment["KINDRED_KEY"] == nil && settings.demoKey {
                log.info("demo_key", "note: using the public demo key; pseudonyms are not private")
            }
            StopControl.installSignalHandlers()
            let outcome = try Job.run(settings, lockWait: wait, environment: environment, log: log)
            let s = outcome.summary
            func finish() throws {
                if outcome.partial {
                    log.warning("partial", "\(s.clean.quarantined) records were quarantined and --strict was given: exit 3 (the run is published)")
                    throw ExitCode(3)
                }
            }
            if json {
                print(PipelineRun.summaryJSON(s))
                try finish()
                return
            }
            var out: [String] = []
            out.append("Kindred run \(outcome.key) → \(s.output)")
            out.append("")
            out.append(TextTable.render(headers: ["stage", "result"], rows: [
                ["clean", "read \(s.clean.read) = written \(s.clean.written) + quarantined \(s.clean.quarantined)" + (s.clean.reconciles ? " ✓" : " ✗")],
                ["", "titles: \(s.clean.statistics.titlesExact) exact, \(s.clean.statistics.titlesFuzzy - s.clean.statistics.titlesLearned) fuzzy, \(s.clean.statistics.titlesLearned) joined to learned variants, \(s.clean.statistics.titlesUnmatched) left as typed; end dates inferred: \(s.clean.statistics.endDatesInferred)"],
                ["graph", "\(s.graph.vertices) people, \(s.graph.edges) edges (k = \(settings.graph.k)), \(s.graph.features) features, \(fixed(s.graph.seconds, 2)) s"],
                ["cluster", "\(plural(s.communities, "cluster")), modularity \(fixed(s.modularity)), \(plural(s.levels, "level")), \(fixed(s.clusterSeconds, 2)) s"],
                ["project", "sample \(s.sampled) of \(s.clean.written) people clustered (self-agreement \(fixed(s.selfAgreement, 3))); \(s.projection.assigned) assigned, \(s.projection.unassigned) unassigned"],
                ["run", outcome.attemptKind == .first && outcome.previousGood == nil ? "first run in this folder (no previous run)" : outcome.description],
                ["refresh", s.diff.map { d in
                    "from \(d.previousKey): \(fixed(100 * d.idsKept, 1))% of ids kept, \(d.moved.count) people moved, \(d.changes.born.count) born, \(d.changes.gone.count) gone, \(d.changes.split.count) split, \(d.changes.merged.count) merged"
                } ?? (outcome.previousGood == nil && outcome.attemptKind == .first ? "nothing to refresh from"
                    : outcome.attemptKind == .first ? "not refreshed from an earlier run (--previous none)"
                    : "not refreshed from an earlier run, as the key's first good attempt was not (same outputs)")],
            ] + (s.evaluation.map { e in
                [["evaluate", "NMI \(fixed(e.nmi)), ARI \(fixed(e.ari)) against \(e.truthLabels) true labels (\(e.matched) people scored)"]]
            } ?? []), maxWidth: 110))
            out.append("")
            let shown = s.profiles.prefix(12)
            out.append(TextTable.render(
                headers: ["cluster", "size", "top titles", "top skills"],
                rows: shown.map { p in
                    [String(p.cluster), String(p.size), p.topTitles.map(\.0).joined(separator: "; "), p.topSkills.prefix(3).map(\.0).joined(separator: "; ")]
                }, maxWidth: 46))
            if s.profiles.count > shown.count { out.append("… \(s.profiles.count - shown.count) more clusters in profiles.csv") }
            out.append("")
            out.append("outputs:")
            for (role, path) in s.files { out.append("  \(role): \(joinPath(s.output, path))") }
            out.append("  run catalog: \(RunFolder.catalog(settings.output ?? "."))  (kindred runs --output \(settings.output ?? "."))")
            out.append("total \(fixed(s.totalSeconds, 2)) s")
            print(out.joined(separator: "\n"))
            try finish()
        }
    }
}

/// `kindred runs`: the run catalog of an output folder.
struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs", abstract: "List the runs of an output folder from its catalog (OUTPUT/catalog.sqlite).")

    @Argument(help: "Config file (TOML) whose output folder to list, or the output folder itself.") var config: String?
    @Option(help: "Output folder (instead of a config).") var output: String?
    @Option(help: "Only the last N runs.") var limit: Int?
    @Flag(help: "One JSON object per run (JSON Lines) on stdout.") var json = false

    @OptionGroup var resources: ResourceOptions

    func run() throws {
        try guarded(resources) {
            var folder = output
            var isGivenFolder: ObjCBool = false
            if folder == nil, let config, FileManager.default.fileExists(atPath: config, isDirectory: &isGivenFolder),
               isGivenFolder.boolValue {
                folder = config
            }
            if folder == nil {
                folder = try RunConfig.load(path: config, environment: ProcessInfo.processInfo.environment).output
            }
            guard let folder else { throw KindredError.usage("give --output DIR or a config with `output`") }
            let path = RunFolder.catalog(folder)
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
                throw KindredError(.badInput, "no such output folder", file: folder)
            }
            guard FileManager.default.fileExists(atPath: path) else {
                // A folder no run has written to: nothing to list (with --json, no lines).
                if !json { print("no runs recorded in \(folder) yet (kindred run --output \(folder) records them)") }
                return
            }
            let catalog = try RunCatalog(path: path)
            let records = try catalog.runs(limit: limit)
            if json {
                for r in records {
                    var j = JSONText()
                    j.add("id", Int(r.id))
                    j.add("key", r.key)
                    j.add("attempt", r.attempt)
                    j.add("attempt_kind", r.attemptKind.rawValue)
                    j.add("status", r.status.rawValue)
                    j.add("config_sha256", r.configHash)
                    j.add("input_sha256", r.inputFingerprint)
                    if let p = r.previousKey { j.add("previous_run", p) } else { j.addNull("previous_run") }
                    j.add("started_at", r.startedAt)
                    if let v = r.finishedAt { j.add("finished_at", v) } else { j.addNull("finished_at") }
                    if let v = r.seconds { j.add("seconds", v, digits: 3) } else { j.addNull("seconds") }
                    if let v = r.exitCode { j.add("exit_code", v) } else { j.addNull("exit_code") }
                    if let v = r.error { j.add("error", v) } else { j.addNull("error") }
                    for (name, value) in [("read", r.read), ("written", r.written), ("quarantined", r.quarantined), ("sampled", r.sampled),
                                          ("assigned", r.assigned), ("unassigned", r.unassigned), ("clusters", r.clusters), ("moved", r.moved)] {
                        if let value { j.add(name, value) } else { j.addNull(name) }
                    }
                    if let v = r.modularity { j.add("modularity", v) } else { j.addNull("modularity") }
                    if let v = r.idsKept { j.add("ids_kept_share", v, digits: 4) } else { j.addNull("ids_kept_share") }
                    if let t = r.timings { j.add("timings", raw: t) }
                    var sizes = JSONText()
                    for (c, n) in try catalog.clusterSizes(runID: r.id) { sizes.add(String(c), n) }
                    j.add("cluster_sizes", raw: sizes.text)
                    print(j.text)
                }
                return
            }
            if records.isEmpty {
                print("no runs recorded in this output folder yet")
                return
            }
            let rows = records.map { r -> [String] in
                [String(r.id), r.key, r.attemptKind == .first ? String(r.attempt) : "\(r.attempt) \(r.attemptKind.rawValue)", r.status.rawValue, r.startedAt, r.seconds.map { fixed($0, 1) } ?? "", r.read.map(String.init) ?? "",
                 r.clusters.map(String.init) ?? "", r.modularity.map { fixed($0, 4) } ?? "", r.idsKept.map { fixed(100 * $0, 1) + "%" } ?? "",
                 r.moved.map(String.init) ?? "", r.previousKey ?? "", r.status == .succeeded ? "" : (r.error ?? "")]
            }
            print(TextTable.render(
                headers: ["#", "key", "attempt", "status", "started (UTC)", "seconds", "read", "clusters", "modularity", "ids kept", "moved", "previous", "error"],
                rows: rows, maxWidth: 60))
        }
    }
}
