import Foundation
import KindredReport
import Testing

/// Texts that try to break out of HTML text, attributes, CDATA, comments, style and title.
private let injectionTexts = [
    "<script>alert(1)</script>", "\"><svg onload=alert(1)>", "]]><!--", "</style><style>body{display:none}</style>",
    "'><img src=x onerror=alert(1)>", "</title><script>x</script>", "a\u{0}b\u{1B}[31mc",
]

/// One pass over a document: how many times each tag opens (`svg`) and closes (`/svg`) — a `<` followed
/// by a name — and how many `]]>`, NUL and ESC bytes it holds. Fast enough for a report of megabytes
/// in a debug build.
func scan(_ html: String) -> (tags: [String: Int], cdataEnds: Int, controls: Int) {
    var tags: [String: Int] = [:]
    var cdataEnds = 0, controls = 0
    let bytes = Array(html.utf8)
    var i = 0
    while i < bytes.count {
        let b = bytes[i]
        if b == 0x3C {  // <
            var j = i + 1
            if j < bytes.count && (bytes[j] == 0x2F || bytes[j] == 0x21) { j += 1 }  // / or !
            while j < bytes.count && ((bytes[j] >= 0x61 && bytes[j] <= 0x7A) || (bytes[j] >= 0x41 && bytes[j] <= 0x5A) || (bytes[j] >= 0x30 && bytes[j] <= 0x39) || bytes[j] == 0x2D) { j += 1 }
            if j > i + 1 { tags[String(decoding: bytes[(i + 1)..<j], as: UTF8.self).lowercased(), default: 0] += 1 }
            i = j
            continue
        }
        if b == 0x5D && i + 2 < bytes.count && bytes[i + 1] == 0x5D && bytes[i + 2] == 0x3E { cdataEnds += 1 }
        if b == 0 || b == 0x1B { controls += 1 }
        i += 1
    }
    return (tags, cdataEnds, controls)
}

/// Reports built from hostile run data: they must render completely, escape everything and never crash.
@Suite("Hostile report data")
struct HostileReportTests {
    static func base(runKey: String = "2026-12-01") -> ReportData {
        var d = ReportData(runKey: runKey, kindredVersion: "0.1.0", configHash: String(repeating: "c", count: 64), inputSHA256: String(repeating: "d", count: 64))
        d.asOf = "2026-12"
        d.read = 10
        d.written = 10
        d.assigned = 10
        return d
    }

    static func cluster(_ id: Int32, size: Int, title: String? = "Paramedic", position: (x: Double, y: Double)? = (0, 0)) -> ReportData.Cluster {
        .init(
            id: id, size: size, sampleSize: size, topTitles: title.map { [($0, max(size, 0))] } ?? [], topSkills: title.map { [($0 + " skill", 1)] } ?? [],
            typicalMembers: ["k\(id)"], nearest: [(id &+ 1, 0.5)], position: position, born: id % 2 == 0)
    }

    /// The document is whole and well nested, with every section, and no raw tag from the data.
    static func checkComplete(_ html: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let (starts, ends) = (html.hasPrefix("<!DOCTYPE html>"), html.hasSuffix("</body>\n</html>\n"))
        #expect(starts && ends, "the document is cut short", sourceLocation: sourceLocation)
        let found = scan(html)
        for id in ["cover", "summary", "sizes", "map", "stability", "sensitivity", "changes", "clusters"] {
            let present = html.contains("<section id=\"\(id)\">")
            #expect(present, "section \(id) missing", sourceLocation: sourceLocation)
        }
        for tag in ["section", "div", "article", "svg", "table", "ul", "ol", "figure", "style", "text", "title", "head", "body", "html"] {
            #expect(found.tags[tag, default: 0] == found.tags["/" + tag, default: 0], "<\(tag)> not closed as often as opened", sourceLocation: sourceLocation)
        }
        #expect(found.tags["style"] == 2, sourceLocation: sourceLocation)
        #expect(found.tags["html"] == 1 && found.tags["head"] == 1 && found.tags["body"] == 1, sourceLocation: sourceLocation)
        // Only the tags the report writes: none that the data brought in.
        let known: Set<String> = [
            "!doctype", "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "h4", "span", "p", "nav", "a", "section", "div",
            "table", "thead", "tbody", "tr", "th", "td", "svg", "rect", "line", "text", "circle", "polyline", "g", "figure", "figcaption", "b", "code",
            "ol", "ul", "li", "article", "footer",
        ]
        let unknown = found.tags.keys.map { $0.hasPrefix("/") ? String($0.dropFirst()) : $0 }.filter { !known.contains($0) }
        #expect(unknown.isEmpty, "tags the report does not write: \(Set(unknown).sorted())", sourceLocation: sourceLocation)
        #expect(found.tags["script"] == nil && found.tags["img"] == nil && found.tags["!--"] == nil, sourceLocation: sourceLocation)
        #expect(!html.contains("<svg onload"), sourceLocation: sourceLocation)
        #expect(found.cdataEnds == 0 && found.controls == 0, "raw ]]> or control characters", sourceLocation: sourceLocation)
        let notFinite = ["\"nan\"", "\"inf\"", "\"-nan\"", "\"-inf\""].contains { html.contains($0) }
        #expect(!notFinite, "a number that is not finite in an attribute", sourceLocation: sourceLocation)
    }

