import Foundation
import KindredCommunity
import KindredCore
import KindredPeople
import KindredProjection
import KindredReport
import KindredSimilarity
import TOMLKit

/// Everything `kindred run` needs, from a TOML file and/or flags (flags win).
///
/// ```toml
/// input = "people.jsonl"        # paths are relative to this file's folder
/// output = "../out/demo"
/// catalog = "onet/"             # optional cleaning dictionary (Kindred JSON or O*NET files; "none")
/// truth = "truth.csv"           # optional: evaluate against it
/// truth_column = "label"        # the truth file's column to use (default: the second)
/// seed = 1
/// threads = 4                   # worker threads (default: the CPUs the process may use); never changes the output
/// [clean]
/// demo_key = true               # or key_file = "…"; else KINDRED_KEY
/// format = "csv"                # input format: jsonl | json | csv (default: from the name and content)
/// delimiter = ";"               # CSV field separator: "," ";" or "\t" (default: found from the header)
/// date_order = "dmy"            # ambiguous dates like 03/04/2019: mdy (default) | dmy
/// learn = true                  # learn clusters of unmatched title spellings from the whole input first
/// overrides = "overrides.csv"   # analyst overrides raw,canonical[,occupation]: they win over every other mapping
/// impute_tenure = 24            # impute missing dates of closed positions from this tenure in months (default: none)
/// [graph]
/// k = 15
/// min_similarity = 0.0
/// symmetrization = "mean"       # mean | max | mutual
/// method = "sparse"             # sparse (TF-IDF index) | dense (LSA, sgemm tiles) | approximate (LSA, inverted file)
/// dimensions = 128              # LSA dimensions for method = "dense"
/// candidates = 2                # k × candidates per person are re-scored with the metric
/// cells = 300                   # method = "approximate": k-means cells (default √n) …
/// probes = 8                    # … and cells searched per person
/// [metric]                      # what makes two people similar (see PeopleMetric)
/// skills = 2.0
/// titles = 1.0
/// title_recency_decay = 0.75
/// tempo = 0.1                   # average tenure, job changes per year, years of experience, progression
/// location = 0.0                # same city 1, same region only `same_region`
/// same_region = 0.5
/// [cluster]
/// resolution = 8.0              # people graphs; higher gives more, smaller clusters (0: one per connected component)
/// algorithm = "leiden"          # leiden (connected clusters) | louvain
/// iterations = 1                # runs of the method, each from the previous partition
/// tolerance = 0.01              # the first level's pass tolerance
/// refinement_rounds = 2         # Leiden refinement rounds: 1 or 2
/// polish = true                 # a last round moving the first level's pieces
/// consensus_runs = 5            # seeded runs combined by consensus (1: a single run)
/// consensus_threshold = 0.5     # share of runs that must put an edge's ends together to keep it
/// consensus_rounds = 4          # most consensus rounds (stops when all runs agree)
/// [sample]
/// size = 200000                 # people clustered (seeded reservoir sample); the rest are projected
/// [project]
/// method = "vote"               # vote (k-NN among the labelled sample) | centroid
/// k = 10
/// probes = 4                    # nearest clusters searched by the vote (0: all)
/// [refresh]
/// min_jaccard = 0.5             # a new cluster keeps an old id when their Jaccard index is at least this
/// [report]
/// stability_seeds = 2           # extra seeds clustered to measure stability (0: none)
/// stability_left_out = 0.01     # share of the sample left out to measure each cluster's robustness (0: none)
/// sensitivity_people = 8        # sample people whose tenure and switches are varied for the report's chart (0: none)
/// typical_members = 5
/// pdf = false                   # also print the report to report.pdf (needs Chromium; without it, a warning)
/// page = "a4"                   # the printed report's paper: a4 | letter
/// ```
///
/// Top-level `run_key` names the run's folder, `previous` picks the run to refresh from (`auto`,
/// `none`, a run key or a run folder) and `max_runtime` stops the job after a while (`2h`).
/// Every key can also come from the environment: `KINDRED_SEED`, `KINDRED_GRAPH_K`, …
public struct RunConfig: Sendable {
    /// What the settings said that still works but should change (deprecated spellings), for the log.
    public var warnings: [String] = []
    public var input: String?
    public var output: String?
    public var catalog: String?
    public var truth: String?
    public var truthColumn: String?
    public var seed: UInt64 = 1
    /// Worker threads (nil: `ParallelRunner.defaultThreads`, the CPUs the process may use, container
    /// quota included). Never changes the output, so it is not part of the config hash.
    public var threads: Int?
    public var keyFile: String?
    public var demoKey = false
    /// `[graph]` and `[metric]`: the k-NN graph and the people metric (its seed is `seed`).
    public var graph = GraphSettings()
    /// `[cluster]`: algorithm, resolution, iterations, tolerance, refinement rounds, polish.
    public var cluster = ClusterSettings()
    /// People clustered: a seeded reservoir sample of the clean input; everyone else is projected.
    public var sampleSize = 200_000
    /// `[project]`: how everyone outside the sample is assigned.
    public var projection = ProjectionSettings()

