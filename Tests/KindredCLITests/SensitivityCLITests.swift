import Foundation
import Testing

/// One clustered run shared by the sensitivity tests: 900 synthetic people with dated careers.
private enum Fixture {
    static let shared: Result<ClusteredRun, Error> = Result { try ClusteredRun.make(people: 900, synthSeed: 5, runSeed: 2) }
}

@Suite("kindred sensitivity", .serialized) struct SensitivityCLITests {
    @Test("a person by pseudonym: every step of each factor, CSV and JSON agree, the same bytes whatever --threads")
    func onePersonAndAFile() throws {
        let f = try Fixture.shared.get()
        let firstLine = try String(contentsOfFile: f.p("run/latest/clean.jsonl"), encoding: .utf8).split(separator: "\n")[0]
        let id = try CLI.json(String(firstLine))["id"] as! String
        var r = try CLI.run(["sensitivity", "--model", f.p("run"), id, "--vary", "tenure=-12..12:6", "--vary", "switches=0..2", "--vary", "skills=drop:1..2", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let answer = try CLI.json(r.stdout)
        let people = answer["people"] as! [[String: Any]]
        #expect(people.count == 1 && people[0]["id"] as? String == id)
        let steps = people[0]["steps"] as! [[String: Any]]
        #expect(steps.map { $0["factor"] as! String } == Array(repeating: "tenure", count: 5) + Array(repeating: "switches", count: 3) + Array(repeating: "skills", count: 3))
        // The unvaried steps are the person as they are: their own cluster, every neighbour kept.
        for s in steps where s["value"] as? Double == 0 {
            #expect(s["cluster"] as? Int == s["own_cluster"] as? Int && s["neighbor_overlap"] as? Double == 1)
        }
        let summary = people[0]["summary"] as! [[String: Any]]
        #expect(summary.map { $0["factor"] as! String } == ["tenure", "switches", "skills"])

        // A file of people (the run's clean people, first 40), CSV, one and two threads.
        r = try CLI.run(["sensitivity", "--model", f.p("run"), "--people", f.p("run/latest/clean.jsonl"), "--limit", "40", "--csv", f.p("one.csv"), "--threads", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("40 people") && r.stdout.contains("tenure:"))
        r = try CLI.run(["sensitivity", "--model", f.p("run"), "--people", f.p("run/latest/clean.jsonl"), "--limit", "40", "--csv", f.p("two.csv"), "--threads", "2"])
        let one = try String(contentsOfFile: f.p("one.csv"), encoding: .utf8)
        #expect(one == (try String(contentsOfFile: f.p("two.csv"), encoding: .utf8)))
        let lines = one.split(separator: "\n")
        #expect(lines[0].hasPrefix("id,factor,step,value,cluster,confidence,own_cluster,similarity_own"))
        #expect(lines.count == 1 + 40 * (9 + 5))  // default factors: tenure −24…24 by 6, switches 0…4
    }

    @Test("raw records need the run's key; a bad --vary and an unknown id are named, not echoed")
    func errors() throws {
        let f = try Fixture.shared.get()
        var r = try CLI.run(["sensitivity", "--model", f.p("run"), "--people", f.p("people.jsonl"), "--limit", "3"])
        #expect(r.status == 2 && r.stderr.contains("raw records"))
        r = try CLI.run(["sensitivity", "--model", f.p("run"), "--people", f.p("people.jsonl"), "--limit", "3", "--demo-key", "--vary", "title=Paramedic|Lawyer"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Paramedic") && r.stdout.contains("Lawyer"))
        r = try CLI.run(["sensitivity", "--model", f.p("run"), "--people", f.p("people.jsonl"), "--demo-key", "--vary", "tenure=5..-5"])
        #expect(r.status == 2 && r.stderr.contains("A ≤ B"))
        r = try CLI.run(["sensitivity", "--model", f.p("run"), "--people", f.p("people.jsonl"), "--demo-key", "--vary", "salary=1..2"])
        #expect(r.status == 2 && r.stderr.contains("unknown factor"))
        r = try CLI.run(["sensitivity", "--model", f.p("run"), "alice@example.com"])
        #expect(r.status == 65 && !r.stderr.contains("alice"))
    }

    @Test("the run's report draws the sensitivity chart for a sample of people, by number, not by id")
    func reportChart() throws {
        let f = try Fixture.shared.get()
        let html = try String(contentsOfFile: f.p("run/latest/report.html"), encoding: .utf8)
        let start = try #require(html.range(of: "<section id=\"sensitivity\">"))
        let section = html[start.lowerBound...].prefix { _ in true }
        let end = try #require(section.range(of: "</section>"))
        let chart = section[..<end.lowerBound]
        #expect(chart.components(separatedBy: "<polyline").count - 1 == 2 * 8)  // 8 people × (tenure, switches)
        #expect(chart.contains("person 1 · cluster") && !chart.contains("k0") && !chart.contains("k1"))
    }
}
