import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Inputs shared by the fault tests: 8,000 synthetic people (long enough to interrupt), a finished run
/// on 1,500 of them (its model, graph and clean people), and a 1,000,000-edge graph.
private struct Faults {
    let dir: URL
    func p(_ name: String) -> String { dir.appendingPathComponent(name).path }
    /// The run folder of the small run (model/, graph.kgraph, clean.jsonl).
    var run: String { p("small-out/latest") }

    static let shared: Result<Faults, Error> = Result {
        let dir = try CLI.temporaryFolder()
        func p(_ name: String) -> String { dir.appendingPathComponent(name).path }
        var r = try CLI.run(["synth", "--people", "8000", "--seed", "4", "--output", p("big.jsonl"), "--truth", p("big-truth.csv")])
        guard r.status == 0 else { throw Failure.failed(r.stderr) }
        r = try CLI.run(["synth", "--people", "1500", "--seed", "5", "--malformed-rate", "0.01", "--output", p("small.jsonl"), "--truth", p("small-truth.csv")])
        guard r.status == 0 else { throw Failure.failed(r.stderr) }
        r = try CLI.run(["run", "--input", p("small.jsonl"), "--output", p("small-out"), "--demo-key", "--run-key", "base"])
        guard r.status == 0 else { throw Failure.failed(r.stderr) }
        // 200,000 vertices, 5 pseudo-random edges each: clustering it takes seconds in a debug build.
        var text = ""
        text.reserveCapacity(14_000_000)
        var state: UInt64 = 7
        for u in 0..<200_000 {
            for _ in 0..<5 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                let v = Int((state >> 33) % 200_000)
                if v != u { text += "\(u) \(v)\n" }
            }
        }
        try text.write(toFile: p("big.edges"), atomically: true, encoding: .utf8)
        r = try CLI.run(["convert", p("big.edges"), p("big.kgraph")])
        guard r.status == 0 else { throw Failure.failed(r.stderr) }
        return Faults(dir: dir)
    }

    enum Failure: Error { case failed(String) }
}

/// A child `kindred` whose stderr is kept.
private final class Child {
    let process = Process()
    let errURL: URL

    init(_ arguments: [String], environment: [String: String] = [:], wrapper: [String] = []) throws {
        errURL = FileManager.default.temporaryDirectory.appendingPathComponent("kindred-child-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        if wrapper.isEmpty {
            process.executableURL = CLI.binary
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: wrapper[0])
            process.arguments = Array(wrapper.dropFirst()) + [CLI.binary.path] + arguments
        }
        var env = ProcessInfo.processInfo.environment
        for key in env.keys where key.hasPrefix("KINDRED_") { env.removeValue(forKey: key) }
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.currentDirectoryURL = CLI.repoRoot
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: errURL)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// Waits until `condition` holds while the child still runs; false when it ended first or 300 s passed (a loaded machine under TSan can take minutes to start a child).
    func waitUntil(_ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(300)
        while process.isRunning && Date() < deadline {
            if condition() { return process.isRunning }
            usleep(2_000)
        }
        return false
    }

    func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    /// What the child wrote on stderr so far.
    var stderrSoFar: String { (try? String(contentsOf: errURL, encoding: .utf8)) ?? "" }

    /// Waits for the end: the exit status (or the signal number) and stderr.
    func finish() -> (status: Int32, signalled: Bool, stderr: String) {
        process.waitUntilExit()
        let text = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: errURL)
        return (process.terminationStatus, process.terminationReason == .uncaughtSignal, text)
    }
}

/// Temporary files (`.NAME.tmp-PID-N`) and staging folders in a folder.
private func leftovers(_ folder: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.contains(".tmp-") || $0.hasPrefix(".staging-") }
}

/// A process id that is not running now (for planting a dead writer's temporary file).
private func deadPID() -> Int32 {
    var pid: Int32 = 3_999_999
    while kill(pid, 0) == 0 || errno != ESRCH { pid -= 1 }
    return pid
}

