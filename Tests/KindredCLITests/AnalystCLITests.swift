import Foundation
import Testing

/// The analyst's surface (issue 19): the private id map, `similar` on raw ids and run folders, errors
/// that say why, one spelling per setting.
@Suite("analyst's surface") struct AnalystCLITests {
    /// A small raw people file: a query person, one with the same title and no skills, one who shares
    /// the title and five skills, and filler people so that the idf is not degenerate.
    static func people() -> String {
        var lines = [
            #"{"id":"q-1","skills":["Spark","Airflow","Kafka","dbt","Snowflake"],"positions":[{"title":"Data Engineer"}]}"#,
            #"{"id":"x-no-skills","positions":[{"title":"Data Engineer"}]}"#,
            #"{"id":"y-shares-five","skills":["Spark","Airflow","Kafka","dbt","Snowflake","Python","Terraform"],"positions":[{"title":"Data Engineer"}]}"#,
        ]
        let fillers = [("Nurse", ["Triage", "CPR", "Phlebotomy"]), ("Chef", ["Sauces", "Menu Planning", "Butchery"]), ("Welder", ["TIG", "MIG", "Blueprints"])]
        for i in 0..<30 {
            let (title, skills) = fillers[i % 3]
            let list = skills.map { "\"\($0)\"" }.joined(separator: ",")
            lines.append(#"{"id":"f\#(i)","skills":[\#(list)],"positions":[{"title":"\#(title)"}]}"#)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test("kindred ids writes the private id map (mode 0600) whose pseudonyms are clean's ids, and never into a run folder")
    func idMap() throws {
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        func p(_ name: String) -> String { dir.appendingPathComponent(name).path }
        try Self.people().write(toFile: p("people.jsonl"), atomically: true, encoding: .utf8)
        var r = try CLI.run(["clean", p("people.jsonl"), "--output", p("clean.jsonl"), "--demo-key"])
        #expect(r.status == 0, "\(r.stderr)")
        r = try CLI.run(["ids", p("people.jsonl"), "--output", p("ids.csv"), "--demo-key"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("33 ids written"), "\(r.stderr)")
        let rows = try String(contentsOfFile: p("ids.csv"), encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        #expect(rows.first == ["id", "pseudonym"])
        let cleanIDs = try String(contentsOfFile: p("clean.jsonl"), encoding: .utf8).split(separator: "\n").map { line in
            (try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["id"] as? String ?? ""
        }
        #expect(rows.dropFirst().map { $0[1] } == cleanIDs)
        #expect(rows[1][0] == "q-1" && rows[2][0] == "x-no-skills")
        let mode = try FileManager.default.attributesOfItem(atPath: p("ids.csv"))[.posixPermissions] as? Int
        #expect(mode == 0o600)
        // Not into a run's shareable output folder.
        try FileManager.default.createDirectory(atPath: p("out"), withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: p("out/catalog.sqlite"), contents: Data()))
        r = try CLI.run(["ids", p("people.jsonl"), "--output", p("out/ids.csv"), "--demo-key"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("not written into a run's shareable output folder"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: p("out/ids.csv")))
    }

    @Test("similar: a missing field is missing evidence, answers say who people are, own ids work with the key, run folders are found")
    func similar() throws {
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        func p(_ name: String) -> String { dir.appendingPathComponent(name).path }
        try Self.people().write(toFile: p("people.jsonl"), atomically: true, encoding: .utf8)
        var r = try CLI.run(["clean", p("people.jsonl"), "--output", p("clean.jsonl"), "--demo-key"])
        #expect(r.status == 0, "\(r.stderr)")
        r = try CLI.run(["graph", p("clean.jsonl"), "--output", p("g.kgraph"), "--model", p("run/similarity"), "--k", "5"])
        #expect(r.status == 0, "\(r.stderr)")
        // Own id, through the demo key; the run folder (not similarity/ itself) as the model.
        r = try CLI.run(["similar", "--model", p("run"), "q-1", "--demo-key", "--top", "3", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let answer = try CLI.json(r.stdout)
        let query = try #require(answer["query"] as? [String: Any])
        #expect(query["title"] as? String == "data engineer")
        #expect((query["skills"] as? [String])?.count == 5)
        let neighbors = try #require(answer["neighbors"] as? [[String: Any]])
        let ranked = neighbors.compactMap { $0["id"] as? String }
        let ids = try String(contentsOfFile: p("clean.jsonl"), encoding: .utf8).split(separator: "\n").map { line in
            (try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["id"] as? String ?? ""
        }
        // ids[2] shares the title and five skills; ids[1] has the title and no skills at all.
        #expect(ranked.first == ids[2], "\(ranked)")
        let x = try #require(neighbors.first { $0["id"] as? String == ids[1] })
        let y = try #require(neighbors.first { $0["id"] as? String == ids[2] })
        #expect((y["similarity"] as? Double ?? 0) > (x["similarity"] as? Double ?? 1))
        #expect((x["similarity"] as? Double ?? 1) < 0.5, "a person without skills gets no free pass on them")
        // Text output names the query and the people.
        r = try CLI.run(["similar", "--model", p("run/similarity"), ids[0], "--top", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("query: \(ids[0])"))
        #expect(r.stdout.contains("data engineer · skills: "))
        // An own id without the key: the hint names the key options; the id is not echoed.
        r = try CLI.run(["similar", "--model", p("run"), "q-1"])
        #expect(r.status == 65)
        #expect(r.stderr.contains("--key-file") && !r.stderr.contains("q-1"), "\(r.stderr)")
        // An output folder with a latest run is found too; a folder with nothing usable says what it expected.
        try FileManager.default.createDirectory(atPath: p("out"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: p("out/latest"), withDestinationPath: p("run"))
        r = try CLI.run(["similar", "--model", p("out"), ids[0], "--top", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        r = try CLI.run(["similar", "--model", dir.path, ids[0]])
        #expect(r.status == 65)
        #expect(r.stderr.contains("no similarity/ model here"), "\(r.stderr)")
    }

    @Test("errors say why: missing files are bad input, a people file where the config goes gets the right form, parse errors exit 2")
    func errors() throws {
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        func p(_ name: String) -> String { dir.appendingPathComponent(name).path }
        try Self.people().write(toFile: p("people.jsonl"), atomically: true, encoding: .utf8)
        var r = try CLI.run(["clean", p("missing.jsonl"), "--output", p("c.jsonl"), "--demo-key"])
        #expect(r.status == 65)
        #expect(r.stderr.contains("missing.jsonl") && r.stderr.contains("no such file"), "\(r.stderr)")
        r = try CLI.run(["run", "--input", p("missing.jsonl"), "--output", p("out"), "--demo-key"])
        #expect(r.status == 65)
        #expect(r.stderr.contains("no such file"), "\(r.stderr)")
        r = try CLI.run(["run", p("people.jsonl")])
        #expect(r.status == 2)
        #expect(r.stderr.contains("kindred run --input \(p("people.jsonl")) --output FOLDER"), "\(r.stderr)")
        r = try CLI.run(["run", p("missing.toml")])
        #expect(r.status == 2)
        #expect(r.stderr.contains("no such file (the config file)"), "\(r.stderr)")
        r = try CLI.run(["run"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("give --input FILE"), "\(r.stderr)")
        r = try CLI.run(["clean", p("people.jsonl"), "--output", p("c.jsonl"), "--no-such-flag"])
        #expect(r.status == 2, "argument errors exit 2 like every usage error")
        #expect(r.stderr.contains("--no-such-flag"))
        // A stale spelling of a setting warns; a conflict with the current spelling is an error.
        try "input = \"missing.jsonl\"\noutput = \"out\"\n[graph]\nskills_weight = 2\n".write(toFile: p("old.toml"), atomically: true, encoding: .utf8)
        r = try CLI.run(["run", p("old.toml"), "--demo-key"])
        #expect(r.stderr.contains("[graph] skills_weight is deprecated: write [metric] skills"), "\(r.stderr)")
        try "input = \"people.jsonl\"\n[graph]\nskills_weight = 2\n[metric]\nskills = 1\n".write(toFile: p("both.toml"), atomically: true, encoding: .utf8)
        r = try CLI.run(["run", p("both.toml"), "--demo-key"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("conflicts with [metric] skills"), "\(r.stderr)")
    }

    @Test("runs on a folder with no runs (given by --output or as the argument) says so (exit 0); on a folder that does not exist, exit 65")
    func runsEmpty() throws {
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        var r = try CLI.run(["runs", "--output", dir.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("no runs recorded in"))
        r = try CLI.run(["runs", dir.path])  // the folder itself as the positional argument
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("no runs recorded in"))
        r = try CLI.run(["runs", "--output", dir.appendingPathComponent("nope").path])
        #expect(r.status == 65)
        #expect(r.stderr.contains("no such output folder"))
    }

    @Test("cluster --initial reads assignments (id,cluster) as well as clusters.csv: the same warm start")
    func initialFromAssignments() throws {
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        func p(_ name: String) -> String { dir.appendingPathComponent(name).path }
        var lines: [String] = []
        let groups = [["ann", "bob", "cat", "dan"], ["eve", "fay", "gus", "hal"]]
        for group in groups { for i in 0..<4 { for j in (i + 1)..<4 { lines.append("\(group[i]) \(group[j])") } } }
        lines.append("dan eve")
        try lines.joined(separator: "\n").write(toFile: p("g.edges"), atomically: true, encoding: .utf8)
        try "node,community\nann,0\nbob,0\ncat,0\ndan,0\neve,1\nfay,1\ngus,1\n".write(toFile: p("clusters.csv"), atomically: true, encoding: .utf8)
        try "id,cluster,confidence,second_cluster,reason\nann,0,1,,\nbob,0,1,,\ncat,0,1,,\ndan,0,1,,\neve,1,1,,\nfay,1,1,,\ngus,1,1,,\nhal,unassigned,0,,no_features\n"
            .write(toFile: p("assignments.csv"), atomically: true, encoding: .utf8)
        var outputs: [String] = []
        for initial in ["clusters.csv", "assignments.csv"] {
            let r = try CLI.run(["cluster", p("g.edges"), "--output", p("out-\(initial)"), "--initial", p(initial), "--resolution", "1"])
            #expect(r.status == 0, "\(r.stderr)")
            outputs.append(try String(contentsOfFile: p("out-\(initial)"), encoding: .utf8))
        }
        #expect(outputs[0] == outputs[1])
        #expect(outputs[0].split(separator: "\n").count == 9)
    }

    @Test("evaluate reads assignments (id,cluster) as well as clusters.csv, and its raw-id hint names --pseudonymize-truth")
    func evaluate() throws {
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        func p(_ name: String) -> String { dir.appendingPathComponent(name).path }
        try "id,cluster,confidence,second_cluster,reason\na,1,1.0,,\nb,1,1.0,,\nc,2,0.9,,\nd,unassigned,0,,no_features\n".write(
            toFile: p("assignments.csv"), atomically: true, encoding: .utf8)
        try "node,label\na,x\nb,x\nc,y\nd,y\n".write(toFile: p("truth.csv"), atomically: true, encoding: .utf8)
        var r = try CLI.run(["evaluate", "--clusters", p("assignments.csv"), "--truth", p("truth.csv"), "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let e = try CLI.json(r.stdout)
        #expect(e["nmi"] as? Double == 1)
        #expect(e["matched"] as? Int == 3, "the unassigned person is left out")
        try "node,community\nk0123,1\nk4567,2\n".write(toFile: p("clusters.csv"), atomically: true, encoding: .utf8)
        r = try CLI.run(["evaluate", "--clusters", p("clusters.csv"), "--truth", p("truth.csv")])
        #expect(r.status == 65)
        #expect(r.stderr.contains("--pseudonymize-truth"), "\(r.stderr)")
    }
}