    @Test("no clusters at all")
    func noClusters() {
        var d = Self.base()
        d.read = 0
        d.written = 0
        d.assigned = 0
        let html = HTMLReport.render(d)
        Self.checkComplete(html)
        #expect(html.contains("No clusters"))
    }

    @Test("one cluster of one person, and empty clusters")
    func tinyClusters() {
        var d = Self.base()
        d.clusters = [Self.cluster(1, size: 1), Self.cluster(2, size: 0), Self.cluster(3, size: 0, title: nil, position: nil)]
        Self.checkComplete(HTMLReport.render(d))
        d.clusters = [Self.cluster(1, size: 1)]
        let html = HTMLReport.render(d)
        Self.checkComplete(html)
        #expect(html.contains("id=\"cluster-1\""))
    }

    @Test("5,000 clusters render, the map drawing the largest 300 with labels that fit")
    func manyClusters() {
        var d = Self.base()
        d.clusters = (0..<5000).map { i in
            let angle = Double(i) * 2.399963
            let r = (Double(i) / 5000).squareRoot()
            return Self.cluster(Int32(i), size: 5000 - i, title: "Occupation number \(i)", position: (r * cos(angle), r * sin(angle)))
        }
        let html = HTMLReport.render(d)
        Self.checkComplete(html)
        let tags = scan(html).tags
        #expect(tags["circle"] == 300)
        #expect(html.contains("The 300 largest of 5000 clusters are drawn."))
        #expect(tags["article"] == 5000)
    }

    @Test("scores and positions that are not numbers are shown as n/a and left off the charts")
    func notNumbers() {
        var d = Self.base()
        d.clusters = [Self.cluster(1, size: 5, position: (.nan, 0)), Self.cluster(2, size: 3, position: (.infinity, -.infinity)), Self.cluster(3, size: 2)]
        d.clusters[0].nearest = [(2, .nan), (3, .infinity)]
        d.stability = [(seed: 2, ari: .nan), (seed: 3, ari: -.infinity)]
        d.robustness = PartitionRobustness(worstSeedARI: .nan, leftOutShare: .nan, leftOutPeople: 1, leftOutARI: .infinity, clusters: [
            .init(id: 1, sampleSize: 5, keptAcrossSeeds: .nan, keptWithPeopleLeftOut: nil)
        ])
        d.changes = .init(
            previousKey: "p", idsKept: .nan, ari: .infinity, inBoth: 1, joined: 0, left: 0, moved: 0, movedRecordChanged: 0, born: [], gone: [],
            split: [], merged: [], flows: [])
        d.sensitivity = [
            SensitivityCurve(factor: "tenure", unit: "month", person: "person 1", cluster: 1, points: [(0, .nan), (6, 0.5), (.infinity, 0.4), (12, 0.6)], flips: [6]),
            SensitivityCurve(factor: "switches", unit: "switch", person: "person 1", cluster: 1, points: [(0, .nan)], flips: []),
        ]
        let html = HTMLReport.render(d)
        Self.checkComplete(html)
        #expect(html.contains("n/a"))
        #expect(html.components(separatedBy: "<circle cx").count - 1 >= 1)
    }

