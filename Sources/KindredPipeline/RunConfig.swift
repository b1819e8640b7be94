import Foundation
import KindredCommunity
import KindredCore
import KindredProjection
import KindredSimilarity
import TOMLKit

/// Everything `kindred run` needs, from a TOML file and/or flags (flags win).
///
/// ```toml
/// input = "people.jsonl"        # paths are relative to this file's folder
/// output = "../out/demo"
/// catalog = "occupations.json"
/// truth = "truth.csv"           # optional: evaluate against it
/// seed = 1
/// [clean]
/// demo_key = true               # or key_file = "…"; else KINDRED_KEY
/// [graph]
/// k = 15
/// min_similarity = 0.0
/// symmetrization = "max"        # max | mean | mutual
/// method = "sparse"             # sparse (TF-IDF index) | dense (LSA, sgemm tiles) | approximate (LSA, inverted file)
/// dimensions = 128              # LSA dimensions for method = "dense"
/// candidates = 2                # k × candidates per person are re-scored with the metric
/// [metric]                      # what makes two people similar (see PeopleMetric)
/// skills = 1.0
/// titles = 1.0
/// title_recency_decay = 0.5
/// tempo = 0.0                   # average tenure, job changes per year, years of experience
/// location = 0.0                # same city 1, same region only `same_region`
/// same_region = 0.5
/// [cluster]
/// resolution = 1.0
/// [sample]
/// size = 200000                 # people clustered (seeded reservoir sample); the rest are projected
/// [project]
/// method = "vote"               # vote (k-NN among the labelled sample) | centroid
/// k = 15
/// probes = 2                    # nearest clusters searched by the vote (0: all)
/// ```
public struct RunConfig: Sendable {
    public var input: String?
    public var output: String?
    public var catalog: String?
    public var truth: String?
    public var truthColumn: String?
    public var seed: UInt64 = 1
    public var keyFile: String?
    public var demoKey = false
    public var k = 15
    public var minimumSimilarity: Float = 0
    public var symmetrization = Symmetrization.max
    public var weights = MetricWeights()
    public var method = SearchMethod.sparse
    public var dimensions = 128
    public var candidateFactor = 2
    public var resolution = 1.0
    /// People clustered: a seeded reservoir sample of the clean input; everyone else is projected.
    public var sampleSize = 200_000
    public var projectionMethod = ProjectionMethod.vote
    public var projectionK = 15
    public var probes = 2

    public init() {}

