#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Reads a text file line by line in bounded memory: plain files, gzip files (`.gz`, through the
/// system's `gzip -dc`), or standard input (`-`).
///
/// Lines are handed out as bytes so the caller can check UTF-8 and report the exact line number.
/// A final line without a newline is still a line; `\r\n` endings are accepted; a UTF-8 byte-order
/// mark at the start (Excel's "CSV UTF-8") is skipped. A line longer than
/// `maximumLineLength` is not held in memory: it is skipped to its end and reported (`nextLine()`
/// throws `.badInput` naming the file and line, `lastLineWasTooLong` is set) and reading can go on.
public final class LineReader {
    /// The longest line read by default: 16 MiB (a person with 100,000 skills is about 2 MB).
    public static let defaultMaximumLineLength = 16 << 20
    /// Lines longer than this many bytes are skipped and reported.
    public var maximumLineLength = LineReader.defaultMaximumLineLength
    /// True when the last `nextLine()` threw because the line was too long (the reader is then past it).
    public private(set) var lastLineWasTooLong = false
    /// The path as given (used in error messages).
    public let path: String
    /// 1-based number of the line most recently returned by `nextLine()`.
    public private(set) var lineNumber = 0

    private let fd: Int32
    private let ownsDescriptor: Bool
    private var process: Process?
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var atEOF = false
    private var closed = false
    private var checkedByteOrderMark = false

    /// Opens `path` for reading; `-` means standard input, a `.gz` suffix means gzip.
    /// - Throws: `KindredError` (`.io`) naming the file when it does not exist or cannot be read.
    public init(path: String, chunkSize: Int = 1 << 20) throws {
        self.path = path
        buffer = [UInt8](repeating: 0, count: max(chunkSize, 4096))
        if path == "-" {
            fd = 0
            ownsDescriptor = false
            return
        }
        try InputFile.checkExists(path)
        if path.hasSuffix(".gz") {
            let pipe = Pipe()
            let gzip = Process()
            gzip.executableURL = URL(fileURLWithPath: "/bin/sh")
            gzip.arguments = ["-c", "exec gzip -dc -- \"$0\"", path]
            gzip.standardOutput = pipe
            gzip.standardError = FileHandle.nullDevice
            do { try gzip.run() } catch {
                throw KindredError(.io, "cannot start gzip to decompress: \(error)", file: path)
            }
            process = gzip
            fd = dup(pipe.fileHandleForReading.fileDescriptor)
            // Keep only our duplicate open, so closing it early really closes the pipe for gzip.
            try? pipe.fileHandleForReading.close()
            ownsDescriptor = true
            return
        }
        let opened = open(path, O_RDONLY | O_CLOEXEC)
        if opened < 0 {
            throw KindredError(.io, "cannot open: \(String(cString: strerror(errno)))", file: path)
        }
        fd = opened
        ownsDescriptor = true
    }

    deinit { close() }

