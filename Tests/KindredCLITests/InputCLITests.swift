import Foundation
import Testing

/// Input as analysts have it, through the CLI: formats, flags, and a failed run that explains itself.
@Suite("kindred CLI input formats", .serialized)
struct InputCLITests {
    @Test("a run where every record is quarantined keeps its quarantine, prints reasons with lines and the expected formats")
    func failedRunKeepsQuarantine() throws {
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("people.jsonl")
        try "Ann Secret,ann@example.com\n{\"id\":\"secret-id-7\"\n\nplain text\n{\"name\":\"Bo Private\"}\n".write(to: input, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out")
        let r = try CLI.run(["run", "--input", input.path, "--output", out.path, "--demo-key", "--run-key", "k1"])
        #expect(r.status == 65)
        #expect(r.stderr.contains("no clean people to cluster"))
        #expect(r.stderr.contains("3 × malformed JSON (lines 1, 2, 4)"))
        #expect(r.stderr.contains("1 × id: missing id (line 5)"))
        #expect(r.stderr.contains("expected JSON Lines (one object per line) or a JSON array"))
        let kept = out.appendingPathComponent("failed/k1/quarantine.jsonl").path
        #expect(r.stderr.contains(kept))
        let quarantine = try String(contentsOfFile: kept, encoding: .utf8)
        #expect(quarantine.split(separator: "\n").count == 4)
        // No personal data in what was printed.
        for secret in ["Ann Secret", "ann@example.com", "secret-id-7", "Bo Private"] { #expect(!r.stderr.contains(secret) && !r.stdout.contains(secret)) }
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("runs/k1").path))
    }

    @Test("clean reads a ';' CSV with a BOM and unusual dates: nobody quarantined, date flags counted, counts reconcile")
    func cleanAnalystCSV() throws {
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("export.csv")
        let text = "id;titles;starts;ends\np1;Nurse;Jan 2019;present\np2;\"Chef;Cook\";\"2015;03/04/2018\";\"2018;soon\"\n"
        try Data([0xEF, 0xBB, 0xBF] + Array(text.utf8)).write(to: input)
        let output = dir.appendingPathComponent("clean.jsonl")
        let r = try CLI.run(["clean", input.path, "--output", output.path, "--demo-key", "--no-learn", "--date-order", "dmy", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("\"read\":2,\"written\":2,\"quarantined\":0,\"reconciles\":true"))
        #expect(r.stdout.contains("\"date_issues\":{\"ambiguous_start\":1,\"unreadable_end\":1,\"year_only_end\":1,\"year_only_start\":1}"))
        let lines = try String(contentsOf: output, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].contains("\"start\":\"2019-01\",\"end\":null,\"end_present\":true"))
        #expect(lines[1].contains("\"start\":\"2018-04\""))  // 03/04/2018 day first
        let bad = try CLI.run(["clean", input.path, "--output", output.path, "--demo-key", "--date-order", "ymd"])
        #expect(bad.status == 2 && bad.stderr.contains("--date-order"))
    }

    @Test("clean reads a JSON array file and names the lines of its bad elements")
    func cleanJSONArray() throws {
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("export.json")
        try "[\n  {\"id\": 1, \"skills\": [\"x\"]},\n  {\"id\": 2, \"skills\": [x]}\n  ,{\"id\": 3}\n]\n".write(to: input, atomically: true, encoding: .utf8)
        let r = try CLI.run(["clean", input.path, "--output", dir.appendingPathComponent("c.jsonl").path, "--demo-key", "--no-learn"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("read 3 = written 2 + quarantined 1"))
        #expect(r.stdout.contains("quarantined 1 × malformed JSON (line 3)"))
    }
}
