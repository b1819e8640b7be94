import ArgumentParser
import Foundation
import KindredCore
import KindredPeople
import KindredPipeline

/// `kindred ids`: the private id map (`id,pseudonym`) for joining results back to the analyst's records.
struct IdsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ids",
        abstract: "Write the private map from your ids to Kindred's pseudonyms (id,pseudonym), to join results back to your records.",
        discussion: """
            Kindred's outputs name people by keyed pseudonyms (k…). With the same key as the run (--key-file, \
            KINDRED_KEY or --demo-key), this writes one row per distinct id of INPUT, in input order. The file \
            is personal data: it is written owner-only (mode 0600) and never into a run's output folder. Join \
            it to clusters.csv (node), assignments.csv or project's output (id) on the pseudonym.
            """)

    @Argument(help: "People file: JSON Lines, JSON array or CSV (by extension; .gz allowed), or - for stdin.") var input: String
    @Option(help: "The id map to write (CSV id,pseudonym; mode 0600).") var output: String
    @Option(help: "Input format: jsonl, json (an array) or csv (default: from the file name and content).") var format: PeopleFormat?
    @OptionGroup var key: KeyOptions
    @OptionGroup var resources: ResourceOptions

    func run() throws {
        try guarded(resources) {
            let outcome = try IdMapStage.run(input: input, format: format, output: output, pseudonymizer: try key.pseudonymizer())
            var line = "kindred ids: \(outcome.written) ids written to \(output) (owner-only)"
            if outcome.skipped > 0 {
                line += "; \(outcome.skipped) records without a usable id (malformed or repeated; `kindred clean` quarantines them with their reasons)"
            }
            note(line)
        }
    }
}
