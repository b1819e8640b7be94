import Foundation
import KindredCore
import KindredTestSupport
import Testing
@testable import KindredPeople

/// One bad JSON Lines record and what the reader must say about it.
struct BadRecord: Sendable, CustomTestStringConvertible {
    var name: String
    var bytes: [UInt8]
    var field: String?
    var reason: String

    init(_ name: String, _ text: String, field: String?, reason: String) {
        self.init(name, bytes: Array(text.utf8), field: field, reason: reason)
    }

    init(_ name: String, bytes: [UInt8], field: String?, reason: String) {
        self.name = name
        self.bytes = bytes
        self.field = field
        self.reason = reason
    }

    var testDescription: String { name }

    static let all: [BadRecord] = [
        BadRecord("malformed JSON", #"{"id":"b1","skills":["#, field: nil, reason: "malformed JSON"),
        BadRecord("not an object", #"["b1","b2"]"#, field: nil, reason: "expected a JSON object"),
        BadRecord("a bare string (a JSON fragment)", #""b1""#, field: nil, reason: "JSON"),
        BadRecord("missing id", #"{"name":"Ann"}"#, field: "id", reason: "missing id"),
        BadRecord("null id", #"{"id":null}"#, field: "id", reason: "missing id"),
        BadRecord("empty id", #"{"id":""}"#, field: "id", reason: "empty id"),
        BadRecord("blank id", #"{"id":"  "}"#, field: "id", reason: "empty id"),
        BadRecord("invalid UTF-8", bytes: [0xFF, 0xFE], field: nil, reason: "invalid UTF-8"),
        BadRecord("invalid UTF-8 inside JSON", bytes: Array(#"{"id":"b"#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8), field: nil, reason: "invalid UTF-8"),
        BadRecord("skills not a list", #"{"id":"b1","skills":{"a":1}}"#, field: "skills", reason: "expected a list of strings"),
        BadRecord("skills a number", #"{"id":"b1","skills":3}"#, field: "skills", reason: "expected a list of strings"),
        BadRecord("position without title", #"{"id":"b1","positions":[{"company":"Acme","start":"2020-01"}]}"#, field: "positions[0].title", reason: "missing title"),
        BadRecord("position with blank title", #"{"id":"b1","positions":[{"title":"  "}]}"#, field: "positions[0].title", reason: "missing title"),
        // An unreadable date keeps the person (flagged; see InputFormatsTests), but a date that is not
        // even text or a number is a malformed record.
        BadRecord("start date an object", #"{"id":"b1","positions":[{"title":"Nurse","start":{"y":2020}}]}"#, field: "positions[0].start", reason: "expected a date as a string"),
    ]
}

@Suite("PeopleReader")
struct PeopleReaderTests {
    @Test("a bad record is quarantined with file, line, field and reason, and reading goes on", arguments: BadRecord.all)
    func quarantinesBadRecord(_ bad: BadRecord) throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        // Line 1 good, line 2 blank, line 3 bad, line 4 good.
        let bytes = Array("{\"id\":\"ok1\"}\n\n".utf8) + bad.bytes + Array("\n{\"id\":\"ok2\"}\n".utf8)
        let path = try folder.write(bytes, to: "people.jsonl")
        let result = try readAll(path)
        #expect(result.people.map(\.person.id) == ["ok1", "ok2"])
        #expect(result.people.map(\.line) == [1, 4])
        try #require(result.quarantined.count == 1)
        let record = result.quarantined[0]
        #expect(record.file == path)
        #expect(record.line == 3)
        #expect(record.field == bad.field)
        #expect(record.reason.contains(bad.reason), "reason was '\(record.reason)'")
        #expect(record.raw == bad.bytes)
        #expect(result.recordsRead == 3)
        // The log message names the place but not the record's content.
        #expect(record.message.hasPrefix("\(path):3"))
    }

    @Test("a repeated id is quarantined on its second occurrence, naming the first line")
    func duplicateID() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let text = """
            {"id":"a"}
            {"id":"b"}

            {"id":"a","name":"again"}
            {"id":7}
            {"id":"7"}
            """
        let path = try folder.write(text, to: "people.jsonl")
        let result = try readAll(path)
        #expect(result.people.map(\.person.id) == ["a", "b", "7"])
        #expect(result.people.map(\.line) == [1, 2, 5])
        try #require(result.quarantined.count == 2)
        #expect(result.quarantined[0].line == 4)
        #expect(result.quarantined[0].field == "id")
        #expect(result.quarantined[0].file == path)
        #expect(result.quarantined[0].reason.contains("line 1"), "reason was '\(result.quarantined[0].reason)'")
        #expect(result.quarantined[1].line == 6)
        #expect(result.quarantined[1].reason.contains("line 5"))
    }

    @Test("blank and whitespace-only lines are skipped and not counted; CRLF endings are accepted")
    func blankLines() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let path = try folder.write("\n   \n{\"id\":\"a\"}\r\n\t\n\r\n{\"id\":\"b\"}", to: "people.jsonl")
        let result = try readAll(path)
        #expect(result.people.map(\.person.id) == ["a", "b"])
        #expect(result.people.map(\.line) == [3, 6])
        #expect(result.quarantined.isEmpty)
        #expect(result.recordsRead == 2)
    }

    @Test("a file that does not exist is bad input saying so and naming the path")
    func missingFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kindred-missing-\(UUID().uuidString).jsonl").path
        let error = #expect(throws: KindredError.self) { _ = try PeopleReader(path: path) }
        #expect(error?.code == .badInput)
        #expect(error?.message == "no such file")
        #expect(error?.file == path)
        #expect(error?.description.contains(path) == true)
    }

    @Test("a folder instead of a file is bad input naming the path")
    func folderInsteadOfFile() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let error = #expect(throws: KindredError.self) { _ = try PeopleReader(path: folder.path) }
        #expect(error?.code == .badInput)
        #expect(error?.file == folder.path)
    }

    @Test("reconciliation: people + quarantined == records read, every non-blank line accounted for once")
    func reconciliation() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let lines = PeopleReaderTests.mixedLines()
        let path = try PeopleReaderTests.mixedFile(in: folder)
        let result = try readAll(path)
        let nonBlank = lines.enumerated().filter { !$0.element.allSatisfy { $0 == 32 } }.map { $0.offset + 1 }
        #expect(result.recordsRead == nonBlank.count)
        #expect(result.people.count + result.quarantined.count == result.recordsRead)
        let seenLines = (result.people.map(\.line) + result.quarantined.map(\.line)).sorted()
        #expect(seenLines == nonBlank)
        #expect(!result.people.isEmpty && !result.quarantined.isEmpty)
        for record in result.quarantined {
            #expect(record.raw == lines[record.line - 1])
            #expect(record.file == path)
        }
        #expect(Set(result.people.map(\.person.id)).count == result.people.count)
    }

    @Test("nextBatch gives the items of next(), in order, at any batch size and thread count", arguments: [(1, 1), (7, 3), (1000, 2)])
    func batches(size: Int, threads: Int) throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let path = try PeopleReaderTests.mixedFile(in: folder)
        let expected = try readAll(path)
        let reader = try PeopleReader(path: path)
        var people: [(Person, Int)] = []
        var quarantined: [QuarantinedRecord] = []
        while true {
            let batch = try reader.nextBatch(size, threads: threads)
            if batch.isEmpty { break }
            #expect(batch.count <= size)
            for item in batch {
                switch item {
                case .person(let person, let line): people.append((person, line))
                case .quarantined(let record): quarantined.append(record)
                }
            }
        }
        #expect(people.map(\.0) == expected.people.map(\.person))
        #expect(people.map(\.1) == expected.people.map(\.line))
        #expect(quarantined == expected.quarantined)
        #expect(reader.recordsRead == expected.recordsRead)
        #expect(quarantined.contains { $0.field == "id" && $0.reason.contains("duplicate") })
    }

    @Test("nextBatchValues gives what the transform makes of next()'s people, in order, at any batch size and thread count",
          arguments: [(1, 1), (7, 3), (1000, 2)])
    func batchValues(size: Int, threads: Int) throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let path = try PeopleReaderTests.mixedFile(in: folder)
        let expected = try readAll(path)
        let reader = try PeopleReader(path: path)
        var values: [String] = []
        var records = 0
        while true {
            let (read, batch) = try reader.nextBatchValues(size, threads: threads) { "\($0.id)|\($0.positions.count)|\($0.skills.joined(separator: ","))" }
            if read == 0 { break }
            #expect(read <= size && batch.count <= read)
            records += read
            values += batch
        }
        #expect(values == expected.people.map { "\($0.person.id)|\($0.person.positions.count)|\($0.person.skills.joined(separator: ","))" })
        #expect(records == expected.recordsRead && reader.recordsRead == expected.recordsRead)
        #expect(expected.quarantined.contains { $0.field == "id" && $0.reason.contains("duplicate") })
    }

    /// `mixedLines()` written as `mixed.jsonl` in `folder`; returns its path.
    static func mixedFile(in folder: TemporaryFolder) throws -> String {
        var bytes: [UInt8] = []
        for line in mixedLines() { bytes += line + [10] }
        return try folder.write(bytes, to: "mixed.jsonl")
    }

    /// 300 lines: good records, blank lines, malformed JSON, invalid UTF-8, repeated ids, bad dates.
    static func mixedLines() -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var rng = SeededGenerator(seed: 7)
        for i in 0..<300 {
            switch rng.next() % 8 {
            case 0: lines.append([])
            case 1: lines.append(Array("   ".utf8))
            case 2: lines.append(Array(#"{"id":"p\#(i)","skills":"#.utf8))
            case 3: lines.append([0xFF, 0xFE, 0x41])
            case 4: lines.append(Array(#"{"id":"p\#(i % 10)"}"#.utf8))  // duplicates
            case 5: lines.append(Array(#"{"id":"p\#(i)","positions":[{"title":"X","start":"20-01"}]}"#.utf8))
            default: lines.append(Array(#"{"id":"q\#(i)","positions":[{"title":"Cook","start":"2019-01"}]}"#.utf8))
            }
        }
        return lines
    }
}
