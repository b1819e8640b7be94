import Foundation
import Testing

/// 400 synthetic people with ground truth (`node,label,family`), made once for these tests.
private struct SmallPeople {
    let dir: URL
    func p(_ name: String) -> String { dir.appendingPathComponent(name).path }

    static let shared: Result<SmallPeople, Error> = Result {
        let dir = try CLI.temporaryFolder()
        let s = try CLI.run([
            "synth", "--people", "400", "--seed", "7", "--output", dir.appendingPathComponent("people.jsonl").path, "--truth",
            dir.appendingPathComponent("truth.csv").path,
        ])
        guard s.status == 0 else { throw Failure.failed(s.stderr) }
        return SmallPeople(dir: dir)
    }

    enum Failure: Error { case failed(String) }
}

/// Every regular file under a folder, relative path → bytes.
private func files(_ folder: String) throws -> [String: Data] {
    var out: [String: Data] = [:]
    let walker = FileManager.default.enumerator(atPath: folder)
    while let relative = walker?.nextObject() as? String {
        var isFolder: ObjCBool = false
        let path = folder + "/" + relative
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue { out[relative] = try Data(contentsOf: URL(fileURLWithPath: path)) }
    }
    return out
}

@Suite("kindred run: --threads, progress, --truth-column", .serialized) struct RunOptionsCLITests {
    private func people() throws -> SmallPeople { try SmallPeople.shared.get() }

