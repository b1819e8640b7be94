import Foundation
import KindredTestSupport
import Testing

/// Runs the built `kindred` binary and captures what it prints.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum CLI {
    /// The repository root (KindredTestSupport's `Paths.repoRoot`).
    static var repoRoot: URL { Paths.repoRoot }

    /// The trait of tests that read `../shared/data`: skipped, saying why, where it is absent.
    static var sharedDataNeeded: Testing.ConditionTrait { Paths.sharedDataNeeded }

    /// The `kindred` binary built beside the test bundle (the test target depends on it).
    static var binary: URL {
        let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("kindred")
        if FileManager.default.isExecutableFile(atPath: besideTests.path) { return besideTests }
        for candidate in [".build/debug/kindred", ".build/release/kindred"] {
            let url = repoRoot.appendingPathComponent(candidate)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return besideTests
    }

    /// An empty folder used as HOME by every run (no per-user settings or catalogue).
    static let emptyHome: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kindred-test-home-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    static func run(_ arguments: [String], environment: [String: String] = [:], in folder: URL? = nil) throws -> CLIResult {
        try launch(binary, arguments, environment: environment, in: folder)
    }

    /// Runs another program (e.g. script(1) around kindred) the same way.
    static func runScript(_ command: [String], environment: [String: String] = [:]) throws -> CLIResult {
        try launch(URL(fileURLWithPath: command[0]), Array(command.dropFirst()), environment: environment, in: nil)
    }

    private static func launch(_ executable: URL, _ arguments: [String], environment: [String: String], in folder: URL?) throws -> CLIResult {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        // Nothing of the caller's KINDRED_* settings (the config can come from the environment).
        for key in env.keys where key.hasPrefix("KINDRED_") { env.removeValue(forKey: key) }
        env.removeValue(forKey: "NO_COLOR")  // the test runner may set it; tests that want it pass it
        // A new user's home: no catalogue installed in ~/.local/share/kindred (tests that want one pass HOME).
        env["HOME"] = emptyHome.path
        env.removeValue(forKey: "XDG_DATA_HOME")
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.currentDirectoryURL = folder ?? repoRoot
        // Output goes to files, so neither stream can fill a pipe and block the child.
        let scratch = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout")
        let errURL = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        return CLIResult(
            status: process.terminationStatus, stdout: try String(contentsOf: outURL, encoding: .utf8),
            stderr: try String(contentsOf: errURL, encoding: .utf8))
    }

    /// A fresh temporary folder.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kindred-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Parses the one JSON object a command prints with --json.
    static func json(_ text: String) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw CLIError.notAnObject(text)
        }
        return object
    }

    enum CLIError: Error { case notAnObject(String) }
}

/// A temporary folder holding `people.jsonl` (and `truth.csv`) of synthetic people and `run/`, a
/// `kindred run` of them with the demo key: the shared fixture of the CLI suites that need a model.
struct ClusteredRun {
    let dir: URL
    func p(_ name: String) -> String { dir.appendingPathComponent(name).path }

    static func make(people: Int, synthSeed: Int, runSeed: Int) throws -> ClusteredRun {
        let f = ClusteredRun(dir: try CLI.temporaryFolder())
        let s = try CLI.run(["synth", "--people", String(people), "--seed", String(synthSeed), "--output", f.p("people.jsonl"), "--truth", f.p("truth.csv")])
        guard s.status == 0 else { throw Failure.failed(s.stderr) }
        let r = try CLI.run(["run", "--input", f.p("people.jsonl"), "--output", f.p("run"), "--demo-key", "--seed", String(runSeed)])
        guard r.status == 0 else { throw Failure.failed(r.stderr) }
        return f
    }

    enum Failure: Error { case failed(String) }
}
