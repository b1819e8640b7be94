#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes one output file atomically: into a temporary file in the same folder, then fsync and
/// rename over the destination on `commit()`. A crash or an error before `commit()` leaves the
/// previous file untouched and no temporary file behind (it is removed on `abandon()` or deinit).
///
/// The path `-` writes to standard output instead (no atomicity there).
///
/// This file owns Kindred's file-system writes.
public final class AtomicFileWriter {
    /// The destination path.
    public let path: String
    private let temporaryPath: String?
    private var fd: Int32
    private var buffer: [UInt8] = []
    private var finished = false
    private let bufferLimit = 1 << 16

    /// Starts writing `path` (its folder must exist). `mode` is the permission of the final file,
    /// e.g. `0o600` for quarantine files.
    /// - Throws: `KindredError` (`.io`) when the folder is not writable.
    public init(path: String, mode: mode_t = 0o644) throws {
        self.path = path
        buffer.reserveCapacity(bufferLimit + 4096)
        if path == "-" {
            temporaryPath = nil
            fd = 1
            return
        }
        let folder = AtomicFileWriter.folder(of: path)
        let base = path.split(separator: "/").last.map(String.init) ?? path
        AtomicFileWriter.removeStaleTemporaries(folder: folder, base: base)
        var random = SystemRandomNumberGenerator()
        let temp = folder + "/." + base + ".tmp-\(getpid())-\(random.next() % 1_000_000_000)"
        let opened = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        if opened < 0 {
            throw KindredError(.io, "cannot create output: \(String(cString: strerror(errno)))", file: path)
        }
        fchmod(opened, mode)
        temporaryPath = temp
        fd = opened
    }

    deinit { abandon() }

    /// Removes temporary files of `base` left in `folder` by writers that were killed (SIGKILL, the
    /// kernel's OOM killer, a power cut) before they could clean up: `.BASE.tmp-PID-N` whose process
    /// no longer exists. A live writer's file is left alone.
    public static func removeStaleTemporaries(folder: String, base: String) {
        guard let dir = opendir(folder) else { return }
        defer { closedir(dir) }
        let prefix = "." + base + ".tmp-"
        var stale: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard name.hasPrefix(prefix) else { continue }
            let rest = name.dropFirst(prefix.count)
            guard let dash = rest.firstIndex(of: "-"), let pid = pid_t(rest[..<dash]), pid > 0 else { continue }
            if pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH { stale.append(name) }
        }
        for name in stale { unlink(folder + "/" + name) }
    }

    /// The folder part of a path ("." when there is none).
    public static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let folder = String(path[..<slash])
        return folder.isEmpty ? "/" : folder
    }

    /// Appends text.
    public func write(_ text: String) throws {
        var text = text
        text.withUTF8 { buffer.append(contentsOf: $0) }
        if buffer.count >= bufferLimit { try flush() }
    }

    /// Appends bytes.
    public func write(bytes: UnsafeRawBufferPointer) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= bufferLimit { try flush() }
    }

    /// Appends bytes.
    public func write(bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= bufferLimit { try flush() }
    }

    private func flush() throws {
        var offset = 0
        let total = buffer.count
        try buffer.withUnsafeBytes { raw in
            while offset < total {
                let written = Glibc.write(fd, raw.baseAddress! + offset, total - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw KindredError(.io, writeFailure(errno), file: path)
                }
                offset += written
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// A write error in words, with what to do for a full disk or a file-size limit.
    private func writeFailure(_ code: Int32) -> String {
        let text = String(cString: strerror(code))
        let kept = temporaryPath == nil ? "" : "; the previous file is kept"
        switch code {
        case ENOSPC, EDQUOT: return "write failed: \(text): the disk is full; free space or write elsewhere\(kept)"
        case EFBIG: return "write failed: \(text): a file-size limit (ulimit -f) was reached\(kept)"
        default: return "write failed: \(text)\(kept)"
        }
    }

    /// Flushes, fsyncs and renames the temporary file over the destination.
    /// Nothing is published once the job was asked to stop (a signal, `--max-runtime`, the memory
    /// limit): the commit then abandons the file and throws the stop.
    public func commit() throws {
        guard !finished else { return }
        do {
            try StopControl.check()
            try flush()
        } catch {
            abandon()
            throw error
        }
        finished = true
        guard let temporaryPath else { return }
        if fsync(fd) != 0 {
            let message = String(cString: strerror(errno))
            _ = close(fd)
            unlink(temporaryPath)
            throw KindredError(.io, "fsync failed: \(message); the previous file is kept", file: path)
        }
        _ = close(fd)
        if rename(temporaryPath, path) != 0 {
            let message = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw KindredError(.io, "cannot rename into place: \(message)", file: path)
        }
        let dir = open(AtomicFileWriter.folder(of: path), O_RDONLY | O_CLOEXEC)
        if dir >= 0 {
            _ = fsync(dir)
            _ = close(dir)
        }
    }

    /// Drops everything written so far and removes the temporary file.
    public func abandon() {
        guard !finished else { return }
        finished = true
        if let temporaryPath {
            _ = close(fd)
            unlink(temporaryPath)
        }
    }

    /// Writes a whole file atomically in one call.
    public static func write(_ text: String, to path: String, mode: mode_t = 0o644) throws {
        let writer = try AtomicFileWriter(path: path, mode: mode)
        try writer.write(text)
        try writer.commit()
    }

    /// Writes whole bytes atomically in one call.
    public static func write(bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws {
        let writer = try AtomicFileWriter(path: path, mode: mode)
        try writer.write(bytes: bytes)
        try writer.commit()
    }
}

/// Creates a folder and its parents if missing.
/// - Throws: `KindredError` (`.io`) when it cannot.
public func makeFolder(_ path: String) throws {
    var current = path.hasPrefix("/") ? "" : "."
    for part in path.split(separator: "/") {
        current += "/" + part
        if mkdir(current, 0o755) != 0 && errno != EEXIST {
            throw KindredError(.io, "cannot create folder: \(String(cString: strerror(errno)))", file: path)
        }
    }
}

/// Joins a relative path to a folder and folds `.` and `x/..` segments lexically
/// (`datasets` + `../out/demo` → `out/demo`); absolute paths are returned folded.
public func joinPath(_ folder: String, _ path: String) -> String {
    let combined = path.hasPrefix("/") ? path : (folder == "." ? path : folder + "/" + path)
    let absolute = combined.hasPrefix("/")
    var parts: [Substring] = []
    for part in combined.split(separator: "/") {
        if part == "." || part.isEmpty { continue }
        if part == "..", let last = parts.last, last != ".." {
            parts.removeLast()
        } else if part == "..", absolute {
            continue
        } else {
            parts.append(part)
        }
    }
    let joined = parts.joined(separator: "/")
    return absolute ? "/" + joined : (joined.isEmpty ? "." : joined)
}

/// What identifies a file's content cheaply: device, inode, size and modification time. Two equal
/// identities taken at two moments mean the file was not replaced, truncated or rewritten between them.
public struct FileIdentity: Equatable, Sendable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    public var modifiedSeconds: Int
    public var modifiedNanoseconds: Int

    /// The identity of `path` now, or nil when it cannot be stat'ed (gone, or not a file system path).
    public init?(path: String) {
        var status = stat()
        guard path != "-", stat(path, &status) == 0 else { return nil }
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
        size = Int64(status.st_size)
        modifiedSeconds = Int(status.st_mtim.tv_sec)
        modifiedNanoseconds = Int(status.st_mtim.tv_nsec)
    }
}
