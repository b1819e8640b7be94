import Foundation
import Testing

/// Bad input through the CLI: a clear message naming file and line, the right exit code, nothing lost.
@Suite("kindred CLI bad input", .serialized)
struct BadInputCLITests {
    func folder() throws -> URL { try CLI.temporaryFolder() }

    @Test("a file that does not exist: exit 65 (bad input, not retryable), saying so and naming the path")
    func missingFile() throws {
        let r = try CLI.run(["clean", "/nonexistent/people.jsonl", "--output", "/tmp/x.jsonl", "--demo-key"])
        #expect(r.status == 65)
        #expect(r.stderr.contains("/nonexistent/people.jsonl") && r.stderr.contains("no such file"))
    }

    @Test("clean refuses to run without a key")
    func noKey() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("p.jsonl")
        try #"{"id":"1","skills":["Python"],"positions":[]}"#.write(to: input, atomically: true, encoding: .utf8)
        let r = try CLI.run(["clean", input.path, "--output", dir.appendingPathComponent("c.jsonl").path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("KINDRED_KEY"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("c.jsonl").path))
        let ok = try CLI.run(
            ["clean", input.path, "--output", dir.appendingPathComponent("c.jsonl").path],
            environment: ["KINDRED_KEY": "a-secret-key-of-some-length"])
        #expect(ok.status == 0, "\(ok.stderr)")
    }

    @Test("an empty people file is an error naming the file")
    func emptyFile() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("empty.jsonl")
        try Data().write(to: input)
        let r = try CLI.run(["clean", input.path, "--output", dir.appendingPathComponent("c.jsonl").path, "--demo-key"])
        #expect(r.status == 65)
        #expect(r.stderr.contains("empty.jsonl") && r.stderr.contains("empty"))
    }

    @Test("bad records are quarantined with line and reason; the counts reconcile; --strict exits 3")
    func quarantine() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("mixed.jsonl")
        var bytes = Data()
        let lines = [
            #"{"id":"a1","name":"Secret Person","skills":["Python"],"positions":[{"title":"Software Engineer","start":"2020-01","end":null}]}"#,
            #"{"id":"a2","skills":["Python"],"positions":[{"title":"Software Engineer","start":"2020-01"#,  // truncated
            #"{"skills":["Python"]}"#,  // no id
            #"{"id":"a1","skills":[]}"#,  // duplicate id
            #"{"id":"a5","positions":[{"title":"Nurse","start":["2020-13"]}]}"#,  // a date that is not text (an unreadable text date is only flagged)
        ]
        for line in lines { bytes.append(Data((line + "\n").utf8)) }
        bytes.append(contentsOf: [0x7B, 0x22, 0x69, 0x64, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D, 0x0A])  // invalid UTF-8
        try bytes.write(to: input)
        let out = dir.appendingPathComponent("c.jsonl")
        let r = try CLI.run(["clean", input.path, "--output", out.path, "--demo-key", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let summary = try CLI.json(r.stdout)
        #expect(summary["read"] as? Int == 6)
        #expect(summary["written"] as? Int == 1)
        #expect(summary["quarantined"] as? Int == 5)
        let quarantine = try String(contentsOfFile: dir.appendingPathComponent("c.quarantine.jsonl").path, encoding: .utf8)
        let entries = quarantine.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(entries.map { $0["line"] as? Int } == [2, 3, 4, 5, 6])
        #expect(entries.allSatisfy { ($0["file"] as? String)?.hasSuffix("mixed.jsonl") == true })
        #expect(entries[1]["field"] as? String == "id")
        #expect((entries[2]["reason"] as? String)?.contains("duplicate id (first seen on line 1)") == true)
        #expect(entries[3]["field"] as? String == "positions[0].start")
        #expect(entries[4]["reason"] as? String == "invalid UTF-8")
        #expect((entries[4]["record"] as? String)?.contains("withheld") == true, "invalid bytes are withheld by default")
        let shown = try CLI.run(["clean", input.path, "--output", out.path, "--demo-key", "--show-values"])
        #expect(shown.status == 0)
        let raw = try String(contentsOfFile: dir.appendingPathComponent("c.quarantine.jsonl").path, encoding: .utf8)
        #expect(raw.contains("record_base64"), "with --show-values invalid bytes are kept, base64-encoded")
        let attributes = try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent("c.quarantine.jsonl").path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(!r.stderr.contains("Secret Person"))
        let strict = try CLI.run(["clean", input.path, "--output", out.path, "--demo-key", "--strict"])
        #expect(strict.status == 3)
    }

    @Test(
        "bad edge lists name file and line",
        arguments: [
            ("a b\nb c x\n", 2, "weight"),
            ("a b\nc d -1\n", 2, "negative"),
            ("a b nan\n", 1, "NaN"),
            ("a b\nlonely\n", 2, ""),
        ])
    func badEdges(text: String, line: Int, word: String) throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let edges = dir.appendingPathComponent("bad.edges")
        try text.write(to: edges, atomically: true, encoding: .utf8)
        let r = try CLI.run(["cluster", edges.path, "--output", dir.appendingPathComponent("c.csv").path])
        #expect(r.status == 65)
        #expect(r.stderr.contains("bad.edges:\(line)"), "stderr: \(r.stderr)")
        #expect(word.isEmpty || r.stderr.lowercased().contains(word.lowercased()), "stderr: \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("c.csv").path))
    }

    @Test("a config with an unknown key is a usage error naming the key")
    func badConfig() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("job.toml")
        try "input = \"p.jsonl\"\nresolutoin = 2\n".write(to: config, atomically: true, encoding: .utf8)
        let r = try CLI.run(["run", config.path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("job.toml") && r.stderr.contains("resolutoin"))
    }
}