    @Test("clusters with no profile (no titles, skills, members or neighbours), repeated ids")
    func missingProfiles() {
        var d = Self.base()
        d.clusters = [
            .init(id: 5, size: 4, sampleSize: 0, topTitles: [], topSkills: [], typicalMembers: [], nearest: [], position: (0.2, 0.2), born: false),
            .init(id: 5, size: 2, sampleSize: 0, topTitles: [], topSkills: [], typicalMembers: [], nearest: [(99, 0.1)], position: nil, born: true),
        ]
        d.changes = .init(
            previousKey: "p", idsKept: 1, ari: 1, inBoth: 1, joined: 0, left: 0, moved: 1, movedRecordChanged: 0, born: [], gone: [9],
            split: [(5, [(5, 1), (6, 1)])], merged: [], flows: [(5, nil, 1), (nil, 5, 1), (9, 5, 1)])
        Self.checkComplete(HTMLReport.render(d))
    }

    @Test("very long, right-to-left and emoji titles", arguments: [
        String(repeating: "Senior Principal Chief Executive Officer of Everything ", count: 60),
        "מהנדס תוכנה בכיר", "مهندس برمجيات", "👩🏽‍🔬 Scientist 🚒🧯", "\u{202E}reversed\u{202C} title", "看护 (care worker)",
    ])
    func oddTitles(title: String) {
        var d = Self.base()
        d.clusters = [Self.cluster(1, size: 10, title: title, position: (0, 0)), Self.cluster(2, size: 8, title: title, position: (0.01, 0.01))]
        let html = HTMLReport.render(d)
        Self.checkComplete(html)
        #expect(html.contains(HTMLReport.escape(title)))
    }

    @Test("injection attempts in every text field are escaped", arguments: injectionTexts)
    func injections(text: String) {
        var d = Self.base(runKey: text)
        d.kindredVersion = text
        d.asOf = text
        d.summary = [(text, text)]
        d.unassignedReasons = [(text, 1)]
        d.evaluation = [(text, text)]
        var c = Self.cluster(1, size: 3, title: text)
        c.typicalMembers = [text]
        c.topSkills = [(text, 1)]
        d.clusters = [c, Self.cluster(2, size: 2, title: text, position: (0.5, 0.5))]
        d.robustness = PartitionRobustness(worstSeedARI: 1, leftOutShare: 0.01, leftOutPeople: 1, leftOutARI: 1, clusters: [
            .init(id: 1, sampleSize: 3, keptAcrossSeeds: 1, keptWithPeopleLeftOut: 1)
        ])
        d.changes = .init(
            previousKey: text, idsKept: 1, ari: 1, inBoth: 1, joined: 0, left: 0, moved: 1, movedRecordChanged: 0, born: [], gone: [],
            split: [], merged: [], flows: [(1, 2, 1)])
        d.sensitivity = [SensitivityCurve(factor: text, unit: text, person: text, cluster: 1, points: [(0, 0.5), (1, 0.6)], flips: [1])]
        let html = HTMLReport.render(d)
        Self.checkComplete(html)
        #expect(!html.contains(text) || HTMLReport.escape(text) == text)
    }

    @Test("the page size can be changed in a written report, and added to one written without it")
    func pageSize() {
        var d = Self.base()
        d.clusters = [Self.cluster(1, size: 3)]
        let a4 = HTMLReport.render(d)
        #expect(a4.contains("size: A4 portrait"))
        let letter = HTMLReport.settingPageSize(a4, to: .letter)
        #expect(letter.contains("size: letter portrait") && !letter.contains("size: A4"))
        #expect(letter == HTMLReport.render(d, page: .letter))
        #expect(HTMLReport.settingPageSize(letter, to: .a4) == a4)
        #expect(letter.contains("counter(page) \" / \" counter(pages)"))
        let old = "<html><head><title>x</title></head><body></body></html>"
        let upgraded = HTMLReport.settingPageSize(old, to: .letter)
        #expect(upgraded.contains("size: letter") && upgraded.hasSuffix("</head><body></body></html>"))
    }
}
