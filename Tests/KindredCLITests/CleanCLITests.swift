import Foundation
import Testing

@Suite("kindred clean: report, overrides, threads, privacy")
struct CleanCLITests {
    static func write(_ text: String, to path: String) throws { try text.write(toFile: path, atomically: true, encoding: .utf8) }
    /// The demo catalogue of the source tree, given explicitly where a test needs a dictionary.
    static let demoCatalog = CLI.repoRoot.appendingPathComponent("datasets/occupations.json").path

    static let people = """
        {"id":"p1","name":"Zelda Quimby","email":"zelda.q@example.com","positions":[{"title":"Sr. Sofware Engneer","start":"2015-01"},{"title":"Fire Fighter","start":"2018-03"}]}
        {"id":"p2","name":"Yusuf Okafor","phone":"+1 555 010 9999","birth_year":1990,"positions":[{"title":"Paramedc","start":"2000-01","end":"2001-01"},{"title":"Lead RN - yusuf.o@example.com","start":"2019-05","end":"2017-01"}]}
        {"id":"p3","name":"Wanda Ng","positions":[{"title":"Chief Happiness Ninja","start":"2020-01"}]}
        {"id":"p4","name":"Wanda Ng","positions":[{"title":"chief happiness ninja","start":"2021-01"},{"title":"Fire-fighter","start":"2030-01"}]}
        {"id":"p5","name":"Victor Ames","email":"victor@example.com", broken json
        """

