import Foundation
import KindredCore
import Testing

@Suite("LineReader")
struct LineReaderTests {
    @Test("reads lines with LF, CRLF and a final line without newline; reports line numbers")
    func plainLines() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let path = try folder.write("a\r\n\nb\nlast", to: "lines.txt")
        let reader = try LineReader(path: path, chunkSize: 1)  // forces buffer growth
        var lines: [String] = []
        var numbers: [Int] = []
        while let line = try reader.nextString() {
            lines.append(line)
            numbers.append(reader.lineNumber)
        }
        #expect(lines == ["a", "", "b", "last"])
        #expect(numbers == [1, 2, 3, 4])
    }

    @Test("invalid UTF-8 is a bad-input error naming file and line")
    func invalidUTF8() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let path = try folder.write(Array("ok\n".utf8) + [0xFF, 0xFE, 10], to: "lines.txt")
        let reader = try LineReader(path: path)
        #expect(try reader.nextString() == "ok")
        let error = #expect(throws: KindredError.self) { _ = try reader.nextString() }
        #expect(error?.code == .badInput)
        #expect(error?.file == path)
        #expect(error?.line == 2)
    }

    @Test("reads a gzip file to the end")
    func gzipToEnd() throws {
        let path = Paths.sharedData.appendingPathComponent("onet_job_zones.tsv.gz").path
        #expect(FileManager.default.fileExists(atPath: path), "missing \(path)")
        let reader = try LineReader(path: path)
        var count = 0
        while try reader.nextLine() != nil { count += 1 }
        #expect(count == 924)
    }

    @Test("closing a gzip reader early returns promptly, even with much output left")
    func earlyCloseOfLargeGzip() throws {
        let path = Paths.sharedData.appendingPathComponent("onet_alternate_titles.tsv.gz").path
        #expect(FileManager.default.fileExists(atPath: path), "missing \(path)")
        let header = try runWithDeadline(seconds: 3) { () throws -> String? in
            let reader = try LineReader(path: path)
            let first = try reader.nextString()
            reader.close()
            return first
        }
        guard let header else {
            Issue.record("LineReader.close() did not return within 3 s: gzip ignores SIGTERM when spawned from a thread that blocks signals")
            return
        }
        #expect(header?.hasPrefix("O*NET-SOC Code") == true)
    }
}