    /// Names the run's folder (`OUTPUT/runs/KEY`), e.g. the schedule's date. Letters, digits, `.`, `_`, `-`.
    public var runKey: String?
    /// The run to refresh from: `auto` (the catalog's last good run, the default), `none`, a run key
    /// in the catalog, or a run folder.
    public var previous: String?
    /// Stop after this many seconds (cleanly, keeping the previous outputs).
    public var maximumRuntime: Double?
    /// Refresh: a new cluster keeps an old id when their members' Jaccard index is at least this.
    public var minimumJaccard = 0.5
    /// Report: extra clusterings of the sample with other seeds, to measure stability (0: none).
    public var stabilitySeeds = 2
    /// The share of the sample left out (seeded) to measure how robust each cluster is to small changes
    /// of the input (0: not measured).
    public var stabilityLeftOut = RunConfig.defaultStabilityLeftOut
    static let defaultStabilityLeftOut = 0.01
    /// Report: sample people varied (tenure, job switches) for the sensitivity chart (0: none).
    public var sensitivityPeople = RunConfig.defaultSensitivityPeople
    static let defaultSensitivityPeople = 8
    /// Report: most typical members listed per cluster (pseudonymous ids).
    public var typicalMembers = 5
    /// Report: also print it to `report.pdf` with headless Chromium (`[report] pdf`).
    public var reportPDF = false
    /// Report: the paper the printed report is laid out for (`[report] page`, a4 or letter).
    public var reportPage = PageSize.a4
    /// The month dates are checked against and open positions end at. Default: the run key's month when
    /// the key starts with a date (`2026-12-01`), else the current month (UTC).
    public var asOf: YearMonth?
    /// Exit 3 (after publishing) when records were quarantined.
    public var strict = false
    /// Keep raw values in the run's quarantine file (`--show-values`; flag only, not in the config hash).
    public var showValues = false
    /// How the input is read: format (nil: from its name and content), CSV field separator (nil: from
    /// the header) and how ambiguous dates such as `03/04/2019` are read.
    public var readOptions = PeopleReadOptions()
    /// `[clean] overrides`: the analyst's overrides file (`raw,canonical[,occupation]`), kept in the model
    /// so that projection maps titles the same way.
    public var overrides: String?
    /// `[clean] learn`: learn title variants from the whole input first (as `kindred clean --learn`).
    public var learnVariants = true
    /// `[clean] impute_tenure`: impute missing dates of closed positions from this typical tenure (months).
    public var imputeTenureMonths: Int?

    /// The as-of month this run uses (see `asOf`).
    public func effectiveAsOf(runKey: String?) -> YearMonth {
        if let asOf { return asOf }
        if let key = runKey, key.utf8.count >= 7, let month = YearMonth(parsing: String(key.prefix(7))) { return month }
        return CleanRequest.currentMonth
    }

    public init() {}

    /// The kind of value a config key holds (for the file and for environment variables).
    enum ValueKind { case path, string, integer, number, bool, duration }