private func contents(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

/// Faults injected while Kindred reads and writes: signals, a full disk, a file-size limit, permissions,
/// truncated, deleted and damaged inputs, the memory limit. Each must give a clear error and exit code,
/// keep the previous outputs, and leave no temporary file after the next run.
@Suite("fault injection", .serialized)
struct FaultInjectionCLITests {
    private func faults() throws -> Faults { try Faults.shared.get() }

    private func scratch() throws -> URL { try CLI.temporaryFolder() }

    // MARK: signals

    /// Interrupts `arguments` with `sig` while it waits at its first stop checkpoint (the
    /// `KINDRED_TEST_PAUSE_AT_CHECK` hook: no guessed delay); checks the previous `output` is kept.
    private func interrupt(_ arguments: [String], output: String, signal sig: Int32) throws -> (status: Int32, signalled: Bool, stderr: String) {
        try Data("previous\n".utf8).write(to: URL(fileURLWithPath: output))
        let child = try Child(arguments, environment: ["KINDRED_TEST_PAUSE_AT_CHECK": "1"])
        let caught = child.waitUntil { child.stderrSoFar.contains("paused at checkpoint") }
        child.signal(sig)
        let end = child.finish()
        #expect(caught, "the command ended before it could be interrupted: \(end.stderr)")
        #expect(contents(output) == Data("previous\n".utf8), "the previous output was changed")
        return end
    }

    @Test("SIGTERM during clean, graph, cluster and project: exit 1 with a message, previous outputs kept, no temporary files")
    func sigterm() throws {
        let f = try faults()
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let d = dir.path
        let commands: [(String, [String], String)] = [
            ("clean", ["clean", f.p("big.jsonl"), "--output", d + "/c.jsonl", "--demo-key"], d + "/c.jsonl"),
            ("graph", ["graph", f.run + "/clean.jsonl", "--output", d + "/g.kgraph", "--k", "40"], d + "/g.kgraph"),
            ("cluster", ["cluster", f.p("big.kgraph"), "--output", d + "/p.csv"], d + "/p.csv"),
            ("project", ["project", "--model", f.run + "/model", f.p("big.jsonl"), "--output", d + "/a.csv", "--demo-key"], d + "/a.csv"),
        ]
        for (name, arguments, output) in commands {
            let end = try interrupt(arguments, output: output, signal: SIGTERM)
            #expect(!end.signalled && end.status == 1, "\(name): \(end.stderr)")
            #expect(end.stderr.contains("stopped by a signal"), "\(name): \(end.stderr)")
            #expect(leftovers(d).isEmpty, "\(name) left \(leftovers(d))")
        }
    }

    @Test("SIGKILL while writing: the previous output is kept, and the next run removes the dead writer's temporary file")
    func sigkill() throws {
        let f = try faults()
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let d = dir.path
        for (name, arguments, output) in [
            ("clean", ["clean", f.p("big.jsonl"), "--output", d + "/c.jsonl", "--demo-key"], d + "/c.jsonl"),
            ("project", ["project", "--model", f.run + "/model", f.p("big.jsonl"), "--output", d + "/a.csv", "--demo-key"], d + "/a.csv"),
        ] {
            let base = (output as NSString).lastPathComponent
            let end = try interrupt(arguments, output: output, signal: SIGKILL)  // paused with its temporary file open
            #expect(end.signalled && end.status == SIGKILL)
            #expect(!leftovers(d).isEmpty, "\(name): a killed writer cannot clean up; the next run must")
            let next = try CLI.run(arguments.map { $0 == f.p("big.jsonl") ? f.p("small.jsonl") : $0 })
            #expect(next.status == 0, "\(name): \(next.stderr)")
            #expect(!leftovers(d).contains { $0.hasPrefix("." + base + ".tmp-") }, "\(name) kept \(leftovers(d))")
        }
        // graph and cluster write at the end: a planted temporary file of a dead writer goes, a live one stays.
        let live = ".p.csv.tmp-\(getpid())-1"
        for name in [".p.csv.tmp-\(deadPID())-7", live] { try Data("half".utf8).write(to: dir.appendingPathComponent(name)) }
        let r = try CLI.run(["cluster", f.run + "/graph.kgraph", "--output", d + "/p.csv"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(leftovers(d) == [live])
    }

    // MARK: disk and permissions

    @Test("a file-size limit (ulimit -f) and a full stdout (/dev/full): exit 1 saying so, previous output kept, no temporary file")
    func fileSizeLimit() throws {
        let f = try faults()
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let output = dir.appendingPathComponent("c.jsonl").path
        try Data("previous\n".utf8).write(to: URL(fileURLWithPath: output))
        let command = "ulimit -f 200; exec '\(CLI.binary.path)' clean '\(f.p("small.jsonl"))' --output '\(output)' --demo-key"
        let r = try CLI.runScript(["/bin/sh", "-c", command])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains(output) && r.stderr.contains("file-size limit"), "\(r.stderr)")
        #expect(contents(output) == Data("previous\n".utf8))
        #expect(leftovers(dir.path).isEmpty, "\(leftovers(dir.path))")
        let full = try CLI.runScript(["/bin/sh", "-c", "exec '\(CLI.binary.path)' clean '\(f.p("small.jsonl"))' --output - --quarantine '\(dir.path)/q.jsonl' --demo-key > /dev/full"])
        #expect(full.status == 1, "\(full.stderr)")
        #expect(full.stderr.contains("the disk is full"), "\(full.stderr)")
    }

    private static func mountTmpfs(_ point: String, size: String) -> Bool {
        ("size=" + size).withCString { mount("tmpfs", point, "tmpfs", 0, $0) } == 0
    }

    private static let canMount: Bool = {
        guard geteuid() == 0 else { return false }
        let point = FileManager.default.temporaryDirectory.appendingPathComponent("kindred-mount-probe-\(getpid())").path
        mkdir(point, 0o755)
        defer { rmdir(point) }
        guard mountTmpfs(point, size: "64k") else { return false }
        umount(point)
        return true
    }()

    @Test("a full disk (a 512 KiB tmpfs): exit 1 saying the disk is full, the previous output kept, no temporary file",
          .enabled(if: canMount, "needs root and permission to mount a tmpfs"))
    func diskFull() throws {
        let f = try faults()
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let point = dir.appendingPathComponent("disk").path
        mkdir(point, 0o755)
        #expect(Self.mountTmpfs(point, size: "512k"))
        defer { umount(point) }
        let output = point + "/c.jsonl"
        try Data("previous\n".utf8).write(to: URL(fileURLWithPath: output))
        for arguments in [
            ["clean", f.p("small.jsonl"), "--output", output, "--quarantine", dir.path + "/q.jsonl", "--demo-key"],
            ["run", "--input", f.p("small.jsonl"), "--output", point + "/out", "--demo-key"],
        ] {
            let r = try CLI.run(arguments)
            #expect(r.status == 1, "\(r.stderr)")
            #expect(r.stderr.contains("the disk is full") || r.stderr.contains("No space left on device"), "\(r.stderr)")
            #expect(contents(output) == Data("previous\n".utf8))
            #expect(leftovers(point).isEmpty && leftovers(point + "/out/runs").isEmpty, "\(leftovers(point))")
        }
    }

    @Test("permission denied on the output folder: exit 1 naming the path, nothing written",
          .enabled(if: geteuid() != 0 || FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), "as root, needs setpriv(1) to run as nobody"))
    func permissionDenied() throws {
        let f = try faults()
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let locked = dir.appendingPathComponent("locked").path
        mkdir(locked, 0o555)
        chmod(locked, 0o555)
        chmod(dir.path, 0o755)
        // root ignores permissions: run as nobody then.
        let wrapper = geteuid() == 0 ? ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : []
        for arguments in [
            ["clean", f.p("small.jsonl"), "--output", locked + "/c.jsonl", "--demo-key"],
            ["run", "--input", f.p("small.jsonl"), "--output", locked + "/out", "--demo-key"],
            ["cluster", f.run + "/graph.kgraph", "--output", locked + "/p.csv"],
        ] {
            let child = try Child(arguments, wrapper: wrapper)
            let end = child.finish()
            #expect(end.status == 1, "\(arguments[0]): \(end.stderr)")
            #expect(end.stderr.contains(locked) && end.stderr.contains("Permission denied"), "\(arguments[0]): \(end.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: locked).isEmpty)
        }
    }

    // MARK: damaged inputs

    @Test("input truncated mid-record: the partial record is quarantined with its line and the counts reconcile; a truncated gzip or edge list is an error")
    func truncatedInput() throws {
        let f = try faults()
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        func p(_ name: String) -> String { dir.appendingPathComponent(name).path }
        let whole = try Data(contentsOf: URL(fileURLWithPath: f.p("big.jsonl")))
        let lines = whole.split(separator: UInt8(ascii: "\n"))
        let cut = Data(lines.prefix(99).joined(separator: [UInt8(ascii: "\n")]) + [UInt8(ascii: "\n")] + lines[99].prefix(40))
        try cut.write(to: URL(fileURLWithPath: p("cut.jsonl")))
        var r = try CLI.run(["clean", p("cut.jsonl"), "--output", p("c.jsonl"), "--demo-key", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let summary = try CLI.json(r.stdout)
        #expect(summary["read"] as? Int == 100 && summary["written"] as? Int == 99 && summary["quarantined"] as? Int == 1)
        let quarantine = try String(contentsOfFile: p("c.quarantine.jsonl"), encoding: .utf8)
        #expect(quarantine.contains("\"line\":100"))
        // CSV cut inside a quoted field.
        try "id,name,skills,titles\n1,A,\"Python;SQL\",Data Analyst\n2,B,\"Java;Spr".write(toFile: p("cut.csv"), atomically: true, encoding: .utf8)
        r = try CLI.run(["clean", p("cut.csv"), "--output", p("d.jsonl"), "--demo-key", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let csv = try CLI.json(r.stdout)
        #expect(csv["read"] as? Int == 2 && csv["written"] as? Int == 1 && csv["quarantined"] as? Int == 1)
        // gzip cut in half: a clear error, nothing written.
        let gzip = try CLI.runScript(["/bin/sh", "-c", "gzip -c '\(f.p("small.jsonl"))' | head -c 20000 > '\(p("cut.jsonl.gz"))'"])
        #expect(gzip.status == 0)
        r = try CLI.run(["clean", p("cut.jsonl.gz"), "--output", p("e.jsonl"), "--demo-key"])
        #expect(r.status == 1 && r.stderr.contains("cut.jsonl.gz") && r.stderr.contains("corrupt or truncated"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: p("e.jsonl")) && leftovers(dir.path).isEmpty)
        // An edge list cut mid-line.
        try "a b 1\nb c 1\nc".write(toFile: p("cut.edges"), atomically: true, encoding: .utf8)
        r = try CLI.run(["cluster", p("cut.edges"), "--output", p("p.csv")])
        #expect(r.status == 65 && r.stderr.contains("cut.edges:3"), "\(r.stderr)")
    }

    @Test("input deleted while clean reads it: Kindred holds the file open and cleans every record")
    func inputDeleted() throws {
        let f = try faults()
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("people.jsonl").path
        try FileManager.default.copyItem(atPath: f.p("big.jsonl"), toPath: input)
        let output = dir.appendingPathComponent("c.jsonl").path
        let child = try Child(["clean", input, "--output", output, "--demo-key"])
        let caught = child.waitUntil { leftovers(dir.path).contains { $0.hasPrefix(".c.jsonl.tmp-") } }
        #expect(unlink(input) == 0)
        let end = child.finish()
        #expect(caught)
        #expect(end.status == 0, "\(end.stderr)")
        let written = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").count
        let quarantined = try String(contentsOfFile: dir.appendingPathComponent("c.quarantine.jsonl").path, encoding: .utf8).split(separator: "\n").count
        #expect(written + quarantined == 8000)
    }

    @Test("input replaced while a run reads it: exit 1, nothing published, the previous run kept")
    func inputReplaced() throws {
        let f = try faults()
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("people.jsonl").path
        try FileManager.default.copyItem(atPath: f.p("small.jsonl"), toPath: input)
        let out = dir.appendingPathComponent("out").path
        var r = try CLI.run(["run", "--input", input, "--output", out, "--demo-key", "--run-key", "one"])
        #expect(r.status == 0, "\(r.stderr)")
        let before = contents(out + "/runs/one/manifest.json")
        try FileManager.default.removeItem(atPath: input)
        try FileManager.default.copyItem(atPath: f.p("big.jsonl"), toPath: input)
        let child = try Child(["run", "--input", input, "--output", out, "--demo-key", "--run-key", "one"])
        let caught = child.waitUntil { ((try? FileManager.default.contentsOfDirectory(atPath: out + "/runs")) ?? []).contains { $0.hasPrefix(".staging-") } }
        // Rewritten in place (same inode, new content and time).
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: input))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"id":"late","skills":["Python"],"positions":[]}"#.utf8 + [10]))
        try handle.close()
        let end = child.finish()
        #expect(caught)
        #expect(end.status == 1 && end.stderr.contains("the input changed while the run read it"), "\(end.stderr)")
        #expect(contents(out + "/runs/one/manifest.json") == before)
        #expect(leftovers(out + "/runs").isEmpty)
        r = try CLI.run(["runs", "--output", out, "--json"])
        #expect(r.stdout.contains("\"failed\""))
    }

    @Test("a damaged .kgraph or model (flipped byte, truncated): exit 65 naming the file, the previous output kept")
    func damagedFiles() throws {
        let f = try faults()
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        func p(_ name: String) -> String { dir.appendingPathComponent(name).path }
        var graph = try Data(contentsOf: URL(fileURLWithPath: f.run + "/graph.kgraph"))
        try Data("previous\n".utf8).write(to: URL(fileURLWithPath: p("p.csv")))
        graph[graph.count / 2] ^= 0x10
        try graph.write(to: URL(fileURLWithPath: p("flipped.kgraph")))
        try graph.prefix(graph.count - 100).write(to: URL(fileURLWithPath: p("cut.kgraph")))
        for (name, message) in [("flipped.kgraph", "checksum mismatch"), ("cut.kgraph", "truncated")] {
            let r = try CLI.run(["cluster", p(name), "--output", p("p.csv")])
            #expect(r.status == 65 && r.stderr.contains(name) && r.stderr.contains(message), "\(r.stderr)")
            #expect(contents(p("p.csv")) == Data("previous\n".utf8))
        }
        for (file, damage) in [("centroids.npy", "flip"), ("manifest.json", "cut"), ("clusters.json", "cut")] {
            let model = p("model-\(file)")
            try FileManager.default.copyItem(atPath: f.run + "/model", toPath: model)
            var bytes = try Data(contentsOf: URL(fileURLWithPath: model + "/" + file))
            if damage == "flip" { bytes[bytes.count - 3] ^= 0x01 } else { bytes = bytes.prefix(bytes.count / 2) }
            try bytes.write(to: URL(fileURLWithPath: model + "/" + file))
            try Data("previous\n".utf8).write(to: URL(fileURLWithPath: p("a.csv")))
            let r = try CLI.run(["project", "--model", model, f.p("small.jsonl"), "--output", p("a.csv"), "--demo-key"])
            #expect(r.status == 65 && r.stderr.contains(model), "\(file): \(r.stderr)")
            #expect(contents(p("a.csv")) == Data("previous\n".utf8))
        }
        #expect(leftovers(dir.path).isEmpty)
    }

    // MARK: limits

    @Test("--max-memory: a graph too big for the limit is refused before loading, with advice (exit 4); a bad limit is a usage error")
    func memoryLimit() throws {
        let f = try faults()
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        var r = try CLI.run(["cluster", f.p("big.kgraph"), "--output", dir.path + "/p.csv", "--max-memory", "64M"])
        #expect(r.status == 4, "\(r.stderr)")
        #expect(r.stderr.contains("--max-memory") && r.stderr.contains("smaller sample"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/p.csv"))
        r = try CLI.run(["cluster", f.p("big.kgraph"), "--output", dir.path + "/p.csv"], environment: ["KINDRED_MAX_MEMORY": "64M"])
        #expect(r.status == 4)
        r = try CLI.run(["cluster", f.run + "/graph.kgraph", "--output", dir.path + "/p.csv", "--max-memory", "50%"])
        #expect(r.status == 0, "\(r.stderr)")
        // Past the estimate, the watchdog: the edge list's clustering grows past 90 MiB (about 102 MiB in a
        // debug build) and is stopped, at a checkpoint or at once past 110%, with exit 4 and no output.
        r = try CLI.run(["cluster", f.p("big.edges"), "--output", dir.path + "/w.csv", "--max-memory", "90M"])
        #expect(r.status == 4, "\(r.stderr)")
        #expect(r.stderr.contains("--max-memory") && r.stderr.contains("smaller sample"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/w.csv") && leftovers(dir.path).isEmpty)
        for bad in ["10k", "lots", "0", "200%"] {
            r = try CLI.run(["cluster", f.run + "/graph.kgraph", "--output", dir.path + "/q.csv", "--max-memory", bad])
            #expect(r.status == 2 && r.stderr.contains("--max-memory"), "\(bad): \(r.stderr)")
        }
    }

    @Test("a 17 MB line is skipped without being held, quarantined with its line number, and the counts reconcile (clean and project)")
    func overlongLine() throws {
        let f = try faults()
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        func p(_ name: String) -> String { dir.appendingPathComponent(name).path }
        let small = try String(contentsOfFile: f.p("small.jsonl"), encoding: .utf8).split(separator: "\n")
        var text = small.prefix(10).joined(separator: "\n") + "\n"
        text += #"{"id":"huge","name":"Huge Person","skills":[""# + String(repeating: "x", count: 17_000_000) + "\"]}\n"
        text += small.dropFirst(10).prefix(10).joined(separator: "\n") + "\n"
        try text.write(toFile: p("long.jsonl"), atomically: false, encoding: .utf8)
        var r = try CLI.run(["clean", p("long.jsonl"), "--output", p("c.jsonl"), "--demo-key", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let s = try CLI.json(r.stdout)
        #expect((s["read"] as? Int) == 21 && (s["written"] as? Int).map { $0 + (s["quarantined"] as! Int) } == 21)
        let q = try String(contentsOfFile: p("c.quarantine.jsonl"), encoding: .utf8)
        #expect(q.contains("\"line\":11") && q.contains("line is longer than the limit of 16 MiB") && q.utf8.count < 10_000)
        r = try CLI.run(["project", "--model", f.run + "/model", p("long.jsonl"), "--output", p("a.csv"), "--demo-key", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let project = try CLI.json(r.stdout)  // --json on stdout when the CSV goes to a file
        #expect(project["read"] as? Int == 21 && project["reconciles"] as? Bool == true, "\(project)")
    }

    // MARK: privacy

    @Test("failing runs never print names, e-mails or raw ids; quarantine files are 0600 and redacted unless --show-values")
    func privacyUnderFailure() throws {
        let f = try faults()
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        func p(_ name: String) -> String { dir.appendingPathComponent(name).path }
        let secrets = ["Zelda Quixotic-Marsh", "zelda.qm@example.org", "RAWID-7731", "+1-555-0199"]
        let good = try String(contentsOfFile: f.p("small.jsonl"), encoding: .utf8).split(separator: "\n").prefix(30).joined(separator: "\n")
        let bad = [
            #"{"id":"RAWID-7731","name":"Zelda Quixotic-Marsh","email":"zelda.qm@example.org","phone":"+1-555-0199","skills":"not a list"}"#,
            #"{"id":"RAWID-7731","name":"Zelda Quixotic-Marsh","email":"zelda.qm@example.org","skills":["Python"],"positions":[{"title":"Nurse","start":"20x1"}]}"#,
            #"{"id":"RAWID-7731","name":"Zelda Quixotic-Marsh","email":"zelda.qm@example.org","#,
            "RAWID-7731,Zelda Quixotic-Marsh,zelda.qm@example.org",
        ].joined(separator: "\n")
        try (good + "\n" + bad + "\n" + good.split(separator: "\n").first! + "\n").write(toFile: p("pii.jsonl"), atomically: true, encoding: .utf8)
        var stderrs: [String] = []
        var r = try CLI.run(["clean", p("pii.jsonl"), "--output", p("c.jsonl"), "--demo-key", "--strict"])
        #expect(r.status == 3)
        stderrs.append(r.stderr)
        r = try CLI.run(["run", "--input", p("pii.jsonl"), "--output", p("out"), "--demo-key", "--strict", "--log-format", "json"])
        #expect(r.status == 3, "\(r.stderr)")
        stderrs.append(r.stderr)
        r = try CLI.run(["project", "--model", f.run + "/model", p("pii.jsonl"), "--output", p("a.csv"), "--demo-key", "--bad-records", "fail"])
        #expect(r.status == 65)
        stderrs.append(r.stderr)
        r = try CLI.runScript(["/bin/sh", "-c", "ulimit -f 8; exec '\(CLI.binary.path)' clean '\(p("pii.jsonl"))' --output '\(p("x.jsonl"))' --demo-key"])
        #expect(r.status == 1)
        stderrs.append(r.stderr)
        for text in stderrs {
            for secret in secrets { #expect(!text.contains(secret), "\(secret) printed: \(text)") }
        }
        var files = [p("c.quarantine.jsonl"), p("out/latest/quarantine.jsonl"), p("out/latest/report.html"), p("out/latest/summary.json"), p("c.jsonl")]
        files += (try FileManager.default.contentsOfDirectory(atPath: p("out/latest"))).map { p("out/latest/" + $0) }.filter { !$0.hasSuffix("/model") }
        for file in files where FileManager.default.fileExists(atPath: file) {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file, isDirectory: &isFolder), !isFolder.boolValue else { continue }
            let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: file)), as: UTF8.self)
            for secret in secrets { #expect(!text.contains(secret), "\(secret) in \(file)") }
        }
        for file in [p("c.quarantine.jsonl"), p("out/latest/quarantine.jsonl")] {
            let mode = (try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int) ?? 0
            #expect(mode == 0o600, "\(file) has mode \(String(mode, radix: 8))")
        }
        r = try CLI.run(["clean", p("pii.jsonl"), "--output", p("v.jsonl"), "--demo-key", "--show-values"])
        #expect(r.status == 0)
        let shown = try String(contentsOfFile: p("v.quarantine.jsonl"), encoding: .utf8)
        #expect(shown.contains("zelda.qm@example.org") && shown.contains("RAWID-7731"))
    }
}