    @Test("--threads and --log-format json: JSON progress events go to stderr, never into the outputs")
    func threadsAndProgress() throws {
        // That 1 and 2 threads give byte-identical run folders: RunOptionsTests/threads (in process);
        // that text logs off a terminal carry no progress: RefreshCLITests/logs.
        let f = try people()
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let base = ["run", "--input", f.p("people.jsonl"), "--demo-key", "--run-key", "2026-12-01"]
        let two = try CLI.run(
            base + ["--output", dir.appendingPathComponent("two").path, "--threads", "2", "--log-format", "json"],
            environment: ["KINDRED_PROGRESS_INTERVAL": "0.1"])
        #expect(two.status == 0, "\(two.stderr)")
        let b = try files(dir.appendingPathComponent("two/runs/2026-12-01").path)
        #expect(b.count >= 20)
        // Progress events: at least one per counted stage (the last one when the stage ends), with counts and a rate.
        var stages: Set<String> = []
        for line in two.stderr.split(separator: "\n") {
            let event = try CLI.json(String(line))
            guard event["event"] as? String == "progress" else { continue }
            #expect(event["done"] is Int && event["rate"] is Double && event["unit"] is String && event["phase"] is String)
            if let total = event["total"] as? Int, let done = event["done"] as? Int { #expect(done <= total) }
            stages.insert(event["stage"] as? String ?? "")
        }
        #expect(stages.isSuperset(of: ["clean", "graph", "cluster", "project"]), "\(stages)")
        // Only counts: no pseudonymous or raw id reaches a progress event.
        let progressText = two.stderr.split(separator: "\n").filter { $0.contains("\"event\":\"progress\"") }.joined()
        #expect(!progressText.contains("p000"))
        for (name, bytes) in b {
            #expect(bytes.range(of: Data("\"progress\"".utf8)) == nil && bytes.range(of: Data("vertex visits".utf8)) == nil, "\(name) holds progress")
        }
    }

    @Test("threads from the config (`threads`) and KINDRED_THREADS; bad values are usage errors naming their source")
    func threadsSettings() throws {
        let f = try people()
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("job.toml").path
        try "input = \"\(f.p("people.jsonl"))\"\noutput = \"out\"\nthreads = 0\n[clean]\ndemo_key = true\n".write(toFile: config, atomically: true, encoding: .utf8)
        var r = try CLI.run(["run", config])
        #expect(r.status == 2 && r.stderr.contains("threads"), "\(r.stderr)")
        r = try CLI.run(["run", "--input", f.p("people.jsonl"), "--output", dir.appendingPathComponent("x").path, "--demo-key"], environment: ["KINDRED_THREADS": "none"])
        #expect(r.status == 2 && r.stderr.contains("KINDRED_THREADS"), "\(r.stderr)")
        r = try CLI.run(["run", "--input", f.p("people.jsonl"), "--output", dir.appendingPathComponent("x").path, "--demo-key", "--threads", "0"])
        #expect(r.status == 2 && r.stderr.contains("--threads"), "\(r.stderr)")
        // A good value in the config or the environment is read (RunConfigTests) and the thread count is not part of
        // the config hash: the same automatic key and bytes at 1 and 2 threads (RunOptionsTests/threads, in process).
        // Every computing command takes --threads.
        for command in ["clean", "graph", "cluster", "evaluate", "run", "project", "similar", "knn", "vectors", "synth"] {
            let help = try CLI.run([command, "--help"])
            #expect(help.stdout.contains("--threads"), "kindred \(command) has no --threads")
        }
    }

    @Test("--truth-column wins over KINDRED_TRUTH_COLUMN")
    func truthColumn() throws {
        // The default column, `truth_column` / KINDRED_TRUTH_COLUMN and an unknown column: RunOptionsTests/truthColumn (in process).
        let f = try people()
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(
            ["run", "--input", f.p("people.jsonl"), "--truth", f.p("truth.csv"), "--demo-key", "--output", dir.appendingPathComponent("d").path, "--json",
             "--truth-column", "label"], environment: ["KINDRED_TRUTH_COLUMN": "family"])
        #expect(r.status == 0, "\(r.stderr)")
        let flagWins = (try CLI.json(r.stdout)["evaluation"] as? [String: Any])?["truth_labels"] as? Int
        // truth_labels counts the distinct values of the column used.
        let rows = try String(contentsOfFile: f.p("truth.csv"), encoding: .utf8).split(separator: "\n").dropFirst().map { $0.split(separator: ",") }
        let labels = Set(rows.map { String($0[1]) }).count
        let families = Set(rows.map { String($0[2]) }).count
        #expect(families < labels)
        #expect(flagWins == labels, "\(String(describing: flagWins)) truth labels; the label column has \(labels), the family column \(families)")
    }

    @Test("standalone clean, graph, cluster and project report progress like run: JSON events with KINDRED_LOG_FORMAT=json, none in plain text off a terminal")
    func standaloneProgress() throws {
        let f = try people()
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        func p(_ name: String) -> String { dir.appendingPathComponent(name).path }
        let json = ["KINDRED_LOG_FORMAT": "json", "KINDRED_PROGRESS_INTERVAL": "0.1"]
        func lastProgress(_ stderr: String, stage: String) throws -> [String: Any]? {
            var last: [String: Any]?
            for line in stderr.split(separator: "\n") where line.contains("\"event\":\"progress\"") {
                let event = try CLI.json(String(line))
                if event["stage"] as? String == stage { last = event }
            }
            return last
        }
        var r = try CLI.run(["clean", f.p("people.jsonl"), "--output", p("clean.jsonl"), "--demo-key", "--json"], environment: json)
        #expect(r.status == 0, "\(r.stderr)")
        let read = try CLI.json(r.stdout)["read"] as? Int
        let clean = try lastProgress(r.stderr, stage: "clean")
        #expect(clean?["unit"] as? String == "records" && clean?["done"] as? Int == read, "\(r.stderr)")
        // Plain text off a terminal: no progress lines.
        r = try CLI.run(["clean", f.p("people.jsonl"), "--output", p("clean2.jsonl"), "--demo-key"])
        #expect(r.status == 0 && !r.stderr.contains("\r") && !r.stderr.contains("/s,"), "\(r.stderr)")
        r = try CLI.run(["graph", p("clean.jsonl"), "--output", p("g.kgraph")], environment: json)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try lastProgress(r.stderr, stage: "graph")?["unit"] as? String == "people", "\(r.stderr)")
        r = try CLI.run(["cluster", p("g.kgraph"), "--output", p("a.csv")], environment: json)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try lastProgress(r.stderr, stage: "cluster") != nil, "\(r.stderr)")
        let run = try CLI.run(["run", "--input", f.p("people.jsonl"), "--demo-key", "--output", p("out")])
        #expect(run.status == 0, "\(run.stderr)")
        r = try CLI.run(["project", f.p("people.jsonl"), "--model", p("out"), "--demo-key", "--output", p("projected.csv")], environment: json)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try lastProgress(r.stderr, stage: "project")?["done"] as? Int == read, "\(r.stderr)")
    }
}
