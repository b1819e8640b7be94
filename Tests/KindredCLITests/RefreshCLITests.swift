import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Synthetic people shared by the refresh tests: 1,500 people with ground truth, and a copy in
/// which a seeded 2% changed career (another occupation's skills and positions, own id kept).
private struct People {
    let dir: URL
    func p(_ name: String) -> String { dir.appendingPathComponent(name).path }
    /// Raw ids of the people changed in `people-next.jsonl`.
    let changed: Set<String>

    static let shared: Result<People, Error> = Result {
        let dir = try CLI.temporaryFolder()
        func p(_ name: String) -> String { dir.appendingPathComponent(name).path }
        let s = try CLI.run(["synth", "--people", "1500", "--seed", "31", "--malformed-rate", "0.004", "--output", p("people.jsonl"), "--truth", p("truth.csv")])
        guard s.status == 0 else { throw Failure.failed(s.stderr) }
        var truth: [String: String] = [:]
        for line in try String(contentsOfFile: p("truth.csv"), encoding: .utf8).split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",")
            truth[String(f[0])] = String(f[1])
        }
        var lines = try String(contentsOfFile: p("people.jsonl"), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        var records: [[String: Any]?] = lines.map { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
        let usable = records.indices.filter { i in
            guard let r = records[i], let id = r["id"] as? String, truth[id] != nil, let positions = r["positions"] as? [Any] else { return false }
            return !positions.isEmpty
        }
        var rng = SplitMix(seed: 99)
        var chosen = Set<Int>()
        let target = Int((0.02 * Double(usable.count)).rounded())
        while chosen.count < target { chosen.insert(usable[Int(rng.next() % UInt64(usable.count))]) }
        var changed = Set<String>()
        for i in chosen.sorted() {
            var me = records[i]!
            let myLabel = truth[me["id"] as! String]
            var donor: [String: Any]
            repeat { donor = records[usable[Int(rng.next() % UInt64(usable.count))]]! } while truth[donor["id"] as! String] == myLabel
            me["skills"] = donor["skills"]
            me["positions"] = donor["positions"]
            records[i] = me
            lines[i] = String(decoding: try JSONSerialization.data(withJSONObject: me, options: [.sortedKeys]), as: UTF8.self)
            changed.insert(me["id"] as! String)
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: p("people-next.jsonl"), atomically: true, encoding: .utf8)
        return People(dir: dir, changed: changed)
    }

    enum Failure: Error { case failed(String) }
}

/// A tiny seeded generator for the test's own choices.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

private func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

/// `id → cluster` from assignments.csv.
private func assignments(_ path: String) throws -> [String: String] {
    var out: [String: String] = [:]
    for line in try read(path).split(separator: "\n").dropFirst() {
        let f = line.split(separator: ",", omittingEmptySubsequences: false)
        out[String(f[0])] = String(f[1])
    }
    return out
}

/// Every regular file under a folder, relative path → bytes.
private func tree(_ folder: String) throws -> [String: Data] {
    var out: [String: Data] = [:]
    let walker = FileManager.default.enumerator(atPath: folder)
    while let relative = walker?.nextObject() as? String {
        var isFolder: ObjCBool = false
        let path = folder + "/" + relative
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue { out[relative] = try Data(contentsOf: URL(fileURLWithPath: path)) }
    }
    return out
}

/// The catalog as `kindred runs --json` prints it.
private func runs(_ output: String) throws -> [[String: Any]] {
    let r = try CLI.run(["runs", "--output", output, "--json"])
    guard r.status == 0 else { return [] }
    return try r.stdout.split(separator: "\n").map { try CLI.json(String($0)) }
}

@Suite("kindred run: scheduled refreshes", .serialized) struct RefreshCLITests {
    fileprivate func people() throws -> People { try People.shared.get() }