    /// Every key `kindred run` reads: `(section, key, kind)`; section "" is the top level. The
    /// environment variable for a key is `KINDRED_KEY` or `KINDRED_SECTION_KEY`, upper-cased.
    static let schema: [(section: String, key: String, kind: ValueKind)] = [
        ("", "input", .path), ("", "output", .path), ("", "catalog", .path), ("", "truth", .path), ("", "truth_column", .string),
        ("", "seed", .integer), ("", "threads", .integer), ("", "run_key", .string), ("", "previous", .string), ("", "max_runtime", .duration),
        ("clean", "key_file", .path), ("clean", "demo_key", .bool), ("clean", "as_of", .string), ("clean", "strict", .bool),
        ("clean", "format", .string), ("clean", "delimiter", .string), ("clean", "date_order", .string), ("clean", "learn", .bool), ("clean", "overrides", .path), ("clean", "impute_tenure", .integer),
        ("graph", "k", .integer), ("graph", "min_similarity", .number), ("graph", "symmetrization", .string),
        ("graph", "skills_weight", .number), ("graph", "titles_weight", .number), ("graph", "title_recency_decay", .number),
        ("graph", "method", .string), ("graph", "dimensions", .integer), ("graph", "candidates", .integer),
        ("graph", "cells", .integer), ("graph", "probes", .integer),
        ("metric", "skills", .number), ("metric", "titles", .number), ("metric", "title_recency_decay", .number),
        ("metric", "tempo", .number), ("metric", "location", .number), ("metric", "same_region", .number),
        ("cluster", "resolution", .number), ("cluster", "algorithm", .string), ("cluster", "iterations", .integer),
        ("cluster", "tolerance", .number), ("cluster", "refinement_rounds", .integer), ("cluster", "polish", .bool),
        ("cluster", "consensus_runs", .integer), ("cluster", "consensus_threshold", .number), ("cluster", "consensus_rounds", .integer),
        ("sample", "size", .integer),
        ("project", "method", .string), ("project", "k", .integer), ("project", "probes", .integer),
        ("refresh", "min_jaccard", .number),
        ("report", "stability_seeds", .integer), ("report", "stability_left_out", .number), ("report", "sensitivity_people", .integer), ("report", "typical_members", .integer),
        ("report", "pdf", .bool), ("report", "page", .string),
    ]

    /// The environment variable that overrides `section.key`.
    public static func environmentName(section: String, key: String) -> String {
        ("KINDRED_" + (section.isEmpty ? key : section + "_" + key)).uppercased()
    }

    /// The environment variables `kindred run` reads, one per config key.
    public static var environmentNames: [String] { schema.map { environmentName(section: $0.section, key: $0.key) } }

    /// Reads a TOML config; relative paths are resolved against the file's folder.
    /// - Throws: `KindredError` (`.usage`) naming the file and the key at fault.
    public static func load(path: String) throws -> RunConfig {
        var config = RunConfig()
        try config.apply(file: path)
        return config
    }

    /// A config from an optional file, then environment variables (`KINDRED_SEED`, `KINDRED_GRAPH_K`,
    /// …; paths relative to the working folder) over it. Flags are applied by the caller, over both.
    public static func load(path: String?, environment: [String: String]) throws -> RunConfig {
        var config = RunConfig()
        if let path { try config.apply(file: path) }
        try config.apply(environment: environment)
        return config
    }

