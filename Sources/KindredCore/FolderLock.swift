#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive lock on an output folder: `flock` on `FOLDER/.lock`, opened close-on-exec so child
/// processes do not inherit it. The kernel drops it when the process dies (even on SIGKILL), so a
/// crashed run never leaves a stale lock behind. The lock file holds the owner's pid, for messages.
public final class FolderLock {
    /// The lock file.
    public let path: String
    private var fd: Int32

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit { release() }

    /// Takes the lock, waiting up to `wait` seconds (0: fail at once) and giving up early when
    /// `shouldStop` says so.
    /// - Throws: `KindredError` `.locked` (exit 75) naming the holder's pid when another process
    ///   keeps it; `.io` when the lock file cannot be opened.
    public static func acquire(folder: String, wait: Double = 0, shouldStop: () throws -> Void = {}) throws -> FolderLock {
        let path = joinPath(folder, ".lock")
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw KindredError(.io, "cannot open the lock file: \(String(cString: strerror(errno)))", file: path) }
        var clock = timespec()
        clock_gettime(CLOCK_MONOTONIC, &clock)
        let start = Double(clock.tv_sec) + Double(clock.tv_nsec) / 1e9
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let reason = errno
            guard reason == EWOULDBLOCK || reason == EINTR else {
                close(fd)
                throw KindredError(.io, "cannot lock: \(String(cString: strerror(reason)))", file: path)
            }
            clock_gettime(CLOCK_MONOTONIC, &clock)
            let now = Double(clock.tv_sec) + Double(clock.tv_nsec) / 1e9
            if now - start >= wait {
                let holder = readHolder(fd)
                close(fd)
                let who = holder.map { " (pid \($0))" } ?? ""
                let waited = wait > 0 ? " after waiting \(Int(wait)) s" : ""
                throw KindredError(.locked, "another run holds the lock on this output folder\(who)\(waited); retry later or pass --lock-wait SECONDS", file: folder)
            }
            do { try shouldStop() } catch {
                close(fd)
                throw error
            }
            usleep(100_000)
        }
        // Record the holder's pid for the next one's message.
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return FolderLock(path: path, fd: fd)
    }

    private static func readHolder(_ fd: Int32) -> Int? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 31, 0) }
        guard n > 0 else { return nil }
        return Int(String(decoding: buffer[0..<n].filter { $0 >= 48 && $0 <= 57 }, as: UTF8.self))
    }

    /// Releases the lock (also done on deinit and by the kernel at exit).
    public func release() {
        guard fd >= 0 else { return }
        _ = flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }
}