    @Test("same inputs, config and run key give byte-identical outputs, in another folder or re-run in place")
    func byteIdentical() throws {
        let f = try people()
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        func p(_ name: String) -> String { dir.appendingPathComponent(name).path }
        for out in ["one", "two"] {
            let r = try CLI.run(["run", "--input", f.p("people.jsonl"), "--output", p(out), "--demo-key", "--seed", "5", "--run-key", "2026-12-01"])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let one = try tree(p("one/runs/2026-12-01"))
        let two = try tree(p("two/runs/2026-12-01"))
        #expect(one.count >= 20 && one.keys.contains("manifest.json") && one.keys.contains("report.html") && one.keys.contains("model/centroids.npy"))
        #expect(Set(one.keys) == Set(two.keys))
        for (name, bytes) in one { #expect(two[name] == bytes, "\(name) differs between two identical runs") }
        // A retry of the same key in the same folder (after another run) starts from the same previous run.
        var r = try CLI.run(["run", "--input", f.p("people.jsonl"), "--output", p("one"), "--demo-key", "--seed", "5", "--run-key", "2026-12-08"])
        #expect(r.status == 0, "\(r.stderr)")
        let first = try tree(p("one/runs/2026-12-08"))
        r = try CLI.run(["run", "--input", f.p("people.jsonl"), "--output", p("one"), "--demo-key", "--seed", "5", "--run-key", "2026-12-08"])
        #expect(r.status == 0, "\(r.stderr)")
        let again = try tree(p("one/runs/2026-12-08"))
        #expect(first.keys.contains("diff.json"))
        for (name, bytes) in first { #expect(again[name] == bytes, "\(name) differs when the same key is run again") }
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: p("one/latest")) == "runs/2026-12-08")
        // A backfill of the older key after the newer one: the same bytes as its first try, and `latest`
        // moves to it (the newest good run by completion).
        r = try CLI.run(["run", "--input", f.p("people.jsonl"), "--output", p("one"), "--demo-key", "--seed", "5", "--run-key", "2026-12-01"])
        #expect(r.status == 0, "\(r.stderr)")
        let backfill = try tree(p("one/runs/2026-12-01"))
        #expect(Set(backfill.keys) == Set(one.keys))
        for (name, bytes) in one { #expect(backfill[name] == bytes, "\(name) differs in the backfill") }
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: p("one/latest")) == "runs/2026-12-01")
        // The manifest names every other file with its SHA-256.
        let manifest = try CLI.json(String(decoding: one["manifest.json"]!, as: UTF8.self))
        let files = manifest["files"] as! [String: String]
        #expect(Set(files.keys) == Set(one.keys).subtracting(["manifest.json"]))
    }