    /// The first line toml++ 3 (inside TOMLKit 0.6) would abort on instead of reporting a parse error (found
    /// by `scripts/fuzz`, target fuzz-config; its assertions are live in release builds), with the problem:
    /// a table header that does not start with a key (`[!x]`, `[.a]`, `[` alone), or an unquoted date or time
    /// (`e = 1979-05-27 4`; no Kindred setting is a date: `as_of` is a quoted "YYYY-MM"). Looked for outside
    /// strings and comments; headers only outside multi-line array values.
    static func unsafeTOML(in text: String) -> (line: Int, problem: String)? {
        let header = "a table header must start with a key (a letter, digit, _ or -, or a quoted key)"
        let date = "unquoted dates and times are not Kindred settings; quote the value"
        func digit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
        var depth = 0
        var inMultiline: UInt8? = nil
        var number = 0
        for line in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            let bytes = Array(line)
            var i = 0
            if inMultiline == nil && depth == 0 {
                while i < bytes.count && (bytes[i] == 32 || bytes[i] == 9) { i += 1 }
                if i < bytes.count && bytes[i] == UInt8(ascii: "[") {
                    var j = i + 1
                    if j < bytes.count && bytes[j] == UInt8(ascii: "[") { j += 1 }
                    while j < bytes.count && (bytes[j] == 32 || bytes[j] == 9) { j += 1 }
                    guard j < bytes.count else { return (number, header) }
                    let c = bytes[j]
                    let bare = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 || c == 45
                    if !(bare || c == 34 || c == 39) { return (number, header) }
                    continue
                }
            }
            // Track strings and array depth through the rest of the line.
            while i < bytes.count {
                let c = bytes[i]
                if let delimiter = inMultiline {
                    if i + 2 < bytes.count && c == delimiter && bytes[i + 1] == delimiter && bytes[i + 2] == delimiter {
                        inMultiline = nil
                        i += 3
                        continue
                    }
                    if c == 92 && delimiter == 34 { i += 1 }
                    i += 1
                    continue
                }
                if c == UInt8(ascii: "#") { break }
                if c == 34 || c == 39 {
                    if i + 2 < bytes.count && bytes[i + 1] == c && bytes[i + 2] == c {
                        inMultiline = c
                        i += 3
                        continue
                    }
                    i += 1
                    while i < bytes.count && bytes[i] != c {
                        if c == 34 && bytes[i] == 92 { i += 1 }
                        i += 1
                    }
                    i += 1
                    continue
                }
                if c == UInt8(ascii: "[") { depth += 1 }
                if c == UInt8(ascii: "]") { depth = max(0, depth - 1) }
                if digit(c) && (i == 0 || !digit(bytes[i - 1])) {
                    var run = i
                    while run < bytes.count && digit(bytes[run]) { run += 1 }
                    if run < bytes.count && run - i == 4 && bytes[run] == UInt8(ascii: "-") { return (number, date) }
                    if run < bytes.count && run - i == 2 && bytes[run] == UInt8(ascii: ":") { return (number, date) }
                }
                i += 1
            }
        }
        return nil
    }

    /// Applies a TOML file's keys.
    public mutating func apply(file path: String) throws {
        // A people file given where the config goes: say so before TOML complains about its first byte.
        let lower = path.lowercased()
        if [".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".gz"].contains(where: { lower.hasSuffix($0) }) {
            throw KindredError(
                .usage,
                "the positional argument of `kindred run` is a TOML config, and this looks like a people file: use `kindred run --input \(path) --output FOLDER` (or `input = \"\(path)\"` in a config)",
                file: path)
        }
        try InputFile.checkReadable(path, what: "config file", code: .usage)
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw KindredError(.usage, "the config file is not UTF-8 text", file: path)
        }
        if let (line, problem) = RunConfig.unsafeTOML(in: text) {
            throw KindredError(.usage, "invalid TOML: \(problem)", file: path, line: line)
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw KindredError(
                .usage, "invalid TOML: \(error.description) (the positional argument of `kindred run` is a TOML config; the people file goes in --input)",
                file: path, line: error.source.begin.line)
        } catch {
            throw KindredError(.usage, "invalid TOML", file: path)
        }
        let sections = Set(RunConfig.schema.map(\.section).filter { !$0.isEmpty })
        for key in table.keys {
            if sections.contains(key) {
                guard let sub = table[key]?.table else { throw KindredError(.usage, "expected a [\(key)] table", file: path, field: key) }
                for inner in sub.keys where !RunConfig.schema.contains(where: { $0.section == key && $0.key == inner }) {
                    throw KindredError(.usage, "unknown key", file: path, field: key + "." + inner)
                }
            } else if !RunConfig.schema.contains(where: { $0.section.isEmpty && $0.key == key }) {
                throw KindredError(.usage, "unknown key", file: path, field: key)
            }
        }
        let folder = AtomicFileWriter.folder(of: path)
        try apply(source: path, folder: folder) { section, key in
            let holder = section.isEmpty ? table : table[section]?.table
            guard let value = holder?[key] else { return nil }
            if let s = value.string { return .string(s) }
            if let b = value.bool { return .bool(b) }
            if let i = value.int { return .integer(i) }
            if let d = value.double { return .number(d) }
            return .other
        }
    }

    /// Applies `KINDRED_*` environment variables (one per config key; see `environmentNames`).
    public mutating func apply(environment: [String: String]) throws {
        try apply(source: "environment", folder: ".") { section, key in
            guard let text = environment[RunConfig.environmentName(section: section, key: key)] else { return nil }
            return .text(text)
        }
    }

    /// A raw value as read: typed (TOML) or text (environment).
    enum RawValue { case string(String), bool(Bool), integer(Int), number(Double), text(String), other }

    private mutating func apply(source: String, folder: String, value: @escaping (String, String) -> RawValue?) throws {
        let values = ConfigValues(source: source, folder: folder, value: value)
        try applyTopLevel(values)
        try applyClean(values)
        try applyGraph(values)
        try applyRest(values)
    }

    private mutating func applyTopLevel(_ v: ConfigValues) throws {
        if let x = try v.path("", "input") { input = x }
        if let x = try v.path("", "output") { output = x }
        if let x = try v.string("", "catalog") { catalog = x == DictionaryLocation.noneWord ? x : joinPath(v.folder, x) }
        if let x = try v.path("", "truth") { truth = x }
        if let x = try v.string("", "truth_column") { truthColumn = x }
        if let x = try v.integer("", "seed", atLeast: 0) { seed = UInt64(x) }
        if let x = try v.integer("", "threads", atLeast: 1) { threads = x }
        if let x = try v.string("", "run_key") {
            guard RunConfig.isValidRunKey(x) else { throw v.fail("", "run_key", "a run key is 1–100 letters, digits, '.', '_' or '-', not starting with '.'") }
            runKey = x
        }
        if let x = try v.string("", "previous") { previous = x }
        if let x = try v.duration("", "max_runtime") {
            guard x > 0 && x <= StopControl.longestRuntime else { throw v.fail("", "max_runtime", "must be > 0 and at most 365 days") }
            maximumRuntime = x
        }
    }

    private mutating func applyClean(_ v: ConfigValues) throws {
        if let x = try v.path("clean", "key_file") { keyFile = x }
        if let x = try v.bool("clean", "demo_key") { demoKey = x }
        if let x = try v.string("clean", "as_of") {
            guard let month = YearMonth(parsing: x) else { throw v.fail("clean", "as_of", "expected a month, YYYY-MM") }
            asOf = month
        }
        if let x = try v.bool("clean", "strict") { strict = x }
        if let x = try v.choice("clean", "format", PeopleFormat.self, "expected jsonl, json or csv") { readOptions.format = x }
        if let x = try v.string("clean", "delimiter") {
            guard let d = PeopleReadOptions.delimiter(named: x) else { throw v.fail("clean", "delimiter", "expected \",\", \";\" or \"\\t\" (tab)") }
            readOptions.delimiter = d
        }
        if let x = try v.choice("clean", "date_order", DateOrder.self, "expected mdy or dmy") { readOptions.dateOrder = x }
        if let x = try v.bool("clean", "learn") { learnVariants = x }
        if let x = try v.path("clean", "overrides") { overrides = x }
        if let x = try v.integer("clean", "impute_tenure", atLeast: 1) {
            guard x <= 600 else { throw v.fail("clean", "impute_tenure", "must be between 1 and 600 months") }
            imputeTenureMonths = x
        }
    }

    private mutating func applyGraph(_ v: ConfigValues) throws {
        if let x = try v.integer("graph", "k", atLeast: 1) { graph.k = x }
        if let x = try v.number("graph", "min_similarity") { graph.minimumSimilarity = Float(x) }
        if let x = try v.choice("graph", "symmetrization", Symmetrization.self, "expected max, mean or mutual") { graph.symmetrization = x }
        // Older spelling of the [metric] weights: still read, with a warning; a conflict with [metric] is an error.
        for (old, new, path) in [
            ("skills_weight", "skills", \MetricWeights.skills), ("titles_weight", "titles", \MetricWeights.titles),
            ("title_recency_decay", "title_recency_decay", \MetricWeights.titleRecencyDecay),
        ] {
            guard let w = try v.number("graph", old) else { continue }
            if let current = try v.number("metric", new), current != w {
                throw v.fail("graph", old, "conflicts with [metric] \(new) = \(current); [graph] \(old) is the deprecated spelling: keep only [metric] \(new)")
            }
            graph.weights[keyPath: path] = w
            warnings.append("[graph] \(old) is deprecated: write [metric] \(new) (same meaning)")
        }
        if let x = try v.choice("graph", "method", SearchMethod.self, "expected sparse, dense or approximate") { graph.method = x }
        if let x = try v.integer("graph", "dimensions", atLeast: 1) { graph.dimensions = x }
        if let x = try v.integer("graph", "candidates", atLeast: 1) { graph.candidateFactor = x }
        if let x = try v.integer("graph", "cells", atLeast: 1) { graph.approximateCells = x }
        if let x = try v.integer("graph", "probes", atLeast: 1) { graph.approximateProbes = x }
        for (key, path) in [
            ("skills", \MetricWeights.skills), ("titles", \MetricWeights.titles), ("title_recency_decay", \MetricWeights.titleRecencyDecay),
            ("tempo", \MetricWeights.tempo), ("location", \MetricWeights.location), ("same_region", \MetricWeights.sameRegion),
        ] {
            if let w = try v.number("metric", key) { graph.weights[keyPath: path] = w }
        }
        if let problem = graph.weights.problem() { throw v.fail("metric", problem.field, problem.message) }
    }

    private mutating func applyRest(_ v: ConfigValues) throws {
        if let x = try v.number("cluster", "resolution") { cluster.resolution = x }
        if let x = try v.choice("cluster", "algorithm", CommunityAlgorithm.self, "expected leiden or louvain") { cluster.algorithm = x }
        if let x = try v.integer("cluster", "iterations", atLeast: 1) { cluster.iterations = x }
        if let x = try v.number("cluster", "tolerance") { cluster.tolerance = x }
        if let x = try v.integer("cluster", "refinement_rounds", atLeast: 1) { cluster.refinementRounds = x }
        if let x = try v.bool("cluster", "polish") { cluster.polish = x }
        if let x = try v.integer("cluster", "consensus_runs", atLeast: 1) { cluster.consensus.runs = x }
        if let x = try v.number("cluster", "consensus_threshold") { cluster.consensus.threshold = x }
        if let x = try v.integer("cluster", "consensus_rounds", atLeast: 1) { cluster.consensus.maxRounds = x }
        if let problem = cluster.problem() { throw v.fail("cluster", problem.field, problem.message) }
        if let x = try v.integer("sample", "size", atLeast: 1) { sampleSize = x }
        if let x = try v.choice("project", "method", ProjectionMethod.self, "expected vote or centroid") { projection.method = x }
        if let x = try v.integer("project", "k", atLeast: 1) { projection.k = x }
        if let x = try v.integer("project", "probes", atLeast: 0) { projection.probes = x }
        if let x = try v.number("refresh", "min_jaccard") {
            guard x > 0 && x <= 1 else { throw v.fail("refresh", "min_jaccard", "must be in (0, 1]") }
            minimumJaccard = x
        }
        if let x = try v.integer("report", "stability_seeds", atLeast: 0) { stabilitySeeds = x }
        if let x = try v.number("report", "stability_left_out") {
            guard x >= 0 && x <= 0.5 else { throw v.fail("report", "stability_left_out", "must be between 0 and 0.5") }
            stabilityLeftOut = x
        }
        if let x = try v.integer("report", "sensitivity_people", atLeast: 0) {
            guard x <= 100 else { throw v.fail("report", "sensitivity_people", "must be at most 100") }
            sensitivityPeople = x
        }
        if let x = try v.integer("report", "typical_members", atLeast: 0) { typicalMembers = x }
        if let x = try v.bool("report", "pdf") { reportPDF = x }
        if let x = try v.choice("report", "page", PageSize.self, "expected a4 or letter") { reportPage = x }
    }

    /// 1–100 characters of `[A-Za-z0-9._-]`, not starting with `.`.
    public static func isValidRunKey(_ key: String) -> Bool {
        guard !key.isEmpty, key.utf8.count <= 100, key.first != "." else { return false }
        return key.utf8.allSatisfy { c in
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 46 || c == 95 || c == 45
        }
    }

    /// Content fingerprints that stand for paths in `canonicalText` (so the hash does not depend on
    /// where the files are or how their paths are spelled).
    public struct Fingerprints: Sendable {
        public var catalog = ""
        public var truth = ""
        public var overrides = ""
        public init(catalog: String = "", truth: String = "", overrides: String = "") {
            self.catalog = catalog
            self.truth = truth
            self.overrides = overrides
        }
    }

    /// The settings that decide the results, one `key = value` per line in a fixed order, with files
    /// named by their SHA-256 (the input's is the run's input fingerprint; the key file's stays secret:
    /// the model's key check stands for it). Its SHA-256 is the run's config hash; the run key, output,
    /// time limit, previous run, thread count and `strict` (which changes the exit status only) are left out.
    public func canonicalText(fingerprints: Fingerprints, asOf: YearMonth) -> String {
        func q(_ s: String?) -> String { s.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" } ?? "\"\"" }
        var lines: [String] = []
        lines.append("catalog_sha256 = \(q(fingerprints.catalog))")
        lines.append("truth_sha256 = \(q(fingerprints.truth))")
        lines.append("truth_column = \(q(truthColumn))")
        lines.append("seed = \(seed)")
        lines.append("[clean]")
        lines.append("demo_key = \(demoKey)")
        lines.append("as_of = \(q(asOf.description))")
        // Only when set, so that the hash of every earlier config stays as it was.
        if let format = readOptions.format { lines.append("format = \(q(format.rawValue))") }
        if let delimiter = readOptions.delimiter { lines.append("delimiter = \(q(delimiter == "\t" ? "\\t" : String(delimiter)))") }
        if readOptions.dateOrder != .mdy { lines.append("date_order = \(q(readOptions.dateOrder.rawValue))") }
        if !learnVariants { lines.append("learn = false") }
        if let months = imputeTenureMonths { lines.append("impute_tenure = \(months)") }
        if overrides != nil { lines.append("overrides_sha256 = \(q(fingerprints.overrides))") }
        lines.append("[graph]")
        lines.append("k = \(graph.k)")
        lines.append("min_similarity = \(graph.minimumSimilarity)")
        lines.append("symmetrization = \(q(graph.symmetrization.rawValue))")
        lines.append("method = \(q(graph.method.rawValue))")
        lines.append("dimensions = \(graph.dimensions)")
        lines.append("candidates = \(graph.candidateFactor)")
        // Only when not the default (earlier configs keep their hash).
        if let cells = graph.approximateCells { lines.append("cells = \(cells)") }
        if graph.approximateProbes != GraphSettings().approximateProbes { lines.append("probes = \(graph.approximateProbes)") }
        lines.append("[metric]")
        let weights = graph.weights
        lines.append("skills = \(weights.skills)")
        lines.append("titles = \(weights.titles)")
        lines.append("title_recency_decay = \(weights.titleRecencyDecay)")
        lines.append("tempo = \(weights.tempo)")
        lines.append("location = \(weights.location)")
        lines.append("same_region = \(weights.sameRegion)")
        lines.append("[cluster]")
        lines.append("resolution = \(cluster.resolution)")
        // The other cluster settings only when not the default (earlier configs keep their hash).
        let defaults = ClusterSettings()
        if cluster.algorithm != defaults.algorithm { lines.append("algorithm = \(q(cluster.algorithm.rawValue))") }
        if cluster.iterations != defaults.iterations { lines.append("iterations = \(cluster.iterations)") }
        if cluster.tolerance != defaults.tolerance { lines.append("tolerance = \(cluster.tolerance)") }
        if cluster.refinementRounds != defaults.refinementRounds { lines.append("refinement_rounds = \(cluster.refinementRounds)") }
        if cluster.polish != defaults.polish { lines.append("polish = \(cluster.polish)") }
        if cluster.consensus.runs != defaults.consensus.runs { lines.append("consensus_runs = \(cluster.consensus.runs)") }
        if cluster.consensus.threshold != defaults.consensus.threshold { lines.append("consensus_threshold = \(cluster.consensus.threshold)") }
        if cluster.consensus.maxRounds != defaults.consensus.maxRounds { lines.append("consensus_rounds = \(cluster.consensus.maxRounds)") }
        lines.append("[sample]")
        lines.append("size = \(sampleSize)")
        lines.append("[project]")
        lines.append("method = \(q(projection.method.rawValue))")
        lines.append("k = \(projection.k)")
        lines.append("probes = \(projection.probes)")
        lines.append("[refresh]")
        lines.append("min_jaccard = \(minimumJaccard)")
        lines.append("[report]")
        lines.append("stability_seeds = \(stabilitySeeds)")
        if stabilityLeftOut != RunConfig.defaultStabilityLeftOut { lines.append("stability_left_out = \(stabilityLeftOut)") }
        if sensitivityPeople != RunConfig.defaultSensitivityPeople { lines.append("sensitivity_people = \(sensitivityPeople)") }
        lines.append("typical_members = \(typicalMembers)")
        // Only when not the default (earlier configs keep their hash).
        if reportPDF { lines.append("pdf = true") }
        if reportPage != .a4 { lines.append("page = \(q(reportPage.rawValue))") }
        return lines.joined(separator: "\n") + "\n"
    }
}
