import Foundation
import Testing

/// Every input that crashed a fuzz target (`scripts/fuzz`, saved in Tests/Fuzz/Crashes/TARGET/) goes through
/// the real command: it must end with an error message and an exit status, never a signal.
@Suite("fuzz regressions")
struct FuzzRegressionTests {
    static let crashes = CLI.repoRoot.appendingPathComponent("Tests/Fuzz/Crashes")

    /// The command that reads a file of this target's format.
    static func command(target: String, file: String, scratch: String) -> [String]? {
        switch target {
        case "fuzz-config": return ["run", file, "--demo-key", "--output", scratch + "/out"]
        case "fuzz-people-jsonl": return ["clean", file, "--format", "jsonl", "--output", scratch + "/c.jsonl", "--demo-key"]
        case "fuzz-people-csv": return ["clean", file, "--format", "csv", "--output", scratch + "/c.jsonl", "--demo-key"]
        case "fuzz-edge-list": return ["cluster", file, "--output", scratch + "/p.csv"]
        case "fuzz-kgraph":
            let copy = scratch + "/input.kgraph"
            try? FileManager.default.removeItem(atPath: copy)
            try? FileManager.default.copyItem(atPath: file, toPath: copy)
            return ["cluster", copy, "--output", scratch + "/p.csv"]
        default: return nil
        }
    }

    @Test("each saved crash input is a clear error, not a crash")
    func savedCrashes() throws {
        let scratch = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        var tried = 0
        for target in (try? FileManager.default.contentsOfDirectory(atPath: Self.crashes.path)) ?? [] {
            let folder = Self.crashes.appendingPathComponent(target)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] {
                guard let arguments = Self.command(target: target, file: folder.appendingPathComponent(name).path, scratch: scratch.path) else { continue }
                let r = try CLI.run(arguments)
                tried += 1
                #expect([0, 1, 2, 65].contains(r.status), "\(target)/\(name): exit \(r.status): \(r.stderr)")
                #expect(r.status == 0 || r.stderr.contains("kindred: error:"), "\(target)/\(name): \(r.stderr)")
                #expect(!r.stderr.contains("Program crashed") && !r.stderr.contains("Assertion"), "\(target)/\(name): \(r.stderr)")
            }
        }
        #expect(tried >= 1, "no saved crash inputs found under \(Self.crashes.path)")
    }

    @Test("table headers toml++ would abort on are refused with the line: [!x], [[!x]], [.a], [ ]")
    func tomlHeaders() throws {
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("c.toml").path
        for header in ["[!raph]", "[[!x]]", "[.a]", "[ ]", "[\t#x]"] {
            try "seed = 2\n\(header)\nk = 1\n".write(toFile: config, atomically: true, encoding: .utf8)
            let r = try CLI.run(["run", config, "--demo-key"])
            #expect(r.status == 2 && r.stderr.contains("c.toml:2") && r.stderr.contains("table header"), "\(header): \(r.stderr)")
        }
        // Brackets inside values and multi-line arrays are not headers.
        try "input = \"[!x]\"\n[graph]\nk = [\n  [ ],\n]\n".write(toFile: config, atomically: true, encoding: .utf8)
        let r = try CLI.run(["run", config, "--demo-key"])
        #expect(r.status == 2 && !r.stderr.contains("table header"), "\(r.stderr)")
    }
}
