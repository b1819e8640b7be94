import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Cooperative stopping for long jobs: SIGTERM/SIGINT and a maximum run time set a flag that the
/// stages check between chunks (`StopControl.check()`), so a stopped run cleans up its temporary
/// files and leaves the previous outputs as they were.
public enum StopControl {
    /// 0 running, 1 signal, 2 deadline passed, 3 memory limit passed.
    private static let state = Atomic<Int>(0)

    /// Why a job is asked to stop without a signal.
    public enum Reason: Int, Sendable {
        /// The watchdog saw the resident set pass `--max-memory`.
        case memoryLimit = 3
    }

    /// Asks the job to stop at its next checkpoint (a signal already received wins).
    public static func requestStop(_ reason: Reason) {
        _ = state.compareExchange(expected: 0, desired: reason.rawValue, ordering: .acquiringAndReleasing)
    }
    /// Monotonic deadline in nanoseconds (0: none).
    private static let deadline = Atomic<UInt64>(0)
    private static let installed = Atomic<Bool>(false)
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// Turns SIGTERM and SIGINT into a stop request (once per process); a second one exits at once.
    /// SIGXFSZ (a file-size limit such as `ulimit -f`) is ignored so that the write fails with a
    /// clear error instead of killing the process.
    public static func installSignalHandlers() {
        guard installed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        signal(SIGXFSZ, SIG_IGN)
        let queue = DispatchQueue(label: "kindred.signals")
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler {
                // A second signal does not wait for the current stage: nothing is published before
                // the run's last step, and the next run removes the staging folder.
                if StopControl.state.exchange(1, ordering: .acquiringAndReleasing) == 1 {
                    let text = Array("kindred: second signal: stopping at once; the previous outputs are kept\n".utf8)
                    _ = text.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
                    _exit(1)
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    /// The longest maximum run time accepted: 365 days.
    public static let longestRuntime: Double = 365 * 86400

    /// Stops the job once `seconds` (at most `longestRuntime`) have passed from now.
    public static func setMaximumRuntime(_ seconds: Double) {
        let now = DispatchTime.now().uptimeNanoseconds
        let clamped = min(max(0, seconds), longestRuntime)
        deadline.store(now + UInt64(clamped * 1e9), ordering: .releasing)
    }

    /// True once the job was asked to stop (a signal, the memory limit, or the maximum run time passed):
    /// long algorithms poll it between levels or chunks and return early; their caller's next `check()`
    /// (at the latest when an output is committed) throws, so a partial result is never written.
    public static var isStopRequested: Bool {
        if state.load(ordering: .relaxed) != 0 { return true }
        let limit = deadline.load(ordering: .relaxed)
        return limit != 0 && DispatchTime.now().uptimeNanoseconds >= limit
    }

    /// Test hook: with `KINDRED_TEST_PAUSE_AT_CHECK=N` in the environment, the Nth `check()` of the
    /// process says so on stderr (`kindred: paused at checkpoint N`) and waits there until a stop is
    /// requested, so a test can signal a job at a known point instead of after a guessed delay.
    private static let pauseAtCheck: Int = getenv("KINDRED_TEST_PAUSE_AT_CHECK").flatMap { Int(String(cString: $0)) } ?? 0
    private static let checks = Atomic<Int>(0)

    private static func pauseIfAsked() {
        let n = checks.add(1, ordering: .relaxed).newValue
        guard n == pauseAtCheck else { return }
        let text = Array("kindred: paused at checkpoint \(n) (KINDRED_TEST_PAUSE_AT_CHECK) until a signal\n".utf8)
        _ = text.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        while !isStopRequested { usleep(1_000) }
    }

    /// - Throws: `KindredError` `.stopped` when a signal asked to stop or the maximum run time passed.
    public static func check() throws {
        if pauseAtCheck > 0 { pauseIfAsked() }
        switch state.load(ordering: .acquiring) {
        case 1: throw KindredError(.stopped, "stopped by a signal (SIGTERM or SIGINT); the previous outputs are kept")
        case 2: throw KindredError(.stopped, "stopped: the maximum run time (--max-runtime) passed; the previous outputs are kept")
        case 3: throw MemoryBudget.overLimitError()
        default: break
        }
        let limit = deadline.load(ordering: .acquiring)
        if limit != 0 && DispatchTime.now().uptimeNanoseconds >= limit {
            state.store(2, ordering: .releasing)
            try check()
        }
    }

    /// Parses a duration: seconds (`90`), or with a unit `s`, `m`, `h`, `d` (`45m`, `2h`, `1.5h`).
    public static func parseDuration(_ text: String) -> Double? {
        let t = text.trimmingSpaces().lowercased()
        guard let last = t.last else { return nil }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        let (number, scale) = units[last].map { (String(t.dropLast()), $0) } ?? (t, 1)
        guard let value = Double(number), value.isFinite, value > 0, value * scale <= longestRuntime else { return nil }
        return value * scale
    }
}