    /// Reads a TOML config; relative paths are resolved against the file's folder.
    /// - Throws: `KindredError` (`.usage`) naming the file and the key at fault.
    public static func load(path: String) throws -> RunConfig {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw KindredError(.usage, "cannot read the config file", file: path)
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw KindredError(.usage, "invalid TOML: \(error.description)", file: path, line: error.source.begin.line)
        } catch {
            throw KindredError(.usage, "invalid TOML", file: path)
        }
        let folder = AtomicFileWriter.folder(of: path)
        func resolve(_ value: String) -> String { joinPath(folder, value) }
        func string(_ table: TOMLTable, _ key: String, _ section: String) throws -> String? {
            guard let value = table[key] else { return nil }
            guard let text = value.string else { throw KindredError(.usage, "expected a string", file: path, field: section + key) }
            return text
        }
        func number(_ table: TOMLTable, _ key: String, _ section: String) throws -> Double? {
            guard let value = table[key] else { return nil }
            if let d = value.double { return d }
            if let i = value.int { return Double(i) }
            throw KindredError(.usage, "expected a number", file: path, field: section + key)
        }
        func integer(_ table: TOMLTable, _ key: String, _ section: String) throws -> Int? {
            guard let value = table[key] else { return nil }
            guard let i = value.int else { throw KindredError(.usage, "expected an integer", file: path, field: section + key) }
            return i
        }
        var config = RunConfig()
        let known: Set<String> = ["input", "output", "catalog", "truth", "truth_column", "seed", "clean", "graph", "metric", "cluster", "sample", "project"]
        for key in table.keys where !known.contains(key) {
            throw KindredError(.usage, "unknown key", file: path, field: key)
        }
        config.input = try string(table, "input", "").map(resolve)
        config.output = try string(table, "output", "").map(resolve)
        config.catalog = try string(table, "catalog", "").map(resolve)
        config.truth = try string(table, "truth", "").map(resolve)
        config.truthColumn = try string(table, "truth_column", "")
        if let seed = try integer(table, "seed", "") {
            guard seed >= 0 else { throw KindredError(.usage, "must be ≥ 0", file: path, field: "seed") }
            config.seed = UInt64(seed)
        }
        if let clean = table["clean"]?.table {
            config.keyFile = try string(clean, "key_file", "clean.").map(resolve)
            if let demo = clean["demo_key"] {
                guard let flag = demo.bool else { throw KindredError(.usage, "expected true or false", file: path, field: "clean.demo_key") }
                config.demoKey = flag
            }
        }
        if let graph = table["graph"]?.table {
            if let k = try integer(graph, "k", "graph.") { config.k = k }
            if let s = try number(graph, "min_similarity", "graph.") { config.minimumSimilarity = Float(s) }
            if let s = try string(graph, "symmetrization", "graph.") {
                guard let mode = Symmetrization(rawValue: s) else {
                    throw KindredError(.usage, "expected max, mean or mutual", file: path, field: "graph.symmetrization")
                }
                config.symmetrization = mode
            }
            // Older spelling of the [metric] weights, still read.
            if let w = try number(graph, "skills_weight", "graph.") { config.weights.skills = w }
            if let w = try number(graph, "titles_weight", "graph.") { config.weights.titles = w }
            if let w = try number(graph, "title_recency_decay", "graph.") { config.weights.titleRecencyDecay = w }
            if let m = try string(graph, "method", "graph.") {
                guard let method = SearchMethod(rawValue: m) else {
                    throw KindredError(.usage, "expected sparse, dense or approximate", file: path, field: "graph.method")
                }
                config.method = method
            }
            if let d = try integer(graph, "dimensions", "graph.") {
                guard d >= 1 else { throw KindredError(.usage, "must be ≥ 1", file: path, field: "graph.dimensions") }
                config.dimensions = d
            }
            if let c = try integer(graph, "candidates", "graph.") {
                guard c >= 1 else { throw KindredError(.usage, "must be ≥ 1", file: path, field: "graph.candidates") }
                config.candidateFactor = c
            }
            let knownGraph: Set<String> = [
                "k", "min_similarity", "symmetrization", "skills_weight", "titles_weight", "title_recency_decay", "method", "dimensions",
                "candidates",
            ]
            for key in graph.keys where !knownGraph.contains(key) {
                throw KindredError(.usage, "unknown key", file: path, field: "graph." + key)
            }
        }
        if let metric = table["metric"]?.table {
            let knownMetric: Set<String> = ["skills", "titles", "title_recency_decay", "tempo", "location", "same_region"]
            for key in metric.keys where !knownMetric.contains(key) {
                throw KindredError(.usage, "unknown key", file: path, field: "metric." + key)
            }
            if let w = try number(metric, "skills", "metric.") { config.weights.skills = w }
            if let w = try number(metric, "titles", "metric.") { config.weights.titles = w }
            if let w = try number(metric, "title_recency_decay", "metric.") { config.weights.titleRecencyDecay = w }
            if let w = try number(metric, "tempo", "metric.") { config.weights.tempo = w }
            if let w = try number(metric, "location", "metric.") { config.weights.location = w }
            if let w = try number(metric, "same_region", "metric.") { config.weights.sameRegion = w }
        }
        if let problem = config.weights.problem() {
            throw KindredError(.usage, problem.message, file: path, field: "metric." + problem.field)
        }
        if let cluster = table["cluster"]?.table {
            if let r = try number(cluster, "resolution", "cluster.") { config.resolution = r }
        }
        if let sample = table["sample"]?.table {
            for key in sample.keys where key != "size" { throw KindredError(.usage, "unknown key", file: path, field: "sample." + key) }
            if let n = try integer(sample, "size", "sample.") {
                guard n >= 1 else { throw KindredError(.usage, "must be ≥ 1", file: path, field: "sample.size") }
                config.sampleSize = n
            }
        }
        if let project = table["project"]?.table {
            for key in project.keys where !["method", "k", "probes"].contains(key) {
                throw KindredError(.usage, "unknown key", file: path, field: "project." + key)
            }
            if let m = try string(project, "method", "project.") {
                guard let method = ProjectionMethod(rawValue: m) else {
                    throw KindredError(.usage, "expected vote or centroid", file: path, field: "project.method")
                }
                config.projectionMethod = method
            }
            if let k = try integer(project, "k", "project.") {
                guard k >= 1 else { throw KindredError(.usage, "must be ≥ 1", file: path, field: "project.k") }
                config.projectionK = k
            }
            if let p = try integer(project, "probes", "project.") {
                guard p >= 0 else { throw KindredError(.usage, "must be ≥ 0", file: path, field: "project.probes") }
                config.probes = p
            }
        }
        return config
    }
}
