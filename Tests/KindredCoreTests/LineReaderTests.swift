import Foundation
import KindredCore
import KindredTestSupport
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

    @Test("reads a gzip file to the end", Paths.sharedDataNeeded)
    func gzipToEnd() throws {
        let path = Paths.sharedData.appendingPathComponent("onet_job_zones.tsv.gz").path
        #expect(FileManager.default.fileExists(atPath: path), "missing \(path)")
        let reader = try LineReader(path: path)
        var count = 0
        while try reader.nextLine() != nil { count += 1 }
        #expect(count == 924)
    }

    @Test("closing a gzip reader early returns promptly, even with much output left", Paths.sharedDataNeeded)
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

    @Test("reads a gzip file made here to the end, every line in order")
    func generatedGzipToEnd() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let lines = (1...5_000).map { "line \($0)\tvalue é \($0 * 7)" }
        let plain = try folder.write(lines.joined(separator: "\n") + "\n", to: "lines.tsv")
        let path = folder.file("lines.tsv.gz")
        try shell("gzip -c -- \"$0\" > \"$1\"", plain, path)
        let reader = try LineReader(path: path)
        var read: [String] = []
        while let line = try reader.nextString() { read.append(line) }
        #expect(read == lines)
    }

    @Test("closing a reader of a large gzip file made here returns promptly, with much output left")
    func generatedGzipEarlyClose() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        // About 100 MB once decompressed: gzip is still writing when the reader closes.
        let path = folder.file("large.tsv.gz")
        try shell("{ echo 'header line'; yes 'a fairly long line of text that compresses well, again and again'; } | head -n 1500000 | gzip -1 -c > \"$0\"", path)
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
        #expect(header == "header line")
    }
}

/// Runs a /bin/sh command with arguments $0, $1, …; a non-zero status is an error.
private func shell(_ command: String, _ arguments: String...) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command] + arguments
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw KindredError(.io, "sh -c \(command) failed with status \(process.terminationStatus)")
    }
}

@Suite("LineReader line limit")
struct LineReaderLimitTests {
    @Test("a line over the limit is skipped and reported with its number, at any chunk size; reading goes on")
    func tooLong() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let long = String(repeating: "x", count: 5_000)
        let path = try folder.write("a\n\(long)\nb\n\(long)x\r\nc\n\(long)", to: "lines.txt")
        for chunk in [1, 100, 4096, 1 << 16] {
            let reader = try LineReader(path: path, chunkSize: chunk)
            reader.maximumLineLength = 4_999
            var seen: [String] = []
            var skipped: [Int] = []
            while true {
                do {
                    guard let line = try reader.nextString() else { break }
                    seen.append(line)
                    #expect(!reader.lastLineWasTooLong)
                } catch let error as KindredError {
                    #expect(reader.lastLineWasTooLong && error.code == .badInput && error.file == path)
                    #expect(error.message.contains("longer than the limit"))
                    skipped.append(error.line ?? -1)
                }
            }
            #expect(seen == ["a", "b", "c"], "chunk \(chunk)")
            #expect(skipped == [2, 4, 6], "chunk \(chunk)")
        }
    }

    @Test("a line exactly at the limit is read")
    func atLimit() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let path = try folder.write(String(repeating: "y", count: 300) + "\nz\n", to: "lines.txt")
        let reader = try LineReader(path: path, chunkSize: 64)
        reader.maximumLineLength = 300
        #expect(try reader.nextString()?.count == 300)
        #expect(try reader.nextString() == "z")
        #expect(try reader.nextString() == nil)
    }
}

@Suite("MemoryBudget")
struct MemoryBudgetTests {
    @Test("sizes: bytes, binary units, shares of memory; too small or malformed is nil")
    func parse() {
        #expect(MemoryBudget.parseSize("512M") == 512 << 20)
        #expect(MemoryBudget.parseSize("8G") == 8 << 30)
        #expect(MemoryBudget.parseSize("8GiB") == 8 << 30)
        #expect(MemoryBudget.parseSize("1.5g") == 3 << 29)
        #expect(MemoryBudget.parseSize("1073741824") == 1 << 30)
        #expect(MemoryBudget.parseSize("50%") == Int(Double(MemoryBudget.availableMemory()) * 0.5))
        for bad in ["", "10k", "63M", "0", "-1G", "lots", "150%", "0%", "1e30"] { #expect(MemoryBudget.parseSize(bad) == nil, "\(bad)") }
    }

    @Test("require refuses a step that would pass the limit, naming the step, the limit and the advice")
    func require() throws {
        let saved = MemoryBudget.limitBytes
        defer { MemoryBudget.setLimit(saved) }
        MemoryBudget.setLimit(MemoryBudget.residentBytes() + (64 << 20))
        try MemoryBudget.require(1 << 20, for: "a small step")
        let error = #expect(throws: KindredError.self) { try MemoryBudget.require(1 << 30, for: "a big step", advice: "use a smaller sample") }
        #expect(error?.code == .resourceLimit && error?.exitStatus == 4)
        #expect(error?.message.contains("a big step") == true && error?.message.contains("use a smaller sample") == true)
        #expect(error?.message.contains("--max-memory") == true)
        MemoryBudget.setLimit(0)
        try MemoryBudget.require(1 << 40, for: "anything without a limit")
    }

    @Test("the default limit is 80% of the machine's (or container's) memory")
    func defaultLimit() {
        let available = MemoryBudget.availableMemory()
        #expect(available > 64 << 20)
        #expect(MemoryBudget.defaultLimit() == available / 10 * 8)
    }
}
