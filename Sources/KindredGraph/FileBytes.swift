#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KindredCore

/// Whole-file and file-prefix reads for the graph formats. This file owns KindredGraph's raw file
/// reads (writes go through `AtomicFileWriter`, line reads through `LineReader`).
enum FileBytes {
    /// Reads the whole file.
    /// - Throws: `KindredError` (`.io`) naming the file when it cannot be opened or read.
    static func readAll(path: String) throws -> [UInt8] {
        let fd = try openForReading(path)
        defer { _ = close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw ioError("cannot stat", path: path) }
        let expected = Int(status.st_size)
        var bytes = [UInt8](repeating: 0, count: max(expected, 0))
        let got = try readFully(fd, into: &bytes, path: path)
        if got < bytes.count { bytes.removeSubrange(got...) }
        // The file may have grown since fstat: read the rest.
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let more = try readFully(fd, into: &chunk, path: path)
            if more == 0 { break }
            bytes.append(contentsOf: chunk[0..<more])
            if more < chunk.count { break }
        }
        return bytes
    }

    /// Reads at most `count` bytes from the start of the file.
    /// - Throws: `KindredError` (`.io`) naming the file when it cannot be opened or read.
    static func readPrefix(path: String, count: Int) throws -> [UInt8] {
        let fd = try openForReading(path)
        defer { _ = close(fd) }
        var bytes = [UInt8](repeating: 0, count: count)
        let got = try readFully(fd, into: &bytes, path: path)
        return Array(bytes[0..<got])
    }

    private static func openForReading(_ path: String) throws -> Int32 {
        try InputFile.checkExists(path)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw ioError("cannot open", path: path) }
        return fd
    }

    /// Reads until `buffer` is full or the end of the file; returns the byte count read.
    private static func readFully(_ fd: Int32, into buffer: inout [UInt8], path: String) throws -> Int {
        let capacity = buffer.count
        var filled = 0
        let failed: Bool = buffer.withUnsafeMutableBytes { raw in
            while filled < capacity {
                let got = read(fd, raw.baseAddress! + filled, capacity - filled)
                if got < 0 {
                    if errno == EINTR { continue }
                    return true
                }
                if got == 0 { break }
                filled += got
            }
            return false
        }
        if failed { throw ioError("read failed", path: path) }
        return filled
    }

    private static func ioError(_ what: String, path: String) -> KindredError {
        KindredError(.io, "\(what): \(String(cString: strerror(errno)))", file: path)
    }
}
