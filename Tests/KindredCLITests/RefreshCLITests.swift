import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Synthetic people shared by these tests: 1,500 people (long enough a run to interrupt), and 200 for
/// the tests that only need runs to finish. (The refresh logic itself, stable ids and the diff, byte
/// identity, keys and attempts, is tested in process: KindredPipelineTests/JobTests.)
private struct People {
    let dir: URL
    func p(_ name: String) -> String { dir.appendingPathComponent(name).path }

    static let shared: Result<People, Error> = Result {
        let dir = try CLI.temporaryFolder()
        func p(_ name: String) -> String { dir.appendingPathComponent(name).path }
        var s = try CLI.run(["synth", "--people", "1500", "--seed", "31", "--malformed-rate", "0.004", "--output", p("people.jsonl"), "--truth", p("truth.csv")])
        guard s.status == 0 else { throw Failure.failed(s.stderr) }
        s = try CLI.run(["synth", "--people", "200", "--seed", "31", "--output", p("small.jsonl"), "--truth", p("small-truth.csv")])
        guard s.status == 0 else { throw Failure.failed(s.stderr) }
        return People(dir: dir)
    }

    enum Failure: Error { case failed(String) }
}

private func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

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

    @Test("run says what an attempt is (first, retry, re-run) and which good run came before; another key's previous run is refused with exit 2; runs lists every attempt")
    func attempts() throws {
        let f = try people()
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path
        let args = ["run", "--input", f.p("small.jsonl"), "--output", out]
        var r = try CLI.run(args + ["--demo-key", "--run-key", "k1"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("first run in this folder"), "\(r.stdout)")
        r = try CLI.run(args + ["--run-key", "k2"], environment: ["KINDRED_KEY": "a-private-key-of-32-bytes-000000"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("another pseudonymisation key"), "\(r.stderr)")
        // The key's text never reaches the log.
        #expect(!r.stderr.contains("a-private-key"))
        r = try CLI.run(args + ["--demo-key", "--run-key", "k2"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("retry of run k2 (attempt 2; no earlier attempt succeeded); previous good run: k1"), "\(r.stdout)")
        r = try CLI.run(args + ["--demo-key", "--run-key", "k1"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("re-run of run k1 (attempt 2); previous good run: k2"), "\(r.stdout)")
        #expect(!r.stdout.contains("first run in this folder"))
        #expect(r.stderr.contains("re-run of run k1 (attempt 2)"))
        let rows = try runs(out)
        #expect(rows.map { $0["key"] as? String } == ["k1", "k2", "k2", "k1"])
        #expect(rows.map { $0["status"] as? String } == ["succeeded", "failed", "succeeded", "succeeded"])
        #expect(rows[1]["exit_code"] as? Int == 2)
        #expect(rows.map { $0["attempt"] as? Int } == [1, 1, 2, 2])
        #expect(rows.map { $0["attempt_kind"] as? String } == ["first", "first", "retry", "re-run"])
        #expect(rows[2]["previous_run"] as? String == "k1")
        #expect((rows[2]["cluster_sizes"] as? [String: Any])?.isEmpty == false)
        let table = try CLI.run(["runs", "--output", out])
        #expect(table.stdout.contains("attempt") && table.stdout.contains("2 re-run"), "\(table.stdout)")
    }

    @Test("flags override environment variables, which override the config file; bad values name the variable")
    func layeredSettings() throws {
        let f = try people()
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("job.toml").path
        try """
            input = "\(f.p("small.jsonl"))"
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
        // The file alone and the environment over it: RunConfigTests (in process). Here the flag over both.
        var r = try CLI.run(["run", config, "--k", "14", "--run-key", "flag"], environment: ["KINDRED_GRAPH_K": "12", "KINDRED_SEED": "4"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try effective("flag") == "seed = 4 k = 14 k = 10")
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
        defer {
            flock(fd, LOCK_UN)
            close(fd)
        }
        let args = ["run", "--input", f.p("small.jsonl"), "--output", out, "--demo-key"]
        var started = Date()
        var r = try CLI.run(args)
        #expect(r.status == 75)
        #expect(r.stderr.contains("another run holds the lock"), "\(r.stderr)")
        #expect(Date().timeIntervalSince(started) < 5)
        started = Date()
        r = try CLI.run(args + ["--lock-wait", "1.5"])
        #expect(r.status == 75)
        #expect(Date().timeIntervalSince(started) >= 1.5)
        // That the run goes ahead once the lock is free: JobTests/lock (in process).
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
        var r = try CLI.run(["run", "--input", f.p("small.jsonl"), "--output", dir.appendingPathComponent("j").path, "--demo-key", "--log-format", "json"])
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
        r = try CLI.run(["run", "--input", f.p("small.jsonl"), "--output", dir.appendingPathComponent("t").path, "--demo-key"], environment: ["NO_COLOR": "1"])
        #expect(r.status == 0)
        #expect(!r.stderr.contains("\u{1B}") && !r.stderr.contains("\r"))
        #expect(r.stderr.contains("kindred: clean: read"))
        // Text logs off a terminal stay as quiet as before: no progress lines.
        #expect(!r.stderr.contains("searching neighbours") && !r.stderr.contains("/s,"), "\(r.stderr)")
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
            let command = "'\(CLI.binary.path)' run --input '\(f.p("small.jsonl"))' --output '\(dir.appendingPathComponent(out).path)' --demo-key"
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
}
