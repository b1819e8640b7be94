import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The memory a command may use (`--max-memory`, `KINDRED_MAX_MEMORY`; by default 80% of the
/// machine's or the container's memory, whichever is smaller), enforced two ways so that a job that
/// would not fit stops early with advice instead of being killed by the kernel:
///
/// - before a large allocation, a stage states what it will need (`require`), and is refused when the
///   resident set plus that estimate would pass the limit;
/// - a watchdog samples the resident set every 100 ms: past the limit it asks the job to stop at its
///   next checkpoint (`StopControl.check()` throws `.resourceLimit`); past 110% of the limit, when no
///   checkpoint came in time, it prints the advice and exits with status 4 at once (the next run
///   removes what was left half-written).
public enum MemoryBudget {
    private static let limit = Atomic<Int>(0)
    private static let peakSeen = Atomic<Int>(0)
    private static let advice = Mutex<String>("raise --max-memory, or give the job less data at a time")
    private static let watching = Atomic<Bool>(false)
    nonisolated(unsafe) private static var timer: DispatchSourceTimer?

    /// The limit in bytes (0: none set).
    public static var limitBytes: Int { limit.load(ordering: .acquiring) }

    /// Sets the limit in bytes (0 removes it).
    public static func setLimit(_ bytes: Int) { limit.store(max(0, bytes), ordering: .releasing) }

    /// What to tell the user when the limit is reached, for the stage now running.
    public static func setAdvice(_ text: String) { advice.withLock { $0 = text } }

    /// The current advice text.
    public static var currentAdvice: String { advice.withLock { $0 } }

    /// Hands the heap memory freed so far back to the system (glibc otherwise keeps freed pages, and
    /// worker threads allocate from arenas of their own), so that a stage after a large release does
    /// not stack its peak on the memory the release freed.
    public static func returnFreedMemory() {
        #if canImport(Glibc)
        // glibc's `malloc_trim`, looked up at run time (Swift's Glibc module does not import malloc.h).
        typealias Trim = @convention(c) (Int) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") {
            _ = unsafeBitCast(symbol, to: Trim.self)(0)
        }
        #endif
    }

    /// The machine's memory (`MemTotal`) or the cgroup's limit, whichever is smaller, in bytes.
    public static func availableMemory() -> Int {
        var total = Int(sysconf(Int32(_SC_PHYS_PAGES))) * Int(sysconf(Int32(_SC_PAGESIZE)))
        for path in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
            if let text = readSmallFile(path), let value = Int(text.trimmingSpaces()), value > 0 {
                total = min(total, value)
            }
        }
        return total
    }

    /// The default limit: 80% of `availableMemory()`.
    public static func defaultLimit() -> Int { availableMemory() / 10 * 8 }

    /// Parses a size: bytes (`1073741824`), with a binary unit `K`, `M`, `G`, `T` (`512M`, `1.5G`,
    /// `8GiB`, `8GB`: all powers of 1024), or a share of `availableMemory()` (`50%`). Nil when malformed
    /// or below `minimum` bytes (default 64 MiB: too small for any job).
    public static func parseSize(_ text: String, minimum: Int = 64 << 20) -> Int? {
        var t = text.trimmingSpaces().uppercased()
        if t.hasSuffix("%") {
            guard let share = Double(t.dropLast()), share.isFinite, share > 0, share <= 100 else { return nil }
            let bytes = Int(Double(availableMemory()) * share / 100)
            return bytes >= minimum ? bytes : nil
        }
        for suffix in ["IB", "B"] where t.hasSuffix(suffix) {
            t.removeLast(suffix.count)
            break
        }
        let units: [Character: Double] = ["K": 1024, "M": 1024 * 1024, "G": 1024 * 1024 * 1024, "T": 1024 * 1024 * 1024 * 1024]
        var scale = 1.0
        if let last = t.last, let unit = units[last] {
            scale = unit
            t.removeLast()
        }
        guard let value = Double(t), value.isFinite, value > 0, value * scale < 9.0e18 else { return nil }
        let bytes = Int(value * scale)
        return bytes >= minimum ? bytes : nil
    }

    /// A size for people: `1.5 GiB`, `800 MiB`.
    public static func describe(_ bytes: Int) -> String {
        let mib = Double(bytes) / 1_048_576
        if mib >= 1024 {
            let tenths = Int((mib / 1024 * 10).rounded())
            return "\(tenths / 10).\(tenths % 10) GiB"
        }
        return "\(Int(mib.rounded())) MiB"
    }

    /// The process's resident set now, in bytes (0 where it cannot be read).
    public static func residentBytes() -> Int {
        guard let text = readSmallFile("/proc/self/statm") else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// The largest resident set the watchdog saw.
    public static var peakResidentBytes: Int { peakSeen.load(ordering: .acquiring) }

    /// Refuses a step that needs about `bytes` more memory when the resident set plus that would pass
    /// the limit. `what` names the step ("the k-NN graph of 2,000,000 people"); `advice` (default: the
    /// stage's advice) says what to change.
    /// - Throws: `KindredError` `.resourceLimit`.
    public static func require(_ bytes: Int, for what: String, advice: String? = nil) throws {
        let cap = limitBytes
        guard cap > 0 else { return }
        let resident = residentBytes()
        if resident + bytes > cap {
            throw KindredError(
                .resourceLimit,
                "\(what) needs about \(describe(bytes)) more (\(describe(resident)) in use), over the memory limit of \(describe(cap)) (--max-memory): \(advice ?? currentAdvice)"
            )
        }
    }

    /// The error a checkpoint throws once the watchdog saw the limit passed.
    static func overLimitError() -> KindredError {
        KindredError(
            .resourceLimit,
            "memory use reached \(describe(peakResidentBytes)), over the limit of \(describe(limitBytes)) (--max-memory); stopped early, the previous outputs are kept: \(currentAdvice)"
        )
    }

    /// Starts the watchdog (once per process; does nothing without a limit).
    public static func startWatchdog(interval: Double = 0.1) {
        guard limitBytes > 0, watching.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        let source = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "kindred.memory", qos: .utility))
        source.schedule(deadline: .now() + interval, repeating: interval)
        source.setEventHandler {
            let cap = limitBytes
            let resident = residentBytes()
            if resident > peakSeen.load(ordering: .relaxed) { peakSeen.store(resident, ordering: .relaxed) }
            guard cap > 0, resident > cap else { return }
            StopControl.requestStop(.memoryLimit)
            if resident > cap / 10 * 11 {
                let text = Array(
                    "kindred: error: memory use reached \(describe(resident)), past the limit of \(describe(cap)) (--max-memory) before the job could stop cleanly; exiting now, the previous outputs are kept: \(currentAdvice)\n"
                        .utf8)
                _ = text.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
                _exit(KindredError.Code.resourceLimit.exitStatus)
            }
        }
        source.resume()
        timer = source
    }

    /// The first 255 bytes of a small kernel file (`/proc`, `/sys`), or nil when it cannot be read.
    static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 256)
        let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, 255) }
        guard count > 0 else { return nil }
        return String(decoding: bytes[0..<count], as: UTF8.self)
    }
}
