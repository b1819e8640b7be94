import KindredCore
import KindredGraph
import KindredTestSupport
import Testing

/// A bad edge-list input: its lines, and the line and field the error must name.
struct BadEdgeListCase: Sendable, CustomTestStringConvertible {
    var name: String
    var lines: [String]
    var line: Int
    var field: String?
    var testDescription: String { name }
}

@Suite("EdgeListFormat")
struct EdgeListFormatTests {
    @Test("comments, tabs, blank lines, arbitrary ids and the default weight")
    func parsesTheFormat() throws {
        let lines = [
            "# a whole-line comment",
            "alice\tbob 2.5",
            "",
            "   bob  carol   # trailing comment, default weight 1",
            "007 7\t\t4",
            "carol alice 0.5#no space before the comment",
            "\t  ",
            "zoë bob 1e1",
        ]
        let g = try EdgeListFormat.parse(lines: lines, sourceName: "people.txt")
        // Numbered in order of first appearance; "007" and "7" are different vertices.
        #expect(g.ids == ["alice", "bob", "carol", "007", "7", "zoë"])
        #expect(g.edgeCount == 5)
        #expect(g.neighbors(of: 0) == [1, 2])
        #expect(g.neighborWeights(of: 0) == [2.5, 0.5])
        #expect(g.neighbors(of: 1) == [0, 2, 5])
        #expect(g.neighborWeights(of: 1) == [2.5, 1, 10])
        #expect(g.neighbors(of: 3) == [4])
        #expect(g.neighborWeights(of: 3) == [4])
        #expect(g.totalWeight == 2.5 + 1 + 4 + 0.5 + 10)
    }

    @Test("parallel edges follow the duplicate policy")
    func duplicates() throws {
        let lines = ["a b 1", "b a 4", "a b"]
        #expect(try EdgeListFormat.parse(lines: lines, sourceName: "x", duplicates: .sum).weights == [6, 6])
        #expect(try EdgeListFormat.parse(lines: lines, sourceName: "x", duplicates: .max).weights == [4, 4])
        #expect(try EdgeListFormat.parse(lines: lines, sourceName: "x", duplicates: .mean).weights == [2, 2])
    }

    @Test("large and non-canonical numeric ids are kept apart", arguments: [
        ["123456789012 5", "5 00005", "123456789012 99999999"]
    ])
    func numericIds(_ lines: [String]) throws {
        let g = try EdgeListFormat.parse(lines: lines, sourceName: "ids")
        #expect(g.ids == ["123456789012", "5", "00005", "99999999"])
        #expect(g.neighbors(of: 0) == [1, 3])
    }

    static let badCases: [BadEdgeListCase] = [
        BadEdgeListCase(name: "one token", lines: ["a b", "# ok", "lonely"], line: 3, field: "column 2"),
        BadEdgeListCase(name: "four tokens", lines: ["a b 1 2"], line: 1, field: "column 4"),
        BadEdgeListCase(name: "non-numeric weight", lines: ["a b", "b c heavy"], line: 2, field: "weight"),
        BadEdgeListCase(name: "negative weight", lines: ["a b -1"], line: 1, field: "weight"),
        BadEdgeListCase(name: "NaN weight", lines: ["", "a b nan"], line: 2, field: "weight"),
        BadEdgeListCase(name: "inf weight", lines: ["a b 1", "a c inf"], line: 2, field: "weight"),
        BadEdgeListCase(name: "weight too large for Float", lines: ["a b 1e300"], line: 1, field: "weight"),
    ]

