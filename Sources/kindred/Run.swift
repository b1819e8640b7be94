import ArgumentParser
import Foundation
import KindredCore
import KindredPipeline
import KindredProjection
import KindredReport
import KindredSimilarity

/// `kindred run`: the whole pipeline from a TOML config and/or flags.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the whole job: clean → sample → graph → cluster → model → project everyone → profiles → evaluation (when truth is given).",
        discussion: "Settings come from CONFIG (TOML; paths relative to it) and flags; flags win.")

    @Argument(help: "Config file (TOML).") var config: String?
    @Option(help: "People file (JSON Lines or CSV).") var input: String?
    @Option(help: "Output folder.") var output: String?
    @Option(help: "Occupation catalogue.") var catalog: String?
    @Option(help: "Ground truth (CSV node,label) with raw ids, to evaluate the clusters.") var truth: String?
    @Option(help: "Random seed.") var seed: UInt64?
    @Option(help: "Neighbours per person.") var k: Int?
    @Option(help: "Minimum cosine similarity for an edge.") var minSimilarity: Float?
    @Option(help: "Louvain resolution γ.") var resolution: Double?
    @Option(help: "People clustered: a seeded reservoir sample of the input (default 200000); the rest are projected.") var sample: Int?
    @Option(help: "How everyone else is assigned: vote or centroid.") var projectMethod: String?
    @OptionGroup var key: KeyOptions
    @Flag(help: "Print one JSON summary object on stdout.") var json = false

    func run() throws {
        try guarded {
            var settings = try config.map { try RunConfig.load(path: $0) } ?? RunConfig()
            if let input { settings.input = input }
            if let output { settings.output = output }
            if let catalog { settings.catalog = catalog }
            if settings.catalog == nil { settings.catalog = "datasets/occupations.json" }
            if let truth { settings.truth = truth }
            if let seed { settings.seed = seed }
            if let k { settings.k = k }
            if let minSimilarity { settings.minimumSimilarity = minSimilarity }
            if let resolution { settings.resolution = resolution }
            if let sample {
                guard sample >= 1 else { throw KindredError.usage("--sample must be at least 1") }
                settings.sampleSize = sample
            }
            if let projectMethod {
                guard let m = ProjectionMethod(rawValue: projectMethod) else { throw KindredError.usage("--project-method must be vote or centroid") }
                settings.projectionMethod = m
            }
            if let keyFile = key.keyFile { settings.keyFile = keyFile }
            if key.demoKey { settings.demoKey = true }
            if settings.keyFile == nil && ProcessInfo.processInfo.environment["KINDRED_KEY"] == nil && settings.demoKey {
                note("kindred: note: using the public demo key; pseudonyms are not private")
            }
            let s = try PipelineRun.run(settings, environment: ProcessInfo.processInfo.environment)
            if json {
                print(PipelineRun.summaryJSON(s))
                return
            }
            var out: [String] = []
            out.append("Kindred run → \(s.output)")
            out.append("")
            out.append(TextTable.render(headers: ["stage", "result"], rows: [
                ["clean", "read \(s.clean.read) = written \(s.clean.written) + quarantined \(s.clean.quarantined)" + (s.clean.reconciles ? " ✓" : " ✗")],
                ["", "titles: \(s.clean.statistics.titlesExact) exact, \(s.clean.statistics.titlesFuzzy) fuzzy, \(s.clean.statistics.titlesUnmatched) unmatched; end dates inferred: \(s.clean.statistics.endDatesInferred)"],
                ["graph", "\(s.graph.vertices) people, \(s.graph.edges) edges (k = \(settings.k)), \(s.graph.features) features, \(fixed(s.graph.seconds, 2)) s"],
                ["cluster", "\(s.communities) communities, modularity \(fixed(s.modularity)), \(s.levels) levels, \(fixed(s.clusterSeconds, 2)) s"],
                ["project", "sample \(s.sampled) of \(s.clean.written) people clustered (self-agreement \(fixed(s.selfAgreement, 3))); \(s.projection.assigned) assigned, \(s.projection.unassigned) unassigned"],
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
            for (role, path) in s.files { out.append("  \(role): \(path)") }
            out.append("total \(fixed(s.totalSeconds, 2)) s")
            print(out.joined(separator: "\n"))
        }
    }
}
