#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Helpers shared by the harnesses: the input as bytes, a scratch folder in memory for parsers that
/// only read files, line splitting, FNV-1a, and invariant checks that crash loudly.
///
/// Harnesses return 0 for every input: an error thrown by Kindred is an expected outcome; only a
/// crash (trap, ASan report, `invariant` failure), a timeout or running out of memory is a finding.
public enum Fuzz {
    /// The fuzz input copied into an array.
    public static func bytes(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] {
        Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// The input's lines split on `\n` (empty lines kept, a trailing `\r` kept: the parsers see it).
    public static func lines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    }

    /// Crashes with `message` when `condition` is false: a harness-level oracle (e.g. "what was read
    /// can be written and read back") whose failure is a finding like a crash inside Kindred.
    public static func invariant(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
        if !condition() { fatalError("fuzz invariant failed: " + message()) }
    }

    /// FNV-1a 64 of `bytes` (the `.kgraph` checksum).
    public static func fnv1a(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}

/// A folder of this process's own, in `/dev/shm` when it exists (no disk traffic per execution),
/// removed when the process exits normally. Harnesses write each input into it under a fixed name.
public final class ScratchFolder: Sendable {
    /// The process's folder, created on first use.
    public static let shared = ScratchFolder()

    public let path: String

    private init() {
        var base = "/tmp"
        var status = stat()
        if stat("/dev/shm", &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR && access("/dev/shm", W_OK) == 0 {
            base = "/dev/shm"
        }
        // Folders left by processes that crashed (no atexit) are removed first.
        if let dir = opendir(base) {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
                guard name.hasPrefix("kindred-fuzz-"), let pid = Int32(name.dropFirst("kindred-fuzz-".count)) else { continue }
                if kill(pid, 0) != 0 && errno == ESRCH { removeTree(base + "/" + name) }
            }
            closedir(dir)
        }
        path = base + "/kindred-fuzz-\(getpid())"
        _ = mkdir(path, 0o700)
        atexit { removeTree(ScratchFolder.shared.path) }
    }

    /// The path of `name` inside the folder.
    public func file(_ name: String) -> String { path + "/" + name }

    /// Writes `bytes` to `name` (replacing it) and returns its path.
    @discardableResult
    public func write<Bytes: Collection<UInt8>>(_ bytes: Bytes, to name: String) -> String {
        let target = file(name)
        Self.write(bytes, toPath: target)
        return target
    }

    /// Writes `bytes` to an absolute path (replacing it); crashes when the file cannot be written,
    /// since a harness that cannot write its input tests nothing.
    public static func write<Bytes: Collection<UInt8>>(_ bytes: Bytes, toPath target: String) {
        let fd = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { fatalError("fuzz harness: cannot write \(target): \(String(cString: strerror(errno)))") }
        defer { _ = close(fd) }
        let array = Array(bytes)
        array.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    fatalError("fuzz harness: cannot write \(target): \(String(cString: strerror(errno)))")
                }
                done += n
            }
        }
    }

    /// The whole content of a file, or nil when it cannot be read.
    public static func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { _ = close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
        }
    }
}

/// Removes a folder and everything in it (best effort; no symlinks are followed).
public func removeTree(_ path: String) {
    if let dir = opendir(path) {
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name == "." || name == ".." { continue }
            let child = path + "/" + name
            var status = stat()
            if lstat(child, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR {
                removeTree(child)
            } else {
                _ = unlink(child)
            }
        }
        closedir(dir)
    }
    _ = rmdir(path)
}
