import Foundation
import Testing

/// One clustered run shared by the projection tests: 1,200 synthetic people, everyone clustered.
private enum Fixture {
    static let shared: Result<ClusteredRun, Error> = Result { try ClusteredRun.make(people: 1200, synthSeed: 21, runSeed: 3) }
}

/// `id → cluster` from a CSV whose first two columns are id and cluster (header skipped).
private func labels(_ path: String) throws -> [(String, String)] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropFirst().map { line in
        let fields = line.split(separator: ",", omittingEmptySubsequences: false)
        return (String(fields[0]), String(fields[1]))
    }
}

private func shell(_ script: String) throws -> CLIResult {
    try CLI.runScript(["/bin/sh", "-c", script], environment: ["KINDRED": CLI.binary.path])
}

@Suite("kindred project", .serialized) struct ProjectCLITests {
    @Test("run writes a versioned model with a checksum for every file, and everyone's cluster")
    func modelManifest() throws {
        let f = try Fixture.shared.get()
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: f.p("run/latest/model/manifest.json")))) as! [String: Any]
        #expect(manifest["format"] as? String == "kindred-model")
        #expect(manifest["format_version"] as? Int == 3)
        #expect(manifest["kindred_version"] is String)
        let files = manifest["files"] as! [String: String]
        for name in ["vocabulary.json", "idf.npy", "basis.npy", "centroids.npy", "members.npy", "clusters.json", "catalog.json", "term_centroid_weights.npy"] {
            #expect(files[name]?.count == 64, "\(name) has no SHA-256 in the manifest")
        }
        let input = manifest["input"] as! [String: Any]
        #expect((input["sha256"] as? String)?.count == 64)
        #expect((manifest["parameters"] as! [String: Any])["seed"] as? Int == 3)
        let summary = try CLI.json(try String(contentsOfFile: f.p("run/latest/summary.json"), encoding: .utf8))
        let projection = summary["projection"] as! [String: Any]
        let clean = summary["reconciliation"] as! [String: Any]
        #expect(projection["read"] as? Int == clean["written"] as? Int)
        #expect(projection["reconciles"] as? Bool == true)
        #expect(try labels(f.p("run/latest/assignments.csv")).count == clean["written"] as? Int)
    }

    @Test("projecting the clustered sample gives back its own clusters (≥ 95%), with either method", arguments: ["vote", "centroid"])
    func selfProjection(method: String) throws {
        let f = try Fixture.shared.get()
        let out = f.p("self-\(method).csv")
        let r = try CLI.run(["project", "--model", f.p("run/latest/model"), f.p("run/latest/clean.jsonl"), "--cleaned", "--output", out, "--method", method])
        #expect(r.status == 0, "\(r.stderr)")
        let truth = Dictionary(uniqueKeysWithValues: try labels(f.p("run/latest/clusters.csv")))
        let projected = try labels(out)
        #expect(projected.count == truth.count)
        let agree = projected.filter { truth[$0.0] == $0.1 }.count
        let share = Double(agree) / Double(projected.count)
        #expect(share >= 0.95, "self-projection agreement \(share)")
    }

    @Test("the model is found from the run's output or run folder; similarity/ is refused naming the right folder; a clean file needs --cleaned; repeated ids are quarantined")
    func modelLocationAndSurprises() throws {
        let f = try Fixture.shared.get()
        let clean = f.p("run/latest/clean.jsonl")
        var outputs: [Data] = []
        for model in [f.p("run"), f.p("run/latest"), f.p("run/latest/model")] {
            let r = try CLI.run(["project", "--model", model, clean, "--cleaned", "--output", f.p("where.csv"), "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect((try? CLI.json(r.stdout))?["read"] as? Int == 1200, "--json on stdout when the CSV goes to a file: \(r.stdout)")
            outputs.append(try Data(contentsOf: URL(fileURLWithPath: f.p("where.csv"))))
        }
        #expect(outputs[0] == outputs[1] && outputs[1] == outputs[2])
        var r = try CLI.run(["project", "--model", f.p("run/latest/similarity"), clean, "--cleaned", "--output", f.p("x.csv")])
        #expect(r.status == 65)
        #expect(r.stderr.contains("kindred project needs its model/ folder"), "\(r.stderr)")
        // Clean output without --cleaned would be pseudonymised twice: refused with the fix.
        r = try CLI.run(["project", "--model", f.p("run"), clean, "--demo-key", "--output", f.p("x.csv")])
        #expect(r.status == 2)
        #expect(r.stderr.contains("add --cleaned"), "\(r.stderr)")
        // A repeated id goes to quarantine, as in clean.
        let lines = try String(contentsOfFile: f.p("people.jsonl"), encoding: .utf8).split(separator: "\n").prefix(3)
        try (lines + [lines[0]]).joined(separator: "\n").appending("\n").write(toFile: f.p("dup.jsonl"), atomically: true, encoding: .utf8)
        r = try CLI.run(["project", "--model", f.p("run"), f.p("dup.jsonl"), "--demo-key", "--output", f.p("dup.csv"), "--quarantine", f.p("dup.q.jsonl"), "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try String(contentsOfFile: f.p("dup.csv"), encoding: .utf8).split(separator: "\n").count == 4)  // header + 3
        let quarantined = try String(contentsOfFile: f.p("dup.q.jsonl"), encoding: .utf8)
        #expect(quarantined.contains("duplicate id (first seen on line 1)") && quarantined.contains("\"line\":4"), "\(quarantined)")
    }

    @Test("raw people are cleaned with the model's dictionaries: projecting the raw input equals projecting its clean output")
    func rawEqualsClean() throws {
        let f = try Fixture.shared.get()
        let raw = try CLI.run(["project", "--model", f.p("run/latest/model"), f.p("people.jsonl"), "--demo-key", "--output", f.p("raw.csv")])
        #expect(raw.status == 0, "\(raw.stderr)")
        let clean = try CLI.run(["project", "--model", f.p("run/latest/model"), f.p("run/latest/clean.jsonl"), "--cleaned", "--output", f.p("clean.csv")])
        #expect(clean.status == 0, "\(clean.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: f.p("raw.csv"))) == Data(contentsOf: URL(fileURLWithPath: f.p("clean.csv"))))
    }

    @Test("the output does not depend on threads or chunk size; shards cover every record once, in input order, with _SUCCESS markers")
    func shardsAndDeterminism() throws {
        let f = try Fixture.shared.get()
        let model = f.p("run/latest/model")
        var outputs: [Data] = []
        for (threads, chunk) in [("1", "16384"), ("2", "97"), ("3", "1")] {
            let out = f.p("det-\(threads).csv")
            let r = try CLI.run(["project", "--model", model, f.p("people.jsonl"), "--demo-key", "--output", out, "--threads", threads, "--chunk-size", chunk])
            #expect(r.status == 0, "\(r.stderr)")
            outputs.append(try Data(contentsOf: URL(fileURLWithPath: out)))
        }
        #expect(outputs[0] == outputs[1] && outputs[1] == outputs[2])
        let whole = try labels(f.p("det-1.csv"))
        let order = Dictionary(uniqueKeysWithValues: whole.enumerated().map { ($0.element.0, $0.offset) })
        let folder = f.p("shards")
        var union: [(String, String)] = []
        for i in 0..<3 {
            #expect(!FileManager.default.fileExists(atPath: folder + "/_SUCCESS"))
            // Shard 1 takes its index from the environment, as a Kubernetes Indexed Job sets it.
            let args = i == 1 ? ["--shards", "3"] : ["--shard", "\(i)/3"]
            let r = try CLI.run(["project", "--model", model, f.p("people.jsonl"), "--demo-key", "--output", folder] + args, environment: ["JOB_COMPLETION_INDEX": "1"])
            #expect(r.status == 0, "\(r.stderr)")
            let part = try labels(folder + "/part-0000\(i)-of-00003.csv")
            #expect(!part.isEmpty && part.count < whole.count)
            let positions = part.map { order[$0.0] ?? -1 }
            #expect(positions == positions.sorted() && !positions.contains(-1), "a part is not in input order")
            #expect(FileManager.default.fileExists(atPath: folder + "/_SUCCESS-part-0000\(i)-of-00003"))
            union += part
        }
        #expect(FileManager.default.fileExists(atPath: folder + "/_SUCCESS"))
        #expect(union.sorted { $0.0 < $1.0 }.map { "\($0.0),\($0.1)" } == whole.sorted { $0.0 < $1.0 }.map { "\($0.0),\($0.1)" })
        let bad = try CLI.run(["project", "--model", model, f.p("people.jsonl"), "--demo-key", "--output", folder, "--shard", "3/3"])
        #expect(bad.status == 2)
    }

    @Test("standard input to standard output (the Spark filter) gives the file's rows; a bad record fails with its line under --bad-records fail")
    func filterMode() throws {
        let f = try Fixture.shared.get()
        let r = try shell("\"$KINDRED\" project --model '\(f.p("run/latest/model"))' - --output - --no-header --bad-records fail --cleaned < '\(f.p("run/latest/clean.jsonl"))'")
        #expect(r.status == 0, "\(r.stderr)")
        let file = try CLI.run(["project", "--model", f.p("run/latest/model"), f.p("run/latest/clean.jsonl"), "--cleaned", "--output", f.p("filter.csv")])
        #expect(file.status == 0)
        let expected = try String(contentsOfFile: f.p("filter.csv"), encoding: .utf8).split(separator: "\n").dropFirst().joined(separator: "\n") + "\n"
        #expect(r.stdout == expected)
        let broken = f.p("broken.jsonl")
        var lines = try String(contentsOfFile: f.p("people.jsonl"), encoding: .utf8).split(separator: "\n").prefix(50).map(String.init)
        lines[9] = "{\"id\": \"zz-secret-id\", \"positions\": 5}"
        try (lines.joined(separator: "\n") + "\n").write(toFile: broken, atomically: true, encoding: .utf8)
        let fail = try shell("\"$KINDRED\" project --model '\(f.p("run/latest/model"))' - --output - --bad-records fail --demo-key < '\(broken)'")
        #expect(fail.status == 65)
        #expect(fail.stderr.contains("-:10: field 'positions'"), "\(fail.stderr)")
        #expect(!fail.stderr.contains("zz-secret-id") && !fail.stdout.contains("zz-secret-id"))
        // Quarantine mode: the record is kept aside (redacted, mode 0600) and the counts reconcile.
        let q = try CLI.run(["project", "--model", f.p("run/latest/model"), broken, "--demo-key", "--output", f.p("broken.csv"), "--json"])
        #expect(q.status == 0, "\(q.stderr)")
        let summary = try CLI.json(q.stdout)
        #expect(summary["read"] as? Int == 50 && summary["quarantined"] as? Int == 1 && summary["reconciles"] as? Bool == true)
        let quarantine = try String(contentsOfFile: f.p("broken.quarantine.jsonl"), encoding: .utf8)
        #expect(quarantine.contains("\"line\":10") && !quarantine.contains("zz-secret-id"))
        let mode = try FileManager.default.attributesOfItem(atPath: f.p("broken.quarantine.jsonl"))[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test("a person with nothing to compare is unassigned with a reason, never guessed")
    func unassigned() throws {
        let f = try Fixture.shared.get()
        let input = f.p("odd.jsonl")
        try """
            {"id":"a1","skills":[],"positions":[]}
            {"id":"a2","skills":["Zyxwv Qqqq Frobnication"],"positions":[]}
            {"id":"a3","skills":["Patient Assessment","Triage"],"positions":[{"title":"Paramedic","start":"2019-01","end":null}]}

            """.write(toFile: input, atomically: true, encoding: .utf8)
        for method in ["vote", "centroid"] {
            let r = try CLI.run(["project", "--model", f.p("run/latest/model"), input, "--demo-key", "--output", f.p("odd-\(method).csv"), "--method", method])
            #expect(r.status == 0, "\(r.stderr)")
            let rows = try String(contentsOfFile: f.p("odd-\(method).csv"), encoding: .utf8).split(separator: "\n").map(String.init)
            #expect(rows[0] == "id,cluster,confidence,second_cluster,reason")
            #expect(rows[1].hasSuffix(",unassigned,,,no_skills_or_titles"))
            #expect(rows[2].hasSuffix(",unassigned,,,no_known_skills_or_titles"))
            let fields = rows[3].split(separator: ",", omittingEmptySubsequences: false)
            #expect(Int(fields[1]) != nil && Double(fields[2])! > 0 && fields[4].isEmpty)
            #expect(!rows.joined().contains("a1") || rows.allSatisfy { !$0.hasPrefix("a1,") })
        }
    }

    @Test("a damaged, incomplete or incompatible model is refused with a message naming the file; so is another key")
    func damagedModel() throws {
        let f = try Fixture.shared.get()
        func copy(_ name: String) throws -> String {
            let to = f.p(name)
            try? FileManager.default.removeItem(atPath: to)
            try FileManager.default.copyItem(atPath: f.p("run/latest/model"), toPath: to)
            return to
        }
        func project(_ model: String, _ extra: [String] = ["--demo-key"]) throws -> CLIResult {
            try CLI.run(["project", "--model", model, f.p("people.jsonl"), "--output", f.p("x.csv")] + extra)
        }
        // A flipped byte.
        let flipped = try copy("m-flip")
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: flipped + "/members.npy")))
        bytes[bytes.count / 2] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: flipped + "/members.npy"))
        var r = try project(flipped)
        #expect(r.status == 65 && r.stderr.contains("members.npy") && r.stderr.contains("damaged"), "\(r.stderr)")
        // A truncated file.
        let truncated = try copy("m-trunc")
        let basis = try Data(contentsOf: URL(fileURLWithPath: truncated + "/basis.npy"))
        try basis.prefix(basis.count / 3).write(to: URL(fileURLWithPath: truncated + "/basis.npy"))
        r = try project(truncated)
        #expect(r.status == 65 && r.stderr.contains("basis.npy"), "\(r.stderr)")
        // A missing file, and a missing manifest.
        let missing = try copy("m-missing")
        try FileManager.default.removeItem(atPath: missing + "/centroids.npy")
        r = try project(missing)
        #expect(r.status == 1 && r.stderr.contains("centroids.npy"), "\(r.stderr)")
        try FileManager.default.removeItem(atPath: missing + "/manifest.json")
        r = try project(missing)
        #expect(r.status == 65 && r.stderr.contains("has no manifest"), "\(r.stderr)")
        // A newer format.
        let newer = try copy("m-newer")
        let manifest = try String(contentsOfFile: newer + "/manifest.json", encoding: .utf8)
        #expect(manifest.contains("\"format_version\":3"))
        try manifest.replacingOccurrences(of: "\"format_version\":3", with: "\"format_version\":4").write(toFile: newer + "/manifest.json", atomically: true, encoding: .utf8)
        r = try project(newer)
        #expect(r.status == 65 && r.stderr.contains("format version 4"), "\(r.stderr)")
        // Another pseudonymisation key than the model's.
        let key = f.p("other.key")
        try "another-key-that-is-long-enough-0123456789".write(toFile: key, atomically: true, encoding: .utf8)
        r = try project(f.p("run/latest/model"), ["--key-file", key])
        #expect(r.status == 2 && r.stderr.contains("not the one the model was built with"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: f.p("x.csv")))
    }

    @Test("held-out people: their projected clusters match those a clustering of everyone gives them (ARI ≥ 0.9)")
    func heldOut() throws {
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        func p(_ name: String) -> String { dir.appendingPathComponent(name).path }
        #expect(try CLI.run(["synth", "--people", "3000", "--seed", "31", "--output", p("people.jsonl"), "--truth", p("truth.csv")]).status == 0)
        // Everyone clustered together, and a model from a 2,000-person reservoir sample.
        var r = try CLI.run(["run", "--input", p("people.jsonl"), "--output", p("whole"), "--demo-key", "--seed", "4"])
        #expect(r.status == 0, "\(r.stderr)")
        r = try CLI.run(["run", "--input", p("people.jsonl"), "--output", p("sampled"), "--demo-key", "--seed", "4", "--sample", "2000"])
        #expect(r.status == 0, "\(r.stderr)")
        let sample = Set(try labels(p("sampled/latest/clusters.csv")).map(\.0))
        #expect(sample.count == 2000)
        r = try CLI.run(["project", "--model", p("sampled/latest/model"), p("people.jsonl"), "--demo-key", "--output", p("projected.csv")])
        #expect(r.status == 0, "\(r.stderr)")
        let heldOut = try labels(p("projected.csv")).filter { !sample.contains($0.0) && $0.1 != "unassigned" }
        #expect(heldOut.count >= 950)
        try ("node,community\n" + heldOut.map { "\($0.0),\($0.1)" }.joined(separator: "\n") + "\n").write(toFile: p("heldout.csv"), atomically: true, encoding: .utf8)
        r = try CLI.run(["evaluate", "--clusters", p("heldout.csv"), "--truth", p("whole/latest/clusters.csv"), "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let scores = try CLI.json(r.stdout)
        let ari = scores["ari"] as? Double ?? 0
        #expect(scores["matched"] as? Int == heldOut.count)
        #expect(ari >= 0.9, "held-out ARI \(ari)")
    }
}
