import ArgumentParser
import Foundation
import KindredCore
import KindredSimilarity

/// The `kindred` command line: parses arguments, calls the library, prints.
@main
struct Kindred: ParsableCommand {
    /// Parses and runs a command; a usage error of the argument parser exits 2, as every other usage
    /// error does (ArgumentParser's own default is 64).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }

    static let configuration = CommandConfiguration(
        commandName: "kindred",
        abstract: "Cluster people by similarity: clean records, build a k-NN graph, find clusters.",
        discussion: """
            Stages: synth → clean → graph → cluster → evaluate, or all at once with `run`; `project` assigns \
            new people to a model's clusters; `ids` writes your private id → pseudonym map.

            Exit codes: 0 ok, 1 failure (also stopped by SIGTERM or --max-runtime), 2 usage or config \
            error, 3 quarantined records under --strict, 4 the memory limit (--max-memory) would be or was \
            passed (the message says what to change), 65 bad input data (retrying will not help), 69 a program \
            needed is not installed (Chromium, for `report --pdf`), 75 another run holds the output folder's \
            lock (retry later).
            """,
        version: KindredVersion.string,
        subcommands: [Synth.self, Clean.self, GraphCommand.self, Cluster.self, Evaluate.self, Run.self, RunsCommand.self, Convert.self, KNNCommand.self, VectorsCommand.self, SimilarCommand.self, SensitivityCommand.self, ProjectCommand.self, ServeCommand.self, IdsCommand.self, ReportCommand.self]
    )
}

/// Options every command has: its memory limit.
struct ResourceOptions: ParsableArguments {
    @Option(
        help: "Stop early, with advice, rather than use more memory than this: bytes, 512M, 8G or 50% (default: KINDRED_MAX_MEMORY, else 80% of the machine's or container's memory).")
    var maxMemory: String?

    /// The limit in bytes.
    func memoryLimit() throws -> Int {
        let environment = ProcessInfo.processInfo.environment
        if let text = maxMemory ?? environment["KINDRED_MAX_MEMORY"] {
            guard let bytes = MemoryBudget.parseSize(text) else {
                let source = maxMemory == nil ? "KINDRED_MAX_MEMORY" : "--max-memory"
                throw KindredError.usage("\(source) must be a size of at least 64M: bytes, or with K, M, G, T (512M, 8G), or a share such as 50%")
            }
            return bytes
        }
        return MemoryBudget.defaultLimit()
    }
}

/// Runs a command body, turning `KindredError` into a message on stderr and an exit code. Before the
/// body: OpenBLAS on one thread, SIGTERM/SIGINT as a stop request checked between chunks and stages,
/// SIGXFSZ ignored (a file-size limit becomes a write error), and the memory limit with its watchdog.
/// `advice` is what the memory-limit error tells the user to change for this command.
func guarded(_ resources: ResourceOptions, advice: String? = nil, _ body: () throws -> Void) throws {
    BLAS.useSingleThread()
    do {
        StopControl.installSignalHandlers()
        if let advice { MemoryBudget.setAdvice(advice) }
        MemoryBudget.setLimit(try resources.memoryLimit())
        MemoryBudget.startWatchdog()
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

/// "1 cluster", "2 clusters".
func plural(_ count: Int, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
}

/// Formats a number with fixed decimals.
func fixed(_ value: Double, _ digits: Int = 4) -> String {
    String(format: "%.\(digits)f", value)
}
