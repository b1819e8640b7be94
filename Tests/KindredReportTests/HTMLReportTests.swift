import KindredReport
import Testing

@Suite("HTML report")
struct HTMLReportTests {
    func sample() -> ReportData {
        var d = ReportData(runKey: "2026-12-01", kindredVersion: "0.1.0", configHash: String(repeating: "a", count: 64), inputSHA256: String(repeating: "b", count: 64))
        d.read = 10
        d.written = 9
        d.quarantined = 1
        d.assigned = 8
        d.unassigned = 1
        d.clusters = [
            .init(id: 4, size: 5, sampleSize: 5, topTitles: [("<script>alert(1)</script>", 3)], topSkills: [("Fire & Rescue", 2)],
                  typicalMembers: ["k1"], nearest: [(7, 0.5)], position: (0.5, -0.5), born: false),
            .init(id: 7, size: 3, sampleSize: 3, topTitles: [("Paramedic", 3)], topSkills: [], typicalMembers: [], nearest: [(4, 0.5)], position: nil, born: true),
        ]
        return d
    }

    @Test("data text is escaped; the page loads nothing from outside and has two inline charts")
    func escaped() {
        let html = HTMLReport.render(sample())
        #expect(!html.contains("<script"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("Fire &amp; Rescue"))
        #expect(html.contains("default-src 'none'"))
        #expect(html.components(separatedBy: "<svg").count - 1 == 2)
        #expect(html.contains("id=\"cluster-4\"") && html.contains("id=\"cluster-7\""))
        #expect(html.contains("Records read 10 = clean 9 + quarantined 1 ✓"))
        #expect(html.contains("Clean people 9 = assigned 8 + unassigned 1 ✓"))
        #expect(html.contains("The 1 largest of 2 clusters are drawn."))
        #expect(html.components(separatedBy: "<circle").count - 1 == 1)
    }

    @Test("the largest moves name each cluster by its top title; a gone cluster by its id, unassigned as such")
    func movesNamed() {
        var d = sample()
        d.changes = .init(
            previousKey: "2026-11-01", idsKept: 0.9, ari: 0.8, inBoth: 8, joined: 1, left: 0, moved: 3, movedRecordChanged: 1, born: [7], gone: [9],
            split: [], merged: [], flows: [(4, 7, 2), (9, nil, 1)])
        let html = HTMLReport.render(d)
        #expect(html.contains("<td>4 · &lt;script&gt;alert(1)&lt;/script&gt;</td><td>7 · Paramedic</td>"), "\(html)")
        #expect(html.contains("<td>9</td><td>unassigned</td>"))
    }

    @Test("a run that does not reconcile says so")
    func notReconciled() {
        var d = sample()
        d.written = 8
        #expect(HTMLReport.render(d).contains("does not reconcile"))
    }

    @Test("the map puts similar clusters near each other and is deterministic")
    func map() {
        // Two families of three clusters each: within a family the centroids are close.
        let d = 6
        var centroids: [Float] = []
        for family in 0..<2 {
            for member in 0..<3 {
                var v = [Float](repeating: 0, count: d)
                v[family * 3] = 1
                v[family * 3 + 1 + member % 2] = 0.3 * Float(member + 1) / 3
                let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
                centroids += v.map { $0 / norm }
            }
        }
        let points = ClusterMap.layout(centroids: centroids, count: 6, dimensions: d)
        #expect(points.count == 6)
        func dist(_ a: Int, _ b: Int) -> Double { ((points[a].x - points[b].x) * (points[a].x - points[b].x) + (points[a].y - points[b].y) * (points[a].y - points[b].y)).squareRoot() }
        let within = [dist(0, 1), dist(0, 2), dist(1, 2), dist(3, 4), dist(3, 5), dist(4, 5)].max()!
        let between = (0..<3).flatMap { a in (3..<6).map { dist(a, $0) } }.min()!
        #expect(within < between)
        let again = ClusterMap.layout(centroids: centroids, count: 6, dimensions: d)
        #expect(zip(points, again).allSatisfy { $0.0.x == $0.1.x && $0.0.y == $0.1.y })
        #expect(points.allSatisfy { abs($0.x) <= 1 && abs($0.y) <= 1 })
    }
}
