import Foundation
import KindredCore
import KindredTestSupport
import Testing
@testable import KindredPeople

/// Files as analysts have them: Excel's BOM and quoting, ';' and tab CSV, JSON arrays, gzip.
@Suite("Input formats")
struct InputFormatsTests {
    static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]

    @Test("a UTF-8 byte-order mark is skipped in CSV (Excel's 'CSV UTF-8') and JSON Lines")
    func byteOrderMark() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let csv = try folder.write(InputFormatsTests.bom + Array("id,name\np1,Ann\np2,Bo\n".utf8), to: "excel.csv")
        let read = try readAll(csv)
        #expect(read.people.map(\.person.id) == ["p1", "p2"])
        #expect(read.people.map(\.line) == [2, 3])
        let jsonl = try folder.write(InputFormatsTests.bom + Array(#"{"id":"a"}"#.utf8) + [10], to: "p.jsonl")
        #expect(try readAll(jsonl).people.map(\.person.id) == ["a"])
        let array = try folder.write(InputFormatsTests.bom + Array(#"[{"id":"a"}]"#.utf8), to: "p.json")
        #expect(try readAll(array).people.map(\.person.id) == ["a"])
    }

    @Test("a pretty-printed JSON array: each element read with the line it starts on; bad elements quarantined alone")
    func prettyArray() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let text = """
            [
              {
                "id": "a",
                "skills": ["Python", "a, b ] { \\" tricky"],
                "positions": [{"title": "Nurse", "start": "Jan 2019", "end": "present"}]
              },
              {"id": "b", "positions": [}]},
              42,
              {"skills": ["x"]},
              {"id": "c"}, {"id": "a"},
              {"id": "d"}
            ]

            """
        let path = try folder.write(text, to: "people.json")
        let read = try readAll(path)
        #expect(read.people.map(\.person.id) == ["a", "c", "d"])
        #expect(read.people.map(\.line) == [2, 10, 11])
        #expect(read.people[0].person.skills == ["Python", "a, b ] { \" tricky"])
        #expect(read.people[0].person.positions.first?.start == YearMonth(year: 2019, month: 1))
        #expect(read.people[0].person.positions.first?.endIsPresent == true)
        #expect(read.quarantined.map(\.line) == [7, 8, 9, 10])
        #expect(read.quarantined.map(\.reason) == ["malformed JSON", "expected a JSON object", "missing id", "duplicate id (first seen on line 2)"])
        #expect(read.quarantined.allSatisfy { $0.file == path })
        #expect(read.recordsRead == read.people.count + read.quarantined.count)
    }

    @Test("a one-line JSON array, and its batches equal record-by-record reading")
    func oneLineArray() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let elements = (0..<700).map { i in i % 100 == 7 ? #"{"id":}"# : #"{"id":"p\#(i)","skills":["s\#(i % 5)"]}"# }
        let path = try folder.write("[" + elements.joined(separator: ",") + "]", to: "one-line.data")
        let reader = try PeopleReader(path: path)
        #expect(reader.format == .json)
        let read = try readAll(path)
        #expect(read.people.count == 693 && read.quarantined.count == 7)
        #expect(read.people.allSatisfy { $0.line == 1 })
        var batched: [String] = []
        while case let batch = try reader.nextBatch(64, threads: 2), !batch.isEmpty {
            for item in batch {
                switch item {
                case .person(let p, _): batched.append(p.id)
                case .quarantined(let q): batched.append("q:" + q.reason)
                }
            }
        }
        #expect(batched.count == 700)
        #expect(batched.filter { !$0.hasPrefix("q:") } == read.people.map(\.person.id))
    }

    @Test("an array cut off, or text after it, is quarantined, never lost or fatal")
    func brokenArrays() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let cut = try readAll(try folder.write("[\n{\"id\":\"a\"},\n{\"id\":\"b\"", to: "cut.json"))
        #expect(cut.people.map(\.person.id) == ["a"])
        #expect(cut.quarantined.map(\.line) == [3, 3])
        #expect(cut.quarantined.map(\.reason.isEmpty) == [false, false])
        #expect(cut.quarantined.last?.reason.contains("not closed") == true)
        let unclosed = try readAll(try folder.write("[{\"id\":\"a\"},\n{\"id\":\"b\"}\n", to: "unclosed.json"))
        #expect(unclosed.people.map(\.person.id) == ["a", "b"])
        #expect(unclosed.quarantined.count == 1 && unclosed.quarantined[0].reason.contains("not closed"))
        #expect(unclosed.recordsRead == 3)
        let cutInside = try readAll(try folder.write("[{\"id\":\"a\"},\n{\"id\":\"b\",\"skills\":[", to: "cut2.json"))
        #expect(cutInside.people.map(\.person.id) == ["a"])
        #expect(cutInside.quarantined.map(\.line) == [2, 2])
        let after = try readAll(try folder.write("[{\"id\":\"a\"}]\nextra\n", to: "after.json"))
        #expect(after.people.map(\.person.id) == ["a"])
        #expect(after.quarantined.map(\.line) == [2])
        #expect(after.quarantined[0].reason.contains("after the end"))
        let missingComma = try readAll(try folder.write("[{\"id\":\"a\"}\n{\"id\":\"b\"}]", to: "comma.json"))
        #expect(missingComma.people.map(\.line) == [1, 2])
    }

    @Test("format comes from content: a .json file may be JSON Lines, a .jsonl-less name may be CSV or an array")
    func sniffing() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        #expect(try PeopleReader(path: try folder.write("{\"id\":\"a\"}\n{\"id\":\"b\"}\n", to: "lines.json")).format == .jsonl)
        #expect(try PeopleReader(path: try folder.write("\n  [{\"id\":\"a\"}]", to: "array.jsonl")).format == .json)
        #expect(try PeopleReader(path: try folder.write("id;name\np1;Ann\n", to: "export.txt")).format == .csv)
        #expect(try PeopleReader(path: try folder.write("not json\n", to: "odd.txt")).format == .jsonl)
        #expect(try readAll(try folder.write("{\"id\":\"a\"}\n{\"id\":\"b\"}\n", to: "lines2.json")).people.count == 2)
    }

    @Test("gzipped CSV, JSON Lines and JSON arrays are read", arguments: ["people.csv.gz", "people.jsonl.gz", "people.json.gz"])
    func gzip(name: String) throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let text: String
        switch name {
        case "people.csv.gz": text = "id,skills\na,\"x;y\"\nb,z\n"
        case "people.jsonl.gz": text = "{\"id\":\"a\"}\n{\"id\":\"b\"}\n"
        default: text = "[\n{\"id\":\"a\"},\n{\"id\":\"b\"}\n]\n"
        }
        let plain = try folder.write(text, to: "plain")
        let gz = Process()
        gz.executableURL = URL(fileURLWithPath: "/bin/sh")
        gz.arguments = ["-c", "gzip -c \"$0\" > \"$1\"", plain, folder.file(name)]
        try gz.run()
        gz.waitUntilExit()
        try #require(gz.terminationStatus == 0)
        let read = try readAll(folder.file(name))
        #expect(read.people.map(\.person.id) == ["a", "b"])
        #expect(read.quarantined.isEmpty)
    }

    @Test(
        "';' and tab CSV are detected from the header; --delimiter forces one",
        arguments: [("id;name;skills;titles\np1;\"Smith; Ann\";\"a;b\";Nurse\n", ";"), ("id\tname\tskills\ttitles\np1\tSmith; Ann\ta;b\tNurse\n", "\t")])
    func delimiters(text: String, delimiter: String) throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let path = try folder.write(text, to: "people.csv")
        for options in [PeopleReadOptions(), PeopleReadOptions(delimiter: Character(delimiter))] {
            let reader = try PeopleReader(path: path, options: options)
            #expect(reader.csvSchema?.delimiter == Character(delimiter))
            guard case .person(let p, _)? = try reader.next() else {
                Issue.record("no person")
                return
            }
            #expect(p.name == "Smith; Ann")
            #expect(p.skills == ["a", "b"])
            #expect(p.positions.map(\.title) == ["Nurse"])
        }
        // Forcing the wrong delimiter is an error naming line 1 and the header.
        let error = #expect(throws: KindredError.self) { _ = try PeopleReader(path: path, options: PeopleReadOptions(delimiter: ",")) }
        #expect(error?.line == 1 && error?.field == "header")
        #expect(error?.message.contains("no 'id' column") == true)
    }

    @Test("Excel quoting: doubled quotes, delimiters and line breaks inside quotes; a row's line is its first")
    func excelQuoting() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let text = "id,name,skills,titles\r\np1,\"Smith, \"\"Ann\"\"\",\"Python\r\nSQL\",Nurse\r\np2,\"Bo\r\n\r\nB\",x,\"Chef,\r\nCook\"\r\np3,Cy,,Welder\r\n"
        let path = try folder.write(text, to: "excel.csv")
        let read = try readAll(path)
        #expect(read.quarantined.isEmpty)
        #expect(read.people.map(\.line) == [2, 4, 8])
        #expect(read.people[1].person.name == "Bo\n\nB")
        #expect(read.people[0].person.name == "Smith, \"Ann\"")
        #expect(read.people[0].person.skills == ["Python", "SQL"])
        #expect(read.people[1].person.positions.map(\.title) == ["Chef,", "Cook"])
    }

    @Test("an unterminated quote quarantines its own row only; the rows after it are read")
    func unterminatedQuote() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let path = try folder.write("id,name\np1,\"Ann\np2,Bo\np3,Cy\n", to: "people.csv")
        let read = try readAll(path)
        #expect(read.people.map(\.person.id) == ["p2", "p3"])
        #expect(read.people.map(\.line) == [3, 4])
        #expect(read.quarantined.map(\.line) == [2])
        #expect(read.quarantined.first?.reason.contains("unterminated") == true)
        #expect(read.recordsRead == 3)
    }

    @Test("unreadable dates keep the person: the date is missing and flagged; counts reconcile", arguments: ["people.jsonl", "people.csv"])
    func unreadableDateKeepsPerson(name: String) throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let text =
            name.hasSuffix(".csv")
            ? "id,titles,starts,ends\na,Nurse;Chef,soon;2019,2020-13;Current\nb,Cook,03/04/2019,\n"
            : #"{"id":"a","positions":[{"title":"Nurse","start":"soon","end":"2020-13"},{"title":"Chef","start":2019,"end":"Current"}]}"# + "\n"
                + #"{"id":"b","positions":[{"title":"Cook","start":"03/04/2019"}]}"# + "\n"
        let path = try folder.write(text, to: name)
        let read = try readAll(path)
        #expect(read.quarantined.isEmpty)
        #expect(read.people.count + read.quarantined.count == read.recordsRead)
        let a = read.people[0].person.positions
        #expect(a[0].start == nil && a[0].end == nil)
        #expect(a[0].dateIssues == ["unreadable_start", "unreadable_end"])
        #expect(a[1].start == YearMonth(year: 2019, month: 1) && a[1].endIsPresent && a[1].dateIssues == ["year_only_start"])
        let b = read.people[1].person.positions[0]
        #expect(b.start == YearMonth(year: 2019, month: 3) && b.dateIssues == ["ambiguous_start"])
        let dmy = try PeopleReader(path: path, options: PeopleReadOptions(dateOrder: .dmy))
        _ = try dmy.next()
        guard case .person(let p, _)? = try dmy.next() else {
            Issue.record("no person")
            return
        }
        #expect(p.positions[0].start == YearMonth(year: 2019, month: 4))
    }
}
