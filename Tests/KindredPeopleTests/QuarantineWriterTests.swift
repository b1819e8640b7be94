import Foundation
import KindredCore
import KindredTestSupport
import Testing
@testable import KindredPeople

@Suite("QuarantineWriter")
struct QuarantineWriterTests {
    @Test("writes owner-only (0600) JSON lines with file, line, field, reason and the record")
    func writesPrivateJSONLines() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let path = folder.file("quarantine.jsonl")
        let writer = try QuarantineWriter(path: path)
        let records = [
            QuarantinedRecord(file: "in.jsonl", line: 3, field: "id", reason: "missing id", raw: Array(#"{"name":"Ann \"A\""}"#.utf8)),
            QuarantinedRecord(file: "in.jsonl", line: 9, field: nil, reason: "invalid UTF-8", raw: [0xFF, 0xFE]),
        ]
        for record in records { try writer.append(record) }
        #expect(writer.count == 2)
        // Nothing is visible under the final name before commit.
        #expect(!FileManager.default.fileExists(atPath: path))
        try writer.commit()

        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let mode = try #require(attributes[.posixPermissions] as? NSNumber)
        #expect(mode.intValue == 0o600)

        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        try #require(lines.count == 2)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["file"] as? String == "in.jsonl")
        #expect((first["line"] as? NSNumber)?.intValue == 3)
        #expect(first["field"] as? String == "id")
        #expect(first["reason"] as? String == "missing id")
        #expect(first["record"] as? String == #"{"name":"Ann \"A\""}"#)

        let second = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        #expect((second["line"] as? NSNumber)?.intValue == 9)
        #expect(second["field"] is NSNull)
        #expect(second["reason"] as? String == "invalid UTF-8")
        #expect(second["record"] == nil)
        #expect(second["record_base64"] as? String == Data([0xFF, 0xFE]).base64EncodedString())

        // No temporary file is left beside the output.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["quarantine.jsonl"])
    }

    @Test("writing into a folder that does not exist is an I/O error naming the path")
    func unwritableFolder() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kindred-no-such-\(UUID().uuidString)/q.jsonl").path
        let error = #expect(throws: KindredError.self) { _ = try QuarantineWriter(path: path) }
        #expect(error?.code == .io)
        #expect(error?.file == path)
    }
}