    @Test("overrides win, the report lists merges, uncertain and left-alone values, dates are flagged, nothing identifying leaks")
    func reportAndOverrides() throws {
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        func p(_ name: String) -> String { dir.appendingPathComponent(name).path }
        try Self.write(Self.people + "\n", to: p("people.jsonl"))
        try Self.write("raw,canonical\nCHIEF HAPPINESS NINJA,Human Resources Manager\n", to: p("overrides.csv"))
        let r = try CLI.run([
            "clean", p("people.jsonl"), "--output", p("clean.jsonl"), "--demo-key", "--json", "--as-of", "2026-12",
            "--overrides", p("overrides.csv"), "--report", p("report.json"), "--catalog", Self.demoCatalog,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let summary = try CLI.json(r.stdout)
        #expect(summary["read"] as? Int == 5)
        #expect(summary["written"] as? Int == 4)
        #expect(summary["quarantined"] as? Int == 1)
        #expect(summary["titles_overridden"] as? Int == 2)  // both spellings of the ninja, by normalised key
        let issues = summary["date_issues"] as? [String: Int] ?? [:]
        #expect(issues["end_before_start"] == 1)
        #expect(issues["before_age_14"] == 1)
        #expect(issues["future_start"] == 1)
        #expect((summary["values_masked"] as? Int ?? 0) >= 1)
        let lines = try String(contentsOfFile: p("clean.jsonl"), encoding: .utf8).split(separator: "\n")
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
        let positions = first["positions"] as! [[String: Any]]
        #expect(positions[0]["occupation"] as? String == "software_engineer")
        #expect(positions[0]["seniority"] as? String == "senior")
        #expect(positions[0]["title_raw"] as? String == "Sr. Sofware Engneer")
        #expect(positions[0]["end"] as? String == "2018-03")
        #expect(positions[0]["end_inferred"] as? Bool == true)
        let third = try JSONSerialization.jsonObject(with: Data(lines[2].utf8)) as! [String: Any]
        let ninja = (third["positions"] as! [[String: Any]])[0]
        #expect(ninja["title"] as? String == "Human Resources Manager")
        #expect(ninja["title_match"] as? String == "override")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: p("report.json")))) as! [String: Any]
        #expect(report["reconciles"] as? Bool == true)
        let merges = report["biggest_merges"] as! [[String: Any]]
        let firefighter = merges.first { $0["occupation"] as? String == "firefighter" }
        #expect(firefighter?["spellings"] as? Int == 2)
        #expect(firefighter?["records"] as? Int == 2)
        let markdown = try String(contentsOfFile: p("report.md"), encoding: .utf8)
        #expect(markdown.contains("## Biggest merges") && markdown.contains("## Uncertain mappings") && markdown.contains("## Left alone"))
        #expect(markdown.contains("## What a confidence means") && markdown.contains("## Title mappings the people's own skills contradict"))
        let bands = report["confidence_bands"] as? [[String: Any]] ?? []
        #expect(bands.count == 3 && bands.allSatisfy { ($0["measured_precision"] as? Double ?? 0) > 0 })
        // No name, e-mail, phone or raw id in any output (quarantine included) or in the log.
        var outputs = [r.stdout, r.stderr]
        for file in ["clean.jsonl", "clean.quarantine.jsonl", "report.json", "report.md"] {
            outputs.append(try String(contentsOfFile: p(file), encoding: .utf8))
        }
        for secret in ["Zelda", "Quimby", "zelda.q@example.com", "Okafor", "555 010 9999", "yusuf.o@example.com", "Wanda", "Victor", "victor@example.com", "\"p1\"", "\"p5\""] {
            for (i, text) in outputs.enumerated() { #expect(!text.contains(secret), "output \(i) contains \(secret)") }
        }
        // The quarantined line is still found by file and line.
        let quarantine = try JSONSerialization.jsonObject(with: Data(try String(contentsOfFile: p("clean.quarantine.jsonl"), encoding: .utf8).utf8)) as! [String: Any]
        #expect(quarantine["line"] as? Int == 5)
    }

    @Test("no dictionary by default, from any folder: titles and skills kept as typed (normalised, confidence 0); an installed per-user catalogue is found; --catalog none ignores it")
    func defaultDictionary() throws {
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        func p(_ name: String) -> String { dir.appendingPathComponent(name).path }
        try Self.write(
            "{\"id\":\"a\",\"skills\":[\"Google Meet\"],\"positions\":[{\"title\":\"Sr. Fire-Fighter\",\"start\":\"2020-01\"}]}\n"
                + "{\"id\":\"b\",\"positions\":[{\"title\":\"xq zzv!!\",\"start\":\"2021-01\"}]}\n", to: p("people.jsonl"))
        func positions(_ r: CLIResult) throws -> [[String: Any]] {
            #expect(r.status == 0, "\(r.stderr)")
            return try String(contentsOfFile: p("c.jsonl"), encoding: .utf8).split(separator: "\n").map {
                ((try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["positions"] as! [[String: Any]])[0]
            }
        }
        // Run inside a folder that has no datasets/: nothing is looked up relative to it.
        var plain = try positions(CLI.run(["clean", "people.jsonl", "--output", "c.jsonl", "--demo-key"], in: dir))
        #expect(plain[0]["title"] as? String == "fire fighter" && plain[0]["occupation"] == nil && plain[0]["confidence"] as? Double == 0)
        #expect(plain[0]["seniority"] as? String == "senior")
        #expect(plain[1]["title"] as? String == "xq zzv" && plain[1]["confidence"] as? Double == 0)
        // A catalogue installed for the user (what scripts/install-catalog does) is the default.
        let home = dir.appendingPathComponent("home")
        let folder = home.appendingPathComponent(".local/share/kindred/catalog")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.demoCatalog, toPath: folder.appendingPathComponent("catalog.json").path)
        let installed = try positions(CLI.run(["clean", "people.jsonl", "--output", "c.jsonl", "--demo-key"], environment: ["HOME": home.path], in: dir))
        #expect(installed[0]["occupation"] as? String == "firefighter" && installed[0]["title"] as? String == "Firefighter")
        #expect(installed[1]["occupation"] == nil && installed[1]["confidence"] as? Double == 0)  // garbled: kept as typed
        plain = try positions(
            CLI.run(["clean", "people.jsonl", "--output", "c.jsonl", "--demo-key", "--catalog", "none"], environment: ["HOME": home.path], in: dir))
        #expect(plain[0]["occupation"] == nil)
        // A catalogue path that does not exist is an error naming it.
        let missing = try CLI.run(["clean", "people.jsonl", "--output", "c.jsonl", "--demo-key", "--catalog", "no/such.json"], in: dir)
        #expect(missing.status != 0 && missing.stderr.contains("no/such.json"))
    }

    @Test("output is identical at any thread count and chunk size")
    func threads() throws {
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        func p(_ name: String) -> String { dir.appendingPathComponent(name).path }
        _ = try CLI.run(["synth", "--people", "300", "--seed", "5", "--output", p("people.jsonl"), "--truth", p("truth.csv")])
        var outputs: [Data] = []
        for (threads, chunk) in [("1", "4096"), ("3", "7"), ("2", "50")] {
            let r = try CLI.run(["clean", p("people.jsonl"), "--output", p("c\(threads).jsonl"), "--demo-key", "--threads", threads, "--chunk-size", chunk, "--as-of", "2026-12"], in: CLI.repoRoot)
            #expect(r.status == 0, "\(r.stderr)")
            outputs.append(try Data(contentsOf: URL(fileURLWithPath: p("c\(threads).jsonl"))))
        }
        #expect(outputs[0] == outputs[1])
        #expect(outputs[0] == outputs[2])
        #expect(!outputs[0].isEmpty)
    }

    @Test("variant clusters are learned from the data: unmatched misspellings join their most frequent spelling")
    func learned() throws {
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        func p(_ name: String) -> String { dir.appendingPathComponent(name).path }
        var lines: [String] = []
        for (i, title) in ["Wizard of Lightbulb Moments", "wizard of lightbulb moments", "Wizard of Lightbulb Moments", "Wizzard of Lightbulb Momments", "Sr. Wizard of Lightbulb Moments"].enumerated() {
            lines.append("{\"id\":\"w\(i)\",\"positions\":[{\"title\":\"\(title)\"}]}")
        }
        try Self.write(lines.joined(separator: "\n") + "\n", to: p("people.jsonl"))
        func titles(_ extra: [String]) throws -> [(String, String, String?)] {
            let r = try CLI.run(["clean", p("people.jsonl"), "--output", p("c.jsonl"), "--demo-key", "--report", p("r.json")] + extra, in: CLI.repoRoot)
            #expect(r.status == 0, "\(r.stderr)")
            return try String(contentsOfFile: p("c.jsonl"), encoding: .utf8).split(separator: "\n").map { line in
                let position = ((try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any])["positions"] as! [[String: Any]])[0]
                return (position["title"] as! String, position["title_match"] as! String, position["seniority"] as? String)
            }
        }
        let learned = try titles([])
        #expect(Set(learned.map(\.0)) == ["wizard of lightbulb moments"])
        #expect(learned[3].1 == "learned")
        #expect(learned[0].1 == "none")
        #expect(learned[4].2 == "senior")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: p("r.json")))) as! [String: Any]
        #expect(report["learned_clusters_applied"] as? Bool == true)
        #expect((report["learned_clusters"] as? [[String: Any]])?.first?["name"] as? String == "Wizard of Lightbulb Moments")
        let plain = try titles(["--no-learn"])
        #expect(plain[3].0 == "wizzard of lightbulb momments")
        #expect(plain[3].1 == "none")
    }

    @Test("a bad overrides file is an error naming file, line and field, not the value")
    func badOverrides() throws {
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        func p(_ name: String) -> String { dir.appendingPathComponent(name).path }
        try Self.write("{\"id\":\"a\",\"positions\":[{\"title\":\"Nurse\"}]}\n", to: p("people.jsonl"))
        try Self.write("raw,canonical,occupation\nSecret Title Value,Nurse,no_such_occupation\n", to: p("o.csv"))
        let r = try CLI.run(["clean", p("people.jsonl"), "--output", p("c.jsonl"), "--demo-key", "--overrides", p("o.csv")])
        #expect(r.status != 0)
        #expect(r.stderr.contains("o.csv") && r.stderr.contains("2") && r.stderr.contains("occupation"))
        #expect(!r.stderr.contains("Secret Title Value"))
        #expect(!FileManager.default.fileExists(atPath: p("c.jsonl")))
    }
}
