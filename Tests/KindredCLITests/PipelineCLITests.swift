import Foundation
import Testing

/// End-to-end tests of the `kindred` binary: every stage, formats, exit codes, privacy.
@Suite("kindred CLI", .serialized)
struct PipelineCLITests {
    @Test("help lists every stage")
    func helpListsStages() throws {
        let result = try CLI.run(["--help"])
        #expect(result.status == 0)
        for command in ["synth", "clean", "graph", "cluster", "evaluate", "run"] {
            #expect(result.stdout.contains(command), "help should list \(command)")
        }
    }

    @Test("synth → clean → graph → cluster → evaluate on 600 people")
    func stagesEndToEnd() throws {
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        func p(_ name: String) -> String { dir.appendingPathComponent(name).path }
        var r = try CLI.run([
            "synth", "--people", "600", "--seed", "7", "--malformed-rate", "0.02", "--output", p("people.jsonl"),
            "--truth", p("truth.csv"), "--json",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        r = try CLI.run(["clean", p("people.jsonl"), "--output", p("clean.jsonl"), "--demo-key", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let clean = try CLI.json(r.stdout)
        let read = clean["read"] as? Int ?? -1
        let written = clean["written"] as? Int ?? -1
        let quarantined = clean["quarantined"] as? Int ?? -1
        #expect(read == 600)
        #expect(written + quarantined == read)
        #expect(quarantined > 0, "a 2% malformed rate over 600 people should quarantine some")
        let quarantineLines = try String(contentsOfFile: p("clean.quarantine.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(quarantineLines.count == quarantined)
        let cleanLines = try String(contentsOfFile: p("clean.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(cleanLines.count == written)

        r = try CLI.run(["graph", p("clean.jsonl"), "--output", p("g.kgraph"), "--edges", p("g.tsv"), "--k", "10", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let graph = try CLI.json(r.stdout)
        #expect(graph["vertices"] as? Int == written)
        #expect((graph["mean_degree"] as? Double ?? 0) >= 10, "symmetrised k-NN: on average at least k neighbours")
        #expect((graph["max_degree"] as? Int ?? 0) < written)

        r = try CLI.run(["cluster", p("g.kgraph"), "--output", p("clusters.csv"), "--seed", "3", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let cluster = try CLI.json(r.stdout)
        #expect((cluster["modularity"] as? Double ?? 0) > 0.5)
        #expect(cluster["levels"] as? Int ?? 0 >= 1)
        // A people similarity graph is clustered at the people resolution by default; the same graph as
        // an edge list (no kind recorded) at γ = 1, with more modularity at γ = 1 and fewer communities.
        #expect(cluster["resolution"] as? Double == 8.0)
        #expect((cluster["objective"] as? Double ?? 1) < (cluster["modularity"] as? Double ?? 0))
        r = try CLI.run(["cluster", p("g.tsv"), "--output", p("classic-gamma.csv"), "--seed", "3", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let onEdges = try CLI.json(r.stdout)
        #expect(onEdges["resolution"] as? Double == 1)
        #expect(onEdges["objective"] as? Double == onEdges["modularity"] as? Double)
        #expect((onEdges["communities"] as? Int ?? 0) < (cluster["communities"] as? Int ?? 0))
        let trace = cluster["level_trace"] as? [[String: Any]] ?? []
        #expect(trace.first?["vertices"] as? Int == written, "the level trace starts on the whole graph")
        // The refinement and polishing switches: classic Leiden without polishing still works; a bad
        // round count is a usage error.
        r = try CLI.run([
            "cluster", p("g.kgraph"), "--output", p("classic.csv"), "--refinement-rounds", "1", "--no-polish", "--json",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect((try CLI.json(r.stdout)["disconnected_communities"] as? Int) == 0)
        r = try CLI.run(["cluster", p("g.kgraph"), "--output", p("bad.csv"), "--refinement-rounds", "3"])
        #expect(r.status == 2 && r.stderr.contains("--refinement-rounds"), "\(r.stderr)")
        // The edge-list copy is the same graph: the partition scores the same modularity on it.
        r = try CLI.run(["evaluate", "--clusters", p("clusters.csv"), "--truth", p("clusters.csv"), "--graph", p("g.tsv"), "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let onEdgeList = try CLI.json(r.stdout)["modularity"] as? Double ?? -1
        #expect(abs(onEdgeList - (cluster["modularity"] as? Double ?? 0)) < 1e-5)
        r = try CLI.run([
            "evaluate", "--clusters", p("clusters.csv"), "--truth", p("truth.csv"), "--truth-column", "family",
            "--pseudonymize-truth", "--demo-key", "--graph", p("g.kgraph"), "--json",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let evaluation = try CLI.json(r.stdout)
        #expect(evaluation["matched"] as? Int == written)
        #expect((evaluation["nmi"] as? Double ?? 0) >= 0.7, "clusters should follow occupation families: \(r.stdout)")
        let q = evaluation["modularity"] as? Double ?? -1
        #expect(abs(q - (cluster["modularity"] as? Double ?? 0)) < 1e-6, "evaluate and cluster agree on modularity")
    }

    @Test("the same input and seed give byte-identical clusters")
    func deterministic() throws {
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        func p(_ name: String) -> String { dir.appendingPathComponent(name).path }
        _ = try CLI.run(["synth", "--people", "300", "--seed", "11", "--output", p("people.jsonl"), "--truth", p("truth.csv")])
        for run in ["a", "b"] {
            let r = try CLI.run(["run", "--input", p("people.jsonl"), "--output", p(run), "--demo-key", "--seed", "5"])
            #expect(r.status == 0, "\(r.stderr)")
        }
        for file in ["clean.jsonl", "clusters.csv", "profiles.csv"] {
            let a = try Data(contentsOf: dir.appendingPathComponent("a/latest/" + file))
            let b = try Data(contentsOf: dir.appendingPathComponent("b/latest/" + file))
            #expect(a == b, "\(file) differs between two identical runs")
        }
    }

    @Test("no names, e-mails, phones or raw ids in the outputs of a run")
    func noPersonalData() throws {
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        func p(_ name: String) -> String { dir.appendingPathComponent(name).path }
        _ = try CLI.run(["synth", "--people", "200", "--seed", "12", "--output", p("people.jsonl"), "--truth", p("truth.csv")])
        let r = try CLI.run(["run", "--input", p("people.jsonl"), "--output", p("out"), "--truth", p("truth.csv"), "--demo-key", "--run-key", "check"])
        #expect(r.status == 0, "\(r.stderr)")
        var identifiers: Set<String> = []
        for line in try String(contentsOfFile: p("people.jsonl"), encoding: .utf8).split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            for key in ["name", "email", "phone", "id"] { if let v = object[key] as? String { identifiers.insert(v) } }
        }
        #expect(identifiers.count > 500)
        // Every file of the output folder, subfolders included (model/manifest.json).
        var outputs: [String] = []
        let walker = FileManager.default.enumerator(atPath: p("out"))
        while let relative = walker?.nextObject() as? String {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: p("out/" + relative), isDirectory: &isFolder), !isFolder.boolValue {
                outputs.append(relative)
            }
        }
        func has(_ name: String) -> Bool { outputs.contains("runs/check/" + name) }
        #expect(has("clean.jsonl") && has("clusters.csv") && has("summary.json") && has("report.html") && has("manifest.json"))
        #expect(has("quarantine.jsonl") && has("clean_report.json") && has("clean_report.md"))
        #expect(has("model/manifest.json") && outputs.contains("catalog.sqlite"))
        for file in outputs {
            let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: p("out/" + file))), as: UTF8.self)
            // Every field of every output, split at JSON and CSV delimiters.
            let tokens = Set(text.split(whereSeparator: { "\",\n:[]{}".contains($0) }).map(String.init))
            let leaked = identifiers.intersection(tokens)
            #expect(leaked.isEmpty, "\(file) contains \(leaked.count) personal identifiers")
        }
        #expect(!r.stdout.contains("@example.com") && !r.stderr.contains("@example.com"))
    }

    @Test("two cliques joined by one edge, as an edge list with word ids")
    func twoCliques() throws {
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        var lines = ["# two 4-cliques joined by a-d to e-h"]
        let left = ["ann", "bob", "cat", "dan"]
        let right = ["eve", "fay", "gus", "hal"]
        for group in [left, right] {
            for i in 0..<4 { for j in (i + 1)..<4 { lines.append("\(group[i])\t\(group[j])") } }
        }
        lines.append("dan eve 1.0")
        let edges = dir.appendingPathComponent("cliques.edges")
        try lines.joined(separator: "\n").write(to: edges, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("c.csv")
        let r = try CLI.run(["cluster", edges.path, "--output", out.path, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let summary = try CLI.json(r.stdout)
        #expect(summary["communities"] as? Int == 2)
        // m = 13; each side: 6 internal edges, degree sum 13. Q = 2 × (6/13 − (13/26)²) = 12/13 − 1/2.
        let expected = 12.0 / 13.0 - 0.5
        #expect(abs((summary["modularity"] as? Double ?? 0) - expected) < 1e-6, "modularity is printed with 6 decimals")
        let rows = try String(contentsOf: out, encoding: .utf8).split(separator: "\n").dropFirst()
        var community: [String: String] = [:]
        for row in rows {
            let parts = row.split(separator: ",")
            community[String(parts[0])] = String(parts[1])
        }
        #expect(Set(left.map { community[$0]! }).count == 1)
        #expect(Set(right.map { community[$0]! }).count == 1)
        #expect(community["ann"] != community["eve"])
    }
}

@Suite("Similarity CLI")
struct SimilarityCLITests {
    @Test("bundled data (first 1,500 people): with either search method, ≥ 90% of people have ≥ 90% of their graph neighbours in their own occupation family")
    func bundledFamilies() throws {
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        func p(_ name: String) -> String { dir.appendingPathComponent(name).path }
        let bundled = try String(contentsOf: CLI.repoRoot.appendingPathComponent("datasets/people.jsonl"), encoding: .utf8)
        try (bundled.split(separator: "\n").prefix(1500).joined(separator: "\n") + "\n").write(toFile: p("people.jsonl"), atomically: true, encoding: .utf8)
        var r = try CLI.run(["clean", p("people.jsonl"), "--output", p("clean.jsonl"), "--demo-key", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        for method in ["sparse", "dense"] {
            r = try CLI.run(["graph", p("clean.jsonl"), "--output", p("\(method).kgraph"), "--k", "15", "--method", method, "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            // Every person as their own cluster: evaluate only reads the graph's neighbourhoods here.
            let ids = try String(contentsOfFile: p("clean.jsonl"), encoding: .utf8).split(separator: "\n").map { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["id"] as? String ?? ""
            }
            try ("node,community\n" + ids.enumerated().map { "\($0.element),\($0.offset)" }.joined(separator: "\n") + "\n")
                .write(toFile: p("singletons.csv"), atomically: true, encoding: .utf8)
            r = try CLI.run([
                "evaluate", "--clusters", p("singletons.csv"), "--truth", "datasets/truth.csv", "--truth-column", "family",
                "--pseudonymize-truth", "--demo-key", "--graph", p("\(method).kgraph"), "--json",
            ])
            #expect(r.status == 0, "\(r.stderr)")
            let e = try CLI.json(r.stdout)
            #expect((e["people_neighbors_90"] as? Double ?? 0) >= 0.9, "\(method): \(r.stdout)")
            #expect((e["neighbor_agreement"] as? Double ?? 0) >= 0.9, "\(method): \(r.stdout)")
        }
    }

    @Test("graph --model, then similar --explain: neighbours with field contributions that add up; a changed people file is refused")
    func similarExplain() throws {
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        func p(_ name: String) -> String { dir.appendingPathComponent(name).path }
        var r = try CLI.run(["synth", "--people", "300", "--seed", "5", "--output", p("people.jsonl"), "--truth", p("truth.csv")])
        #expect(r.status == 0, "\(r.stderr)")
        r = try CLI.run(["clean", p("people.jsonl"), "--output", p("clean.jsonl"), "--demo-key"])
        #expect(r.status == 0, "\(r.stderr)")
        r = try CLI.run([
            "graph", p("clean.jsonl"), "--output", p("g.kgraph"), "--model", p("model"), "--tempo-weight", "0.3", "--location-weight", "0.2",
            "--json",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let firstLine = try String(contentsOfFile: p("clean.jsonl"), encoding: .utf8).split(separator: "\n")[0]
        let id = try #require((try JSONSerialization.jsonObject(with: Data(firstLine.utf8)) as? [String: Any])?["id"] as? String)
        r = try CLI.run(["similar", "--model", p("model"), id, "--top", "5", "--explain", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let neighbors = try #require(try CLI.json(r.stdout)["neighbors"] as? [[String: Any]])
        #expect(neighbors.count == 5)
        var previous = 2.0
        for n in neighbors {
            let s = n["similarity"] as? Double ?? -1
            #expect(s > 0 && s <= previous + 1e-9)
            previous = s
            #expect(n["id"] as? String != id)
            let fields = n["fields"] as? [[String: Any]] ?? []
            #expect(Set(fields.compactMap { $0["field"] as? String }) == ["skills", "titles", "tempo", "location"])
            let sum = fields.reduce(0.0) { $0 + ($1["contribution"] as? Double ?? 0) }
            #expect(abs(sum - s) < 2e-3, "contributions add up to the similarity (rounded to 4 digits)")
        }
        r = try CLI.run(["similar", "--model", p("model"), "no-such-person"])
        #expect(r.status == 65)
        #expect(!r.stderr.contains("no-such-person"), "the id is not echoed")
        try "{}\n".write(toFile: p("clean.jsonl"), atomically: true, encoding: .utf8)
        r = try CLI.run(["similar", "--model", p("model"), id])
        #expect(r.status == 65)
        #expect(r.stderr.contains("changed"))
    }

    @Test("vectors writes the TF-IDF and LSA files; knn reads them and gives identical tables at 1 and 2 threads; a wrong dtype names the file")
    func knnFiles() throws {
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        func p(_ name: String) -> String { dir.appendingPathComponent(name).path }
        var r = try CLI.run(["synth", "--people", "400", "--seed", "9", "--output", p("people.jsonl"), "--truth", p("truth.csv")])
        #expect(r.status == 0, "\(r.stderr)")
        r = try CLI.run(["clean", p("people.jsonl"), "--output", p("clean.jsonl"), "--demo-key"])
        #expect(r.status == 0, "\(r.stderr)")
        r = try CLI.run(["vectors", p("clean.jsonl"), "--output", p("vec"), "--dimensions", "16", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let summary = try CLI.json(r.stdout)
        #expect(summary["people"] as? Int == 400)
        for name in ["tfidf/indptr.npy", "tfidf/indices.npy", "tfidf/data.npy", "embedding.npy", "vocabulary.txt"] {
            #expect(FileManager.default.fileExists(atPath: p("vec/" + name)), "\(name)")
        }
        for (flag, path) in [("--dense", p("vec/embedding.npy")), ("--sparse", p("vec/tfidf"))] {
            for threads in ["1", "2"] {
                r = try CLI.run(["knn", flag, path, "--k", "5", "--threads", threads, "--output", p("t\(threads)"), "--json"])
                #expect(r.status == 0, "\(r.stderr)")
            }
            let one = try Data(contentsOf: URL(fileURLWithPath: p("t1.ids.npy")))
            let two = try Data(contentsOf: URL(fileURLWithPath: p("t2.ids.npy")))
            #expect(one == two, "\(flag): identical at 1 and 2 threads")
            #expect(one.count > 128 + 400 * 5 * 4 - 64)
        }
        r = try CLI.run(["knn", "--dense", p("vec/tfidf/indptr.npy"), "--k", "5", "--output", p("bad")])
        #expect(r.status == 65, "an integer array is not float32 rows: \(r.stderr)")
        #expect(r.stderr.contains("indptr.npy"))
    }
}
