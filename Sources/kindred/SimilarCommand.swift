import ArgumentParser
import Foundation
import KindredClean
import KindredCore
import KindredPipeline
import KindredSimilarity

/// `kindred similar`: the nearest people to one person, who they are, and why.
struct SimilarCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "similar",
        abstract: "The people most similar to one person under a model's metric, who they are, and each field's contribution.",
        discussion: """
            MODEL is the output folder of `kindred run` (its latest run is used), a run folder (OUTPUT/runs/KEY \
            or OUTPUT/latest), or the similarity/ folder itself (also written by `kindred graph --model`). ID \
            is a pseudonym from the clean file, or your own id when the run's key is given (--key-file, \
            KINDRED_KEY or --demo-key). Every other person is scored (exact); a field the person has and \
            another lacks counts as no match for that other person, not as a free pass. Each answer shows the \
            person's current title, first skills and cluster; --explain adds every field's share and the \
            shared skills and titles.
            """)

    @Option(help: "Run output folder, run folder, or similarity/ folder.") var model: String
    @Argument(help: "The person's pseudonymous id, or their own id with the run's key.") var id: String
    @Option(help: "How many people to list.") var top = 10
    @Flag(help: "Show every field's contribution and the shared skills and titles.") var explain = false
    @Option(help: "File holding the run's pseudonymisation key, to look up your own id (else KINDRED_KEY).") var keyFile: String?
    @Flag(help: "Look up your own id with the public demo key.") var demoKey = false
    @Option(help: "Worker threads (default: the CPUs this process may use, container quota included).") var threads: Int?
    @Flag(help: "Print one JSON object on stdout.") var json = false

    @OptionGroup var resources: ResourceOptions

    func run() throws {
        try guarded(resources) {
            if let threads, threads < 1 { throw KindredError.usage("--threads must be at least 1") }
            let environment = ProcessInfo.processInfo.environment
            var pseudonymizer: Pseudonymizer?
            if keyFile != nil || demoKey || environment["KINDRED_KEY"] != nil {
                pseudonymizer = try Pseudonymizer.resolve(keyFile: keyFile, environment: environment, allowDemoKey: demoKey)
            }
            let answer = try SimilarQuery.run(model: model, id: id, top: top, threads: threads, pseudonymizer: pseudonymizer)
            if json {
                print(answer.json(explain: explain))
                return
            }
            print("query: \(answer.query.id)\(answer.queryWasRaw ? " (your id, through the key)" : "")  \(Self.describe(answer.query.summary))")
            if answer.neighbors.isEmpty { print("no one shares anything with this person") }
            for (rank, a) in answer.neighbors.enumerated() {
                print("\(rank + 1). \(a.id)  similarity \(fixed(a.similarity, 3))  \(Self.describe(a.summary))")
                guard explain else { continue }
                let parts = a.explanation.fields.map { f in
                    f.share > 0 ? "\(f.field.rawValue) \(fixed(f.contribution, 3)) (s = \(fixed(f.similarity, 2)), share \(fixed(f.share, 2)))"
                        : "\(f.field.rawValue) – (the query has none)"
                }
                print("     " + parts.joined(separator: "; "))
                let skills = a.explanation.sharedSkills.prefix(5).map { "\($0.feature) \(fixed($0.contribution, 3))" }
                let titles = a.explanation.sharedTitles.prefix(3).map { "\($0.feature) \(fixed($0.contribution, 3))" }
                if !skills.isEmpty { print("     shared skills: " + skills.joined(separator: ", ")) }
                if !titles.isEmpty { print("     shared titles: " + titles.joined(separator: ", ")) }
            }
        }
    }

    /// "title · skills: a, b, c · cluster 7 · compliance officer".
    static func describe(_ s: PersonSummary) -> String {
        var parts = [s.title ?? "(no title)"]
        parts.append(s.skills.isEmpty ? "no skills" : "skills: " + s.skills.joined(separator: ", "))
        if let cluster = s.cluster { parts.append("cluster " + cluster) }
        return parts.joined(separator: " · ")
    }
}
