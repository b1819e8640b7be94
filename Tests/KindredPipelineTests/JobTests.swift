import Foundation
import KindredClean
import KindredCore
import KindredPeople
import KindredTestSupport
import Testing
@testable import KindredPipeline

#if canImport(Glibc)
import Glibc
#endif

/// Synthetic people shared by the refresh tests: 1,500 people with ground truth, and a copy in
/// which a seeded 2% changed career (another occupation's skills and positions, own id kept).
/// (The same files `kindred synth --people 1500 --seed 31 --malformed-rate 0.004` gives the CLI tests.)
private struct RefreshPeople {
    let folder: TemporaryFolder
    func p(_ name: String) -> String { folder.file(name) }
    /// Raw ids of the people changed in `people-next.jsonl`.
    let changed: Set<String>

    static let shared: Result<RefreshPeople, any Error> = Result {
        let folder = try TemporaryFolder(prefix: "kindred-job-tests")
        func p(_ name: String) -> String { folder.file(name) }
        try writeSyntheticPeople(count: 1500, seed: 31, malformedRate: 0.004, people: p("people.jsonl"), truth: p("truth.csv"))
        var truth: [String: String] = [:]
        for line in try readText(p("truth.csv")).split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",")
            truth[String(f[0])] = String(f[1])
        }
        var lines = try readText(p("people.jsonl")).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
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
        // Two small inputs for the tests whose subject does not depend on the input's size (keys, attempts, the lock).
        try writeSyntheticPeople(count: 200, seed: 31, people: p("small.jsonl"), truth: p("small-truth.csv"))
        try writeSyntheticPeople(count: 200, seed: 32, people: p("small-next.jsonl"), truth: p("small-next-truth.csv"))
        return RefreshPeople(folder: folder, changed: changed)
    }
}

/// The CLI refresh tests' own seeded generator for choosing the changed people (kept, so both suites change the same people).
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

/// One finished run of the 1,500 people (seed 2, key `week-1`), made once: the report test reads it and the
/// refresh test refreshes a copy of its output folder.
private struct Week1 {
    let folder: TemporaryFolder
    var output: String { folder.file("out") }
    let outcome: JobOutcome

    static let shared: Result<Week1, any Error> = Result {
        let people = try RefreshPeople.shared.get()
        let folder = try TemporaryFolder(prefix: "kindred-job-tests")
        let outcome = try Job.run(runConfig(input: people.p("people.jsonl"), output: folder.file("out"), seed: 2, runKey: "week-1"), environment: [:])
        return Week1(folder: folder, outcome: outcome)
    }
}

/// The catalog's rows for an output folder.
private func catalogRows(_ output: String) throws -> [RunCatalog.Record] {
    try RunCatalog(path: RunFolder.catalog(output)).runs()
}

/// Where `OUTPUT/latest` points.
private func latest(_ output: String) throws -> String {
    try FileManager.default.destinationOfSymbolicLink(atPath: RunFolder.latest(output))
}

/// `Job.run` in this process: the scheduled job without the command line (no subprocess). The job's
/// log is silent here; what the command line prints is tested in KindredCLITests.
@Suite("Job: scheduled runs and refreshes, in process", .serialized)
struct JobTests {
    fileprivate func people() throws -> RefreshPeople { try RefreshPeople.shared.get() }