    @Test("a refresh with 2% of the people changed keeps ≥ 95% of cluster ids and the diff names exactly the people who moved")
    func refreshKeepsIDs() throws {
        let f = try people()
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path
        var r = try CLI.run(["run", "--input", f.p("people.jsonl"), "--output", out, "--demo-key", "--seed", "2", "--run-key", "week-1"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out + "/runs/week-1/diff.json"))
        // The second week's input comes from the environment, over the flags' absence.
        r = try CLI.run(["run", "--output", out, "--demo-key", "--seed", "2", "--run-key", "week-2"], environment: ["KINDRED_INPUT": f.p("people-next.jsonl")])
        #expect(r.status == 0, "\(r.stderr)")
        let diff = try CLI.json(try read(out + "/runs/week-2/diff.json"))
        #expect(diff["previous_run"] as? String == "week-1")
        let clusters = diff["clusters"] as! [String: Any]
        let kept = clusters["ids_kept_share"] as! Double
        #expect(kept >= 0.95, "ids kept \(kept)")
        // moved.csv against the two assignments, compared here independently.
        let a = try assignments(out + "/runs/week-1/assignments.csv")
        let b = try assignments(out + "/runs/week-2/assignments.csv")
        let moved = Set(a.keys.filter { b[$0] != nil && a[$0] != b[$0] })
        var named: [String: (String, String, String)] = [:]
        for line in try read(out + "/runs/week-2/moved.csv").split(separator: "\n").dropFirst() {
            let c = line.split(separator: ",").map(String.init)
            named[c[0]] = (c[1], c[2], c[3])
        }
        #expect(Set(named.keys) == moved)
        for (id, row) in named { #expect(row.0 == a[id] && row.1 == b[id]) }
        #expect((diff["people"] as! [String: Any])["moved"] as? Int == moved.count)
        // The changed people are the ones who moved: most of them, and few others.
        let changedRecords = named.values.filter { $0.2 == "true" }.count
        #expect(changedRecords >= f.changed.count * 8 / 10, "\(changedRecords) of \(f.changed.count) changed people moved")
        // An unchanged person moves with a reported merge, split, birth or death of a cluster, or
        // rarely on their own (a boundary person whose neighbours changed).
        func ids(_ key: String) -> Set<String> { Set((clusters[key] as! [Any]).map { "\($0)" }) }
        func flowIDs(_ key: String) -> Set<String> { Set((clusters[key] as! [[String: Any]]).map { "\($0["cluster"]!)" }) }
        let fromExplained = ids("gone").union(flowIDs("split"))
        let toExplained = ids("born").union(flowIDs("merged"))
        let unexplained = named.values.filter { $0.2 == "false" && !fromExplained.contains($0.0) && !toExplained.contains($0.1) }.count
        #expect(unexplained <= max(3, a.count / 100), "\(unexplained) unchanged people moved without a reported merge or split")
        // The catalog knows both runs; the second refreshed from the first.
        let catalog = try runs(out)
        #expect(catalog.map { $0["key"] as? String } == ["week-1", "week-2"])
        #expect(catalog.allSatisfy { $0["status"] as? String == "succeeded" })
        #expect(catalog[1]["previous_run"] as? String == "week-1")
        #expect((catalog[1]["cluster_sizes"] as? [String: Any])?.isEmpty == false)
        // The report says what moved.
        let report = try read(out + "/runs/week-2/report.html")
        #expect(report.contains("What moved since the previous run") && report.contains("week-1"))
    }

    @Test("without --run-key the key follows the inputs: the same inputs reuse their folder and say it is a re-run, changed ones refresh from the last, latest follows the newest good run")
    func automaticKey() throws {
        let f = try people()
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path
        var r = try CLI.run(["run", "--input", f.p("people.jsonl"), "--output", out, "--demo-key", "--as-of", "2026-11"])
        #expect(r.status == 0, "\(r.stderr)")
        r = try CLI.run(["run", "--input", f.p("people-next.jsonl"), "--output", out, "--demo-key", "--as-of", "2026-11"])
        #expect(r.status == 0, "\(r.stderr)")
        let catalog = try runs(out)
        #expect(catalog.count == 2)
        let keys = catalog.map { $0["key"] as? String ?? "" }
        #expect(keys.allSatisfy { $0.hasPrefix("auto-") } && keys[0] != keys[1])
        #expect(catalog[1]["previous_run"] as? String == keys[0])
        #expect(FileManager.default.fileExists(atPath: out + "/runs/\(keys[1])/diff.json"))
        // The first input again: its own folder, refreshed from nothing as the first time.
        let first = try tree(out + "/runs/\(keys[0])")
        #expect(catalog.map { $0["attempt"] as? Int } == [1, 1] && catalog.map { $0["attempt_kind"] as? String } == ["first", "first"])
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: out + "/latest") == "runs/" + keys[1])
        r = try CLI.run(["run", "--input", f.p("people.jsonl"), "--output", out, "--demo-key", "--as-of", "2026-11"])
        #expect(r.status == 0, "\(r.stderr)")
        // It says what it is: a re-run of the key, its attempt number, and the good run before it.
        #expect(r.stdout.contains("re-run of run \(keys[0]) (attempt 2); previous good run: \(keys[1])"), "\(r.stdout)")
        #expect(!r.stdout.contains("first run in this folder"))
        #expect(r.stderr.contains("re-run of run \(keys[0]) (attempt 2)"))
        let after = try runs(out)
        #expect(after.count == 3)
        #expect(after.last?["key"] as? String == keys[0] && after.last?["attempt"] as? Int == 2 && after.last?["attempt_kind"] as? String == "re-run")
        let again = try tree(out + "/runs/\(keys[0])")
        for (name, bytes) in first { #expect(again[name] == bytes, "\(name) differs") }
        // `latest` is the newest good run by completion: the re-run of the first input.
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: out + "/latest") == "runs/" + keys[0])
        let table = try CLI.run(["runs", "--output", out])
        #expect(table.stdout.contains("attempt") && table.stdout.contains("2 re-run"), "\(table.stdout)")
    }

    @Test("a previous run made with another pseudonymisation key is refused: exit 2, recorded as failed, nothing published")
    func otherKey() throws {
        let f = try people()
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path
        var r = try CLI.run(["run", "--input", f.p("people.jsonl"), "--output", out, "--demo-key", "--run-key", "w1"])
        #expect(r.status == 0, "\(r.stderr)")
        r = try CLI.run(["run", "--input", f.p("people.jsonl"), "--output", out, "--run-key", "w2"], environment: ["KINDRED_KEY": "a-private-key-of-32-bytes-000000"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("another pseudonymisation key"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out + "/runs/w2"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: out + "/runs").sorted() == ["w1"])
        let catalog = try runs(out)
        #expect(catalog.map { $0["status"] as? String } == ["succeeded", "failed"])
        #expect(catalog.last?["exit_code"] as? Int == 2)
        // The key's text never reaches the catalog or the log.
        #expect(!r.stderr.contains("a-private-key"))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: out + "/catalog.sqlite"))
        #expect(bytes.range(of: Data("a-private-key".utf8)) == nil)
        // Run again with the right key: a retry of w2 (its first attempt failed), one row per attempt.
        r = try CLI.run(["run", "--input", f.p("people.jsonl"), "--output", out, "--demo-key", "--run-key", "w2"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("retry of run w2 (attempt 2; no earlier attempt succeeded); previous good run: w1"), "\(r.stdout)")
        let rows = try runs(out)
        #expect(rows.map { $0["key"] as? String } == ["w1", "w2", "w2"])
        #expect(rows.map { $0["attempt"] as? Int } == [1, 1, 2])
        #expect(rows.map { $0["attempt_kind"] as? String } == ["first", "first", "retry"])
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: out + "/latest") == "runs/w2")
    }

    @Test("environment variables override the config file; flags override both; bad values name the variable")
    func layeredSettings() throws {
        let f = try people()
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("job.toml").path
        try """
            input = "\(f.p("people.jsonl"))"
            output = "out"
            catalog = "\(CLI.repoRoot.path)/datasets/occupations.json"
            seed = 1
            [clean]
            demo_key = true
            [graph]
            k = 10
            [report]
            stability_seeds = 0
            """.write(toFile: config, atomically: true, encoding: .utf8)
        func effective(_ key: String) throws -> String {
            let text = try read(dir.appendingPathComponent("out/runs/\(key)/config.toml").path)
            return text.split(separator: "\n").filter { $0.hasPrefix("k = ") || $0.hasPrefix("seed = ") }.joined(separator: " ")
        }
        var r = try CLI.run(["run", config, "--run-key", "file"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try effective("file") == "seed = 1 k = 10 k = 15")
        r = try CLI.run(["run", config], environment: ["KINDRED_GRAPH_K": "12", "KINDRED_SEED": "4", "KINDRED_RUN_KEY": "env"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try effective("env") == "seed = 4 k = 12 k = 15")
        r = try CLI.run(["run", config, "--k", "14", "--run-key", "flag"], environment: ["KINDRED_GRAPH_K": "12"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try effective("flag") == "seed = 1 k = 14 k = 15")
        r = try CLI.run(["run", config, "--run-key", "bad"], environment: ["KINDRED_GRAPH_K": "twelve"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("KINDRED_GRAPH_K") && r.stderr.contains("integer"), "\(r.stderr)")
        r = try CLI.run(["run", config, "--run-key", "../escape"])
        #expect(r.status == 2)
        r = try CLI.run(["run", config, "--previous", "no-such-run", "--run-key", "x"])
        #expect(r.status == 2, "\(r.stderr)")
    }

    @Test("a second run on a locked output folder exits 75 at once, or after --lock-wait")
    func lock() throws {
        let f = try people()
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        // This process holds the folder's lock, as a running job would.
        let fd = open(out + "/.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        #expect(fd >= 0)
        #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
        let args = ["run", "--input", f.p("people.jsonl"), "--output", out, "--demo-key"]
        var started = Date()
        var r = try CLI.run(args)
        #expect(r.status == 75)
        #expect(r.stderr.contains("another run holds the lock"), "\(r.stderr)")
        #expect(Date().timeIntervalSince(started) < 5)
        started = Date()
        r = try CLI.run(args + ["--lock-wait", "1.5"])
        #expect(r.status == 75)
        #expect(Date().timeIntervalSince(started) >= 1.5)
        flock(fd, LOCK_UN)
        close(fd)
        r = try CLI.run(args)
        #expect(r.status == 0, "\(r.stderr)")
    }

    /// Starts `kindred run` in the background and signals it once its staging folder holds a file.
    private func interrupt(_ args: [String], output: String, signal sig: Int32) throws -> Int32 {
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = args
        var env = ProcessInfo.processInfo.environment
        for key in env.keys where key.hasPrefix("KINDRED_") { env.removeValue(forKey: key) }
        process.environment = env
        process.currentDirectoryURL = CLI.repoRoot
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        var signalled = false
        while process.isRunning && Date() < deadline {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: output + "/runs")) ?? []
            if let staging = names.first(where: { $0.hasPrefix(".staging-") }),
               let inside = try? FileManager.default.contentsOfDirectory(atPath: output + "/runs/" + staging), !inside.isEmpty {
                kill(process.processIdentifier, sig)
                signalled = true
                break
            }
            usleep(2_000)
        }
        process.waitUntilExit()
        #expect(signalled, "the run finished before it could be interrupted")
        return process.terminationStatus
    }

    /// A fresh output folder with one finished run, "nightly": the folder, the output, the run's
    /// arguments and its files.
    private func nightly() throws -> (dir: URL, out: String, args: [String], before: [String: Data]) {
        let f = try people()
        let dir = try CLI.temporaryFolder()
        let out = dir.appendingPathComponent("out").path
        let args = ["run", "--input", f.p("people.jsonl"), "--output", out, "--demo-key", "--run-key", "nightly"]
        let r = try CLI.run(args)
        #expect(r.status == 0, "\(r.stderr)")
        return (dir, out, args, try tree(out + "/runs/nightly"))
    }

    @Test("SIGKILL in the middle of a run leaves the previous outputs intact; the next run marks it abandoned")
    func sigkill() throws {
        let (dir, out, args, before) = try nightly()
        defer { try? FileManager.default.removeItem(at: dir) }
        var r: CLIResult
        let status = try interrupt(args + ["--seed", "9"], output: out, signal: SIGKILL)
        #expect(status == SIGKILL)
        let after = try tree(out + "/runs/nightly")
        #expect(Set(after.keys) == Set(before.keys))
        for (name, bytes) in before { #expect(after[name] == bytes, "\(name) changed although the run was killed") }
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: out + "/latest") == "runs/nightly")
        #expect(try runs(out).map { $0["status"] as? String } == ["succeeded", "running"])
        // The next run finds the dead one: abandoned, its staging folder removed.
        r = try CLI.run(args + ["--run-key", "next"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("marked abandoned"))
        #expect(try runs(out).map { $0["status"] as? String } == ["succeeded", "abandoned", "succeeded"])
        let left = try FileManager.default.contentsOfDirectory(atPath: out + "/runs").filter { $0.hasPrefix(".") }
        #expect(left.isEmpty, "\(left)")
    }

    @Test("SIGTERM stops a run cleanly: exit 1, failed in the catalog, no staging left, previous outputs intact")
    func sigterm() throws {
        let (dir, out, args, before) = try nightly()
        defer { try? FileManager.default.removeItem(at: dir) }
        var r: CLIResult
        let status = try interrupt(args + ["--seed", "9"], output: out, signal: SIGTERM)
        #expect(status == 1)
        let after = try tree(out + "/runs/nightly")
        for (name, bytes) in before { #expect(after[name] == bytes, "\(name) changed although the run was stopped") }
        let catalog = try runs(out)
        #expect(catalog.map { $0["status"] as? String } == ["succeeded", "failed"])
        #expect((catalog.last?["error"] as? String)?.contains("stopped by a signal") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out + "/runs").filter { $0.hasPrefix(".") }.isEmpty)
        // --max-runtime stops it the same way.
        r = try CLI.run(args + ["--max-runtime", "0.001"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("maximum run time"), "\(r.stderr)")
        #expect(try runs(out).last?["status"] as? String == "failed")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out + "/runs").filter { $0.hasPrefix(".") }.isEmpty)
        let unchanged = try tree(out + "/runs/nightly")
        for (name, bytes) in before { #expect(unchanged[name] == bytes) }
        r = try CLI.run(args + ["--max-runtime", "100000d"])
        #expect(r.status == 2)
    }

    @Test("--log-format json writes JSON Lines on stderr; text logs carry no colour or progress when stderr is not a terminal")
    func logs() throws {
        let f = try people()
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        var r = try CLI.run(["run", "--input", f.p("people.jsonl"), "--output", dir.appendingPathComponent("j").path, "--demo-key", "--log-format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count >= 8)
        var events: [String] = []
        for line in lines {
            let object = try CLI.json(String(line))
            #expect(object["time"] is String && object["level"] is String && object["message"] is String)
            events.append(object["event"] as? String ?? "")
        }
        #expect(events.contains("run_started") && events.contains("stage_done") && events.last == "run_succeeded")
        r = try CLI.run(["run", "--input", f.p("people.jsonl"), "--output", dir.appendingPathComponent("t").path, "--demo-key"], environment: ["NO_COLOR": "1"])
        #expect(r.status == 0)
        #expect(!r.stderr.contains("\u{1B}") && !r.stderr.contains("\r"))
        #expect(r.stderr.contains("kindred: clean: read"))
        // A failure in JSON mode is a JSON line too, with the exit code.
        r = try CLI.run(["run", "--input", dir.appendingPathComponent("missing.jsonl").path, "--output", dir.appendingPathComponent("m").path, "--demo-key", "--log-format", "json"])
        #expect(r.status == 65)
        let last = try CLI.json(String(r.stderr.split(separator: "\n").last ?? ""))
        #expect(last["level"] as? String == "error" && last["exit_code"] as? Int == 65)
    }

    @Test("on a terminal: a progress bar and colour; NO_COLOR keeps the bar and drops the colour",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs script(1) from util-linux for a pseudo-terminal"))
    func terminal() throws {
        let f = try people()
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        func underTerminal(_ environment: [String: String], _ out: String) throws -> String {
            let command = "'\(CLI.binary.path)' run --input '\(f.p("people.jsonl"))' --output '\(dir.appendingPathComponent(out).path)' --demo-key"
            let r = try CLI.runScript(["/usr/bin/script", "-qec", command, "/dev/null"], environment: environment)
            #expect(r.status == 0, "\(r.stdout)")
            return r.stdout
        }
        // A deprecated setting (here from the environment) gives a warning to colour.
        let plain = try underTerminal(["KINDRED_GRAPH_SKILLS_WEIGHT": "2"], "a")
        #expect(plain.contains("] 1/7  graph") && plain.contains("\u{1B}[2K"))
        #expect(plain.contains("\u{1B}[33mkindred: warning:"))
        let noColor = try underTerminal(["NO_COLOR": "1", "KINDRED_GRAPH_SKILLS_WEIGHT": "2"], "b")
        #expect(noColor.contains("] 1/7  graph"))
        #expect(!noColor.contains("\u{1B}[33m") && !noColor.contains("\u{1B}[0m"))
    }

    @Test("the report is one self-contained HTML file: inline SVG, no external loads, every cluster, no personal data")
    func report() throws {
        let f = try people()
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path
        let r = try CLI.run(["run", "--input", f.p("people.jsonl"), "--output", out, "--demo-key", "--run-key", "r1"])
        #expect(r.status == 0, "\(r.stderr)")
        let html = try read(out + "/runs/r1/report.html")
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("Content-Security-Policy") && html.contains("default-src 'none'"))
        #expect(html.components(separatedBy: "<svg").count - 1 == 2)
        #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("<script") && !html.contains("<link"))
        let summary = try CLI.json(try read(out + "/runs/r1/summary.json"))
        let sizes = summary["cluster_sizes"] as! [String: Int]
        for id in sizes.keys { #expect(html.contains("id=\"cluster-\(id)\""), "cluster \(id) missing from the report") }
        for section in ["Run summary and reconciliation", "Cluster sizes", "Map of the clusters", "Stability", "Most typical members", "Nearest clusters"] {
            #expect(html.contains(section))
        }
        // Typical members are pseudonyms from clean.jsonl; no raw id, name or e-mail of the input appears.
        var identifiers: [String] = []
        for line in try read(f.p("people.jsonl")).split(separator: "\n") {
            guard let o = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else { continue }
            for key in ["id", "name", "email"] { if let v = o[key] as? String { identifiers.append(v) } }
        }
        #expect(identifiers.count > 4000)
        let leaked = identifiers.filter { html.contains($0) }
        #expect(leaked.isEmpty, "\(leaked.count) personal identifiers in the report")
    }
}