    /// Closes the file early; further reads return nil.
    public func close() {
        guard !closed else { return }
        closed = true
        if ownsDescriptor { _ = Glibc.close(fd) }
        if let process {
            // SIGKILL: gzip may have inherited a blocked SIGTERM from a worker thread's signal mask.
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }

    private func fill() throws {
        if start > 0 {
            let remaining = end - start
            if remaining > 0 {
                buffer.withUnsafeMutableBufferPointer { raw in
                    let base = raw.baseAddress!
                    memmove(base, base + start, remaining)
                }
            }
            end = remaining
            start = 0
        }
        if end == buffer.count {
            // Doubled by copying into a zeroed array (appending a repeated element is slow, element by element).
            var bigger = [UInt8](repeating: 0, count: buffer.count * 2)
            bigger.withUnsafeMutableBytes { to in buffer.withUnsafeBytes { from in to.copyMemory(from: from) } }
            buffer = bigger
        }
        let capacity = buffer.count - end
        let count = buffer.withUnsafeMutableBufferPointer { raw -> Int in
            var got: Int
            repeat {
                got = read(fd, raw.baseAddress! + end, capacity)
            } while got < 0 && errno == EINTR
            return got
        }
        if count < 0 {
            throw KindredError(.io, "read failed: \(String(cString: strerror(errno)))", file: path, line: lineNumber + 1)
        }
        if count == 0 {
            atEOF = true
            if let process {
                process.waitUntilExit()
                if process.terminationStatus != 0 {
                    throw KindredError(.io, "gzip could not decompress the file (corrupt or truncated)", file: path)
                }
            }
        }
        end += count
    }

    /// The next line's bytes without its line ending, or nil at the end of the input.
    /// - Throws: `.io` when reading fails; `.badInput` (file, line) when the line is longer than
    ///   `maximumLineLength`, after skipping it, so the caller may record it and read on.
    public func nextLine() throws -> ArraySlice<UInt8>? {
        lastLineWasTooLong = false
        if closed { return nil }
        if !checkedByteOrderMark { try skipByteOrderMark() }
        var scanFrom = start
        while true {
            if let newline = newline(from: scanFrom) {
                var lineEnd = newline
                if lineEnd > start && buffer[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
                let line = buffer[start..<lineEnd]
                start = newline + 1
                lineNumber += 1
                if line.count > maximumLineLength { try skipTooLong(length: line.count, reachedEnd: true) }
                return line
            }
            if atEOF {
                if start < end {
                    var lineEnd = end
                    if buffer[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
                    let line = buffer[start..<lineEnd]
                    start = end
                    lineNumber += 1
                    if line.count > maximumLineLength { try skipTooLong(length: line.count, reachedEnd: true) }
                    return line
                }
                return nil
            }
            let scanned = end - start
            if scanned > maximumLineLength {
                lineNumber += 1
                try skipTooLong(length: scanned, reachedEnd: false)
            }
            try fill()
            scanFrom = start + scanned
        }
    }

    /// Skips a UTF-8 byte-order mark (EF BB BF) at the very start of the input.
    private func skipByteOrderMark() throws {
        checkedByteOrderMark = true
        while end - start < 3 && !atEOF { try fill() }
        if end - start >= 3 && buffer[start] == 0xEF && buffer[start + 1] == 0xBB && buffer[start + 2] == 0xBF { start += 3 }
    }

    /// Up to `count` bytes from the current position, without consuming them (fewer at the end of the
    /// input). Used to tell formats apart by their first bytes.
    public func peek(_ count: Int) throws -> ArraySlice<UInt8> {
        if closed { return [] }
        if !checkedByteOrderMark { try skipByteOrderMark() }
        while end - start < count && !atEOF { try fill() }
        return buffer[start..<min(end, start + count)]
    }

    /// The next bytes of the input as they come, without splitting into lines (empty slice never; nil at
    /// the end). For readers that find their own record boundaries (a JSON array); they count lines
    /// themselves, and `lineNumber` does not move. The slice is valid until the next read.
    public func nextChunk() throws -> ArraySlice<UInt8>? {
        if closed { return nil }
        if !checkedByteOrderMark { try skipByteOrderMark() }
        if start == end {
            if atEOF { return nil }
            try fill()
            if start == end { return nil }
        }
        let chunk = buffer[start..<end]
        start = end
        return chunk
    }

    /// The index of the next newline in `from..<end` (memchr: also fast in debug builds).
    private func newline(from: Int) -> Int? {
        guard from < end else { return nil }
        return buffer.withUnsafeBufferPointer { raw -> Int? in
            guard let found = memchr(raw.baseAddress! + from, 10, end - from) else { return nil }
            return raw.baseAddress!.distance(to: found.assumingMemoryBound(to: UInt8.self))
        }
    }

    /// Drops the current over-long line (reading on to its newline when `reachedEnd` is false) and throws.
    private func skipTooLong(length: Int, reachedEnd: Bool) throws -> Never {
        var total = length
        if !reachedEnd {
            start = end
            skipping: while true {
                if let newline = newline(from: start) {
                    total += newline - start
                    start = newline + 1
                    break skipping
                }
                total += end - start
                start = end
                if atEOF { break skipping }
                try fill()
            }
        }
        lastLineWasTooLong = true
        throw KindredError.badInput(
            "line is longer than the limit of \(LineReader.describe(maximumLineLength)) (\(total) bytes); it was skipped, not read",
            file: path, line: lineNumber)
    }

    private static func describe(_ bytes: Int) -> String {
        bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes) bytes"
    }

    /// The next line decoded as UTF-8.
    /// - Throws: `KindredError` (`.badInput`) naming the file and line when the bytes are not valid UTF-8.
    public func nextString() throws -> String? {
        guard let bytes = try nextLine() else { return nil }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw KindredError.badInput("invalid UTF-8", file: path, line: lineNumber)
        }
        return text
    }
}