    @Test("bad lines give .badInput with file, line and field", arguments: badCases)
    func badInput(_ bad: BadEdgeListCase) throws {
        let error = #expect(throws: KindredError.self) {
            _ = try EdgeListFormat.parse(lines: bad.lines, sourceName: "bad.edges")
        }
        #expect(error?.code == .badInput)
        #expect(error?.file == "bad.edges")
        #expect(error?.line == bad.line)
        #expect(error?.field == bad.field)
    }

    @Test("bad lines in a file name the file path", arguments: badCases)
    func badInputFromFile(_ bad: BadEdgeListCase) throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let path = try folder.write(bad.lines.joined(separator: "\n") + "\n", to: "bad.edges")
        let error = #expect(throws: KindredError.self) { _ = try EdgeListFormat.read(path: path) }
        #expect(error?.code == .badInput)
        #expect(error?.file == path)
        #expect(error?.line == bad.line)
    }

    @Test("invalid UTF-8 names the file and line")
    func invalidUTF8() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        var bytes = Array("a b\n# fine\nc ".utf8)
        bytes += [0xFF, 0x41]
        bytes += Array(" 2\nd e\n".utf8)
        let path = try folder.write(bytes, to: "broken.edges")
        let error = #expect(throws: KindredError.self) { _ = try EdgeListFormat.read(path: path) }
        #expect(error?.code == .badInput)
        #expect(error?.file == path)
        #expect(error?.line == 3)
        #expect(error?.message.contains("UTF-8") == true)
    }

    @Test("invalid UTF-8 inside a comment is still an error")
    func invalidUTF8InComment() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let path = try folder.write(Array("a b # caf".utf8) + [0xC3], to: "comment.edges")
        let error = #expect(throws: KindredError.self) { _ = try EdgeListFormat.read(path: path) }
        #expect(error?.line == 1)
    }

    @Test("an empty file is an empty graph; CRLF endings are accepted")
    func emptyAndCRLF() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let empty = try EdgeListFormat.read(path: try folder.write("", to: "empty.edges"))
        #expect(empty.vertexCount == 0)
        #expect(empty.edgeCount == 0)
        let crlf = try EdgeListFormat.read(path: try folder.write("a b 2\r\nb c\r\n", to: "crlf.edges"))
        #expect(crlf.ids == ["a", "b", "c"])
        #expect(crlf.totalWeight == 3)
    }

    @Test("a missing file is bad input (no such file) naming the path")
    func missingFile() {
        let path = "/nonexistent-kindred-folder/graph.edges"
        let error = #expect(throws: KindredError.self) { _ = try EdgeListFormat.read(path: path) }
        #expect(error?.code == .badInput && error?.message == "no such file")
        #expect(error?.file == path)
        let viaLoader = #expect(throws: KindredError.self) { _ = try GraphLoader.load(path: path) }
        #expect(viaLoader?.code == .badInput)
        #expect(viaLoader?.file == path)
    }

    @Test("edge list → Graph → edge list keeps every edge, weight and id")
    func roundTrip() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let text = """
            # input
            x y 0.1
            y z 3
            z z 2.25
            élan x 1e-3
            w y 16777217
            x y 0.2
            """
        let original = try EdgeListFormat.parse(lines: text.split(separator: "\n").map(String.init), sourceName: "in")
        let path = folder.file("out.edges")
        try EdgeListFormat.write(original, to: path)
        let written = try String(contentsOfFile: path, encoding: .utf8)
        #expect(written.hasPrefix("# kindred edge list\n"))
        #expect(written.split(separator: "\n").count == 1 + original.edgeCount)
        let reread = try EdgeListFormat.read(path: path)
        #expect(edgeSet(reread) == edgeSet(original))
        #expect(Set(reread.ids) == Set(original.ids))
        // Writing the re-read graph gives the same file.
        let again = folder.file("again.edges")
        try EdgeListFormat.write(reread, to: again)
        #expect(edgeSet(try EdgeListFormat.read(path: again)) == edgeSet(original))
    }

    @Test("random graphs round-trip through edge lists (isolated vertices aside)")
    func randomRoundTrips() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        for seed: UInt64 in 0..<20 {
            let g = randomGraph(seed: seed)
            let path = folder.file("g\(seed).edges")
            try EdgeListFormat.write(g, to: path)
            let back = try EdgeListFormat.read(path: path)
            #expect(edgeSet(back) == edgeSet(g), "seed \(seed)")
        }
    }

    @Test("ids that cannot be written are refused")
    func unwritableIds() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let g = Graph(vertexCount: 2, sources: [0], targets: [1], weights: [1], ids: ["a b", "c"])
        let error = #expect(throws: KindredError.self) { try EdgeListFormat.write(g, to: folder.file("x.edges")) }
        #expect(error?.field == "id of vertex 0")
    }
}