    @Test("same inputs, config and run key give byte-identical outputs, in another folder or re-run in place; a backfill gives its first bytes")
    func byteIdentical() throws {
        let f = try people()
        let dir = try TemporaryFolder(prefix: "kindred-job-tests")
        defer { dir.cleanUp() }
        func run(_ out: String, _ key: String) throws -> JobOutcome {
            try Job.run(runConfig(input: f.p("people.jsonl"), output: dir.file(out), seed: 5, runKey: key), environment: [:])
        }
        for out in ["one", "two"] { _ = try run(out, "2026-12-01") }
        let one = try fileTree(dir.file("one/runs/2026-12-01"))
        let two = try fileTree(dir.file("two/runs/2026-12-01"))
        #expect(one.count >= 20 && one.keys.contains("manifest.json") && one.keys.contains("report.html") && one.keys.contains("model/centroids.npy"))
        #expect(Set(one.keys) == Set(two.keys))
        for (name, bytes) in one { #expect(two[name] == bytes, "\(name) differs between two identical runs") }
        // config.toml is the canonical text of the settings (its SHA-256 is the config hash).
        let config = runConfig(input: f.p("people.jsonl"), output: dir.file("one"), seed: 5, runKey: "2026-12-01")
        #expect(String(decoding: one["config.toml"] ?? Data(), as: UTF8.self)
            == config.canonicalText(fingerprints: .init(), asOf: YearMonth(year: 2026, month: 12)))
        // A retry of the same key in the same folder (after another run) starts from the same previous run.
        let first = try run("one", "2026-12-08")
        #expect(first.previous == "2026-12-01" && first.attemptKind == .first)
        let firstTree = try fileTree(dir.file("one/runs/2026-12-08"))
        let again = try run("one", "2026-12-08")
        #expect(again.previous == "2026-12-01" && again.attempt == 2 && again.attemptKind == .rerun)
        let againTree = try fileTree(dir.file("one/runs/2026-12-08"))
        #expect(firstTree.keys.contains("diff.json"))
        for (name, bytes) in firstTree { #expect(againTree[name] == bytes, "\(name) differs when the same key is run again") }
        #expect(try latest(dir.file("one")) == "runs/2026-12-08")
        // A backfill of the older key after the newer one: the same bytes as its first try, and `latest`
        // moves to it (the newest good run by completion).
        _ = try run("one", "2026-12-01")
        let backfill = try fileTree(dir.file("one/runs/2026-12-01"))
        #expect(Set(backfill.keys) == Set(one.keys))
        for (name, bytes) in one { #expect(backfill[name] == bytes, "\(name) differs in the backfill") }
        #expect(try latest(dir.file("one")) == "runs/2026-12-01")
        // The manifest names every other file with its SHA-256.
        let manifest = try jsonObject(String(decoding: one["manifest.json"]!, as: UTF8.self))
        let files = manifest["files"] as! [String: String]
        #expect(Set(files.keys) == Set(one.keys).subtracting(["manifest.json"]))
        for (name, sha) in files { #expect(try ClusterModel.sha256(of: dir.file("one/runs/2026-12-01/" + name)) == sha, "\(name)") }
    }

    @Test("a refresh with 2% of the people changed keeps ≥ 95% of cluster ids and the diff names exactly the people who moved")
    func refreshKeepsIDs() throws {
        let f = try people()
        let dir = try TemporaryFolder(prefix: "kindred-job-tests")
        defer { dir.cleanUp() }
        let out = dir.file("out")
        let shared = try Week1.shared.get()
        try FileManager.default.copyItem(atPath: shared.output, toPath: out)
        #expect(shared.outcome.previous == nil)
        #expect(!FileManager.default.fileExists(atPath: out + "/runs/week-1/diff.json"))
        // The second week's input comes from the environment (no --input flag).
        var next = try RunConfig.load(path: nil, environment: ["KINDRED_INPUT": f.p("people-next.jsonl")])
        next.output = out
        next.demoKey = true
        next.seed = 2
        next.runKey = "week-2"
        let week2 = try Job.run(next, environment: [:])
        #expect(week2.previous == "week-1")
        let diff = try jsonObject(try readText(out + "/runs/week-2/diff.json"))
        #expect(diff["previous_run"] as? String == "week-1")
        let clusters = diff["clusters"] as! [String: Any]
        let kept = clusters["ids_kept_share"] as! Double
        #expect(kept >= 0.95, "ids kept \(kept)")
        // moved.csv against the two assignments, compared here independently.
        let a = try assignments(out + "/runs/week-1/assignments.csv")
        let b = try assignments(out + "/runs/week-2/assignments.csv")
        let moved = Set(a.keys.filter { b[$0] != nil && a[$0] != b[$0] })
        var named: [String: (String, String, String)] = [:]
        for line in try readText(out + "/runs/week-2/moved.csv").split(separator: "\n").dropFirst() {
            let c = line.split(separator: ",").map(String.init)
            named[c[0]] = (c[1], c[2], c[3])
        }
        #expect(Set(named.keys) == moved)
        for (id, row) in named { #expect(row.0 == a[id] && row.1 == b[id]) }
        #expect((diff["people"] as! [String: Any])["moved"] as? Int == moved.count)
        #expect(week2.summary.diff?.moved.count == moved.count)
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
        let catalog = try catalogRows(out)
        #expect(catalog.map(\.key) == ["week-1", "week-2"])
        #expect(catalog.allSatisfy { $0.status == .succeeded })
        #expect(catalog[1].previousKey == "week-1")
        #expect(try !RunCatalog(path: RunFolder.catalog(out)).clusterSizes(runID: catalog[1].id).isEmpty)
        #expect(catalog[1].moved == moved.count && catalog[1].idsKept == week2.summary.diff?.idsKept)
        // The report says what moved.
        let report = try readText(out + "/runs/week-2/report.html")
        #expect(report.contains("What moved since the previous run") && report.contains("week-1"))
    }

    @Test("without a run key the key follows the inputs: the same inputs reuse their folder as a re-run, changed ones refresh from the last, latest follows the newest good run")
    func automaticKey() throws {
        let f = try people()
        let dir = try TemporaryFolder(prefix: "kindred-job-tests")
        defer { dir.cleanUp() }
        let out = dir.file("out")
        func run(_ input: String) throws -> JobOutcome {
            var config = runConfig(input: f.p(input), output: out)
            config.asOf = YearMonth(year: 2026, month: 11)
            return try Job.run(config, environment: [:])
        }
        let first = try run("small.jsonl")
        #expect(first.attemptKind == .first && first.previousGood == nil)
        let second = try run("small-next.jsonl")
        let catalog = try catalogRows(out)
        #expect(catalog.count == 2)
        let keys = catalog.map(\.key)
        #expect(keys == [first.key, second.key])
        #expect(keys.allSatisfy { $0.hasPrefix("auto-") && $0.count == 17 } && keys[0] != keys[1])
        #expect(catalog[1].previousKey == keys[0] && second.previous == keys[0])
        #expect(FileManager.default.fileExists(atPath: out + "/runs/\(keys[1])/diff.json"))
        // The first input again: its own folder, refreshed from nothing as the first time.
        let firstTree = try fileTree(out + "/runs/\(keys[0])")
        #expect(catalog.map(\.attempt) == [1, 1] && catalog.map(\.attemptKind) == [.first, .first])
        #expect(try latest(out) == "runs/" + keys[1])
        let rerun = try run("small.jsonl")
        // It says what it is: a re-run of the key, its attempt number, and the good run before it.
        #expect(rerun.key == keys[0] && rerun.attempt == 2 && rerun.attemptKind == .rerun && rerun.previousGood == keys[1] && rerun.previous == nil)
        #expect(rerun.description == "re-run of run \(keys[0]) (attempt 2); previous good run: \(keys[1])")
        let after = try catalogRows(out)
        #expect(after.count == 3)
        #expect(after.last?.key == keys[0] && after.last?.attempt == 2 && after.last?.attemptKind == .rerun)
        let again = try fileTree(out + "/runs/\(keys[0])")
        for (name, bytes) in firstTree { #expect(again[name] == bytes, "\(name) differs") }
        // `latest` is the newest good run by completion: the re-run of the first input.
        #expect(try latest(out) == "runs/" + keys[0])
    }

    @Test("a previous run made with another pseudonymisation key is refused: a usage error (exit 2), recorded as failed, nothing published; the right key retries")
    func otherKey() throws {
        let f = try people()
        let dir = try TemporaryFolder(prefix: "kindred-job-tests")
        defer { dir.cleanUp() }
        let out = dir.file("out")
        _ = try Job.run(runConfig(input: f.p("small.jsonl"), output: out, runKey: "w1"), environment: [:])
        var private_ = runConfig(input: f.p("small.jsonl"), output: out, runKey: "w2")
        private_.demoKey = false
        let error = #expect(throws: KindredError.self) {
            _ = try Job.run(private_, environment: ["KINDRED_KEY": "a-private-key-of-32-bytes-000000"])
        }
        #expect(error?.code == .usage && error?.exitStatus == 2)
        #expect(error?.message.contains("another pseudonymisation key") == true, "\(error?.description ?? "")")
        #expect(!FileManager.default.fileExists(atPath: out + "/runs/w2"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: out + "/runs").sorted() == ["w1"])
        let catalog = try catalogRows(out)
        #expect(catalog.map(\.status) == [.succeeded, .failed])
        #expect(catalog.last?.exitCode == 2)
        // The key's text never reaches the error, the catalog or the folder.
        #expect(error?.description.contains("a-private-key") == false)
        #expect(catalog.allSatisfy { !($0.error ?? "").contains("a-private-key") })
        let bytes = try Data(contentsOf: URL(fileURLWithPath: out + "/catalog.sqlite"))
        #expect(bytes.range(of: Data("a-private-key".utf8)) == nil)
        // Run again with the right key: a retry of w2 (its first attempt failed), one row per attempt.
        let retry = try Job.run(runConfig(input: f.p("small.jsonl"), output: out, runKey: "w2"), environment: [:])
        #expect(retry.description == "retry of run w2 (attempt 2; no earlier attempt succeeded); previous good run: w1")
        let rows = try catalogRows(out)
        #expect(rows.map(\.key) == ["w1", "w2", "w2"])
        #expect(rows.map(\.attempt) == [1, 1, 2])
        #expect(rows.map(\.attemptKind) == [.first, .first, .retry])
        #expect(try latest(out) == "runs/w2")
    }

    @Test("a run on a locked output folder fails at once (locked, exit 75), or after the lock wait; it runs once the lock is free")
    func lock() throws {
        let f = try people()
        let dir = try TemporaryFolder(prefix: "kindred-job-tests")
        defer { dir.cleanUp() }
        let out = dir.file("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        // A descriptor of its own holds the folder's lock, as a running job would (flock locks belong
        // to the open file, so the job's own open conflicts with it even in this process).
        let fd = open(out + "/.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        #expect(fd >= 0)
        #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
        let config = runConfig(input: f.p("small.jsonl"), output: out)
        var started = Date()
        var error = #expect(throws: KindredError.self) { _ = try Job.run(config, environment: [:]) }
        #expect(error?.code == .locked && error?.exitStatus == 75)
        #expect(error?.message.contains("another run holds the lock") == true, "\(error?.description ?? "")")
        #expect(Date().timeIntervalSince(started) < 5)
        started = Date()
        error = #expect(throws: KindredError.self) { _ = try Job.run(config, lockWait: 1.5, environment: [:]) }
        #expect(error?.code == .locked)
        #expect(Date().timeIntervalSince(started) >= 1.5)
        // Nothing was recorded while locked out.
        let rowsWhileLocked = FileManager.default.fileExists(atPath: RunFolder.catalog(out)) ? try catalogRows(out) : []
        #expect(rowsWhileLocked.isEmpty)
        flock(fd, LOCK_UN)
        close(fd)
        _ = try Job.run(config, environment: [:])
        #expect(try catalogRows(out).map(\.status) == [.succeeded])
    }

    @Test("the report is one self-contained HTML file: inline SVG, no external loads, every cluster, no personal data")
    func report() throws {
        let f = try people()
        let week1 = try Week1.shared.get()
        let (out, outcome) = (week1.output, week1.outcome)
        #expect(outcome.folder == RunFolder.folder(out, key: "week-1"))
        let html = try readText(out + "/runs/week-1/report.html")
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("Content-Security-Policy") && html.contains("default-src 'none'"))
        #expect(html.components(separatedBy: "<svg").count - 1 == 4)  // sizes, map, and the sensitivity of tenure and of switches
        #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("<script") && !html.contains("<link"))
        let summary = try jsonObject(try readText(out + "/runs/week-1/summary.json"))
        let sizes = summary["cluster_sizes"] as! [String: Int]
        #expect(sizes.count == outcome.summary.clusterSizes.count)
        for id in sizes.keys { #expect(html.contains("id=\"cluster-\(id)\""), "cluster \(id) missing from the report") }
        for section in ["Run summary and reconciliation", "Cluster sizes", "Map of the clusters", "Stability", "Most typical members", "Nearest clusters"] {
            #expect(html.contains(section))
        }
        // Typical members are pseudonyms from clean.jsonl; no raw id, name or e-mail of the input appears.
        var identifiers: [String] = []
        for line in try readText(f.p("people.jsonl")).split(separator: "\n") {
            guard let o = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else { continue }
            for key in ["id", "name", "email"] { if let v = o[key] as? String { identifiers.append(v) } }
        }
        #expect(identifiers.count > 4000)
        let leaked = identifiers.filter { html.contains($0) }
        #expect(leaked.isEmpty, "\(leaked.count) personal identifiers in the report")
    }
}
