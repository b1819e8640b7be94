import ArgumentParser
import Foundation
import KindredCore
import KindredPipeline
import KindredSimilarity

/// `kindred similar`: the nearest people to one person, and why.
struct SimilarCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "similar",
        abstract: "The people most similar to one person under a model's metric, with each field's contribution.",
        discussion: """
            MODEL is a folder written by `kindred graph --model`. ID is a pseudonymous id from the clean \\
            file. Every other person is scored (exact). With --explain, each answer lists the share of \\
            every field in its similarity and the shared skills and titles that drive it.
            """)

    @Option(help: "Model folder (from `kindred graph --model`).") var model: String
    @Argument(help: "The person's (pseudonymous) id.") var id: String
    @Option(help: "How many people to list.") var top = 10
    @Flag(help: "Show every field's contribution and the shared skills and titles.") var explain = false
    @Option(help: "Worker threads (default: the CPUs this process may use, container quota included).") var threads: Int?
    @Flag(help: "Print one JSON object on stdout.") var json = false

    @OptionGroup var resources: ResourceOptions

    func run() throws {
        try guarded(resources) {
            let answers = try SimilarQuery.run(model: model, id: id, top: top, threads: threads)
            if json {
                let items = answers.map { a -> String in
                    var j = JSONText()
                    j.add("id", a.id)
                    j.add("similarity", a.similarity, digits: 4)
                    if explain {
                        let fields = a.explanation.fields.map { f -> String in
                            var x = JSONText()
                            x.add("field", f.field.rawValue)
                            x.add("similarity", f.similarity, digits: 4)
                            x.add("share", f.share, digits: 4)
                            x.add("contribution", f.contribution, digits: 4)
                            return x.text
                        }
                        j.add("fields", raw: "[" + fields.joined(separator: ",") + "]")
                        j.add("shared_skills", raw: JSONText.array(a.explanation.sharedSkills.map(\.feature)))
                        j.add("shared_titles", raw: JSONText.array(a.explanation.sharedTitles.map(\.feature)))
                    }
                    return j.text
                }
                print("{\"neighbors\":[" + items.joined(separator: ",") + "]}")
                return
            }
            for (rank, a) in answers.enumerated() {
                print("\(rank + 1). \(a.id)  similarity \(fixed(a.similarity, 3))")
                guard explain else { continue }
                let parts = a.explanation.fields.map { f in
                    f.share > 0 ? "\(f.field.rawValue) \(fixed(f.contribution, 3)) (s = \(fixed(f.similarity, 2)), share \(fixed(f.share, 2)))"
                        : "\(f.field.rawValue) – (missing for one of the two)"
                }
                print("     " + parts.joined(separator: "; "))
                let skills = a.explanation.sharedSkills.prefix(5).map { "\($0.feature) \(fixed($0.contribution, 3))" }
                let titles = a.explanation.sharedTitles.prefix(3).map { "\($0.feature) \(fixed($0.contribution, 3))" }
                if !skills.isEmpty { print("     shared skills: " + skills.joined(separator: ", ")) }
                if !titles.isEmpty { print("     shared titles: " + titles.joined(separator: ", ")) }
            }
        }
    }
}
