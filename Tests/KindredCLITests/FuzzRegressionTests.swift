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

/// Model manifests and arrays the fuzz-model target found trapping (`Tests/Fuzz/Crashes/fuzz-model/`): each is
/// rebuilt here on the fuzz fixture's model and must be refused with exit 65 naming the field, not a trap.
@Suite("fuzz regressions: models")
struct ModelFuzzRegressionTests {
    static let fixture = CLI.repoRoot.appendingPathComponent("Tests/Fuzz/Fixtures/model")

    private func project(_ edit: (String) throws -> Void) throws -> CLIResult {
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("model").path
        try FileManager.default.copyItem(atPath: Self.fixture.path, toPath: model)
        try edit(model)
        let people = dir.appendingPathComponent("p.jsonl").path
        try #"{"id":"1","skills":["Python"],"positions":[{"title":"Data Analyst","start":"2019-01"}]}"#.write(toFile: people, atomically: true, encoding: .utf8)
        return try CLI.run(["project", "--model", model, people, "--output", dir.appendingPathComponent("a.csv").path, "--demo-key"])
    }

    @Test("manifest numbers out of range (k, seed 1e300; a tenure of 9.2e18 months) are refused naming the field",
          arguments: [("k", 1e300), ("seed", 1e300), ("sample_size", -5.0), ("dimensions", 2.5), ("typical_tenure_months", 9.223372036854775e18)])
    func manifestNumbers(key: String, value: Double) throws {
        let r = try project { model in
            let path = model + "/manifest.json"
            var root = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
            var parameters = root["parameters"] as! [String: Any]
            parameters[key] = value
            root["parameters"] = parameters
            try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: path))
        }
        #expect(r.status == 65, "\(key): \(r.stderr)")
        #expect(r.stderr.contains("parameters.\(key)"), "\(r.stderr)")
    }

    @Test("an .npy shape whose byte count overflows is refused, not a trap")
    func npyShapeOverflow() throws {
        let r = try project { model in
            let path = model + "/members.npy"
            var header = "{'descr': '<i4', 'fortran_order': False, 'shape': (8, 4)(4611686018427387904, 4), }"
            while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
            var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count + 1), 0] + Array(header.utf8) + [10]
            bytes += [UInt8](repeating: 0, count: 128)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            // Its checksum rewritten in the manifest, so the parser behind the checksum is reached.
            let sum = try CLI.runScript(["/usr/bin/sha256sum", path]).stdout.split(separator: " ")[0]
            let manifest = model + "/manifest.json"
            var root = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifest))) as! [String: Any]
            var files = root["files"] as! [String: Any]
            files["members.npy"] = String(sum)
            root["files"] = files
            try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: manifest))
        }
        #expect(r.status == 65, "\(r.stderr)")
        #expect(r.stderr.contains("members.npy") && r.stderr.contains("shape"), "\(r.stderr)")
    }
}
