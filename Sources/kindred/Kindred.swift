import ArgumentParser
import Foundation
import KindredCore
import KindredSimilarity

/// The `kindred` command line: parses arguments, calls the library, prints.
@main
struct Kindred: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kindred",
        abstract: "Cluster people by similarity: clean records, build a k-NN graph, find communities.",
        discussion: """
            Stages: synth → clean → graph → cluster → evaluate, or all at once with `run`; `project` assigns
            new people to a model's clusters.
            Exit codes: 0 ok, 1 failure (also stopped by SIGTERM or --max-runtime), 2 usage or config
            error, 3 quarantined records under --strict, 65 bad input data (retrying will not help),
            75 another run holds the output folder's lock (retry later).
            """,
        version: KindredVersion.string,
        subcommands: [Synth.self, Clean.self, GraphCommand.self, Cluster.self, Evaluate.self, Run.self, RunsCommand.self, Convert.self, KNNCommand.self, VectorsCommand.self, SimilarCommand.self, ProjectCommand.self]
    )
}

/// Runs a command body, turning `KindredError` into a message on stderr and an exit code.
func guarded(_ body: () throws -> Void) throws {
    BLAS.useSingleThread()
    do {
        try body()
    } catch let error as KindredError {
        FileHandle.standardError.write(Data(("kindred: error: " + error.description + "\n").utf8))
        throw ExitCode(error.exitStatus)
    }
}


/// Writes a line to stderr (progress and notes; stdout carries results).
func note(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Formats a number with fixed decimals.
func fixed(_ value: Double, _ digits: Int = 4) -> String {
    String(format: "%.\(digits)f", value)
}
