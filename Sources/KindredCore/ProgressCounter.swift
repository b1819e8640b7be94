import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How far a long stage has got: items done (records, people, vertices), the total when it is known,
/// and the phase within the stage. `RunLog` samples it on its own timer to draw a progress line or
/// write `progress` events; the stage only counts.
///
/// Hot loops never touch it per item: the thread that coordinates a stage sets `done` after each
/// chunk, and parallel workers `add` once per chunk they finish (one relaxed atomic add). Nothing
/// here changes what a stage computes, and it carries counts only, never personal data.
///
/// ```swift
/// let progress = log.track("clean", unit: "records")
/// progress.start(phase: "cleaning", total: 60_000)
/// for chunk in chunks { …; progress.set(done: recordsRead) }
/// log.endTracking(progress)
/// ```
public final class ProgressCounter: Sendable, Equatable {
    /// The stage it counts for (`clean`, `graph`, `cluster`, `project`).
    public let stage: String
    /// What is counted (`records`, `people`, `vertex moves`).
    public let unit: String
    private let doneCount = Atomic<Int>(0)
    private let totalCount = Atomic<Int>(-1)
    private let phaseStart = Atomic<Int>(0)
    private let phaseName = Mutex<String>("")

    /// A counter for `stage`, counting `unit`, started now.
    public init(stage: String, unit: String) {
        self.stage = stage
        self.unit = unit
        phaseStart.store(ProgressCounter.nowNanoseconds(), ordering: .relaxed)
    }

    /// Starts a phase: done back to 0, the total (nil: not known), the clock restarted.
    public func start(phase: String, total: Int? = nil) {
        phaseName.withLock { $0 = phase }
        doneCount.store(0, ordering: .relaxed)
        totalCount.store(total ?? -1, ordering: .relaxed)
        phaseStart.store(ProgressCounter.nowNanoseconds(), ordering: .relaxed)
    }

    /// Adds `count` finished items (from any thread; call once per chunk, not per item).
    @inline(__always)
    public func add(_ count: Int) { doneCount.wrappingAdd(count, ordering: .relaxed) }

    /// Sets the items done so far (from the coordinating thread).
    public func set(done: Int) { doneCount.store(done, ordering: .relaxed) }

    /// Sets or clears the total.
    public func set(total: Int?) { totalCount.store(total ?? -1, ordering: .relaxed) }

    /// Items done in this phase.
    public var done: Int { doneCount.load(ordering: .relaxed) }
    /// The phase's total, when known.
    public var total: Int? {
        let t = totalCount.load(ordering: .relaxed)
        return t >= 0 ? t : nil
    }
    /// The phase's name (empty before the first `start`).
    public var phase: String { phaseName.withLock { $0 } }

    /// Seconds since the phase started.
    public var seconds: Double { Double(ProgressCounter.nowNanoseconds() - phaseStart.load(ordering: .relaxed)) / 1e9 }

    /// Items per second in this phase (0 before anything is done).
    public var rate: Double {
        let s = seconds
        return s > 0 ? Double(done) / s : 0
    }

    /// Seconds left at the current rate, when the total is known and something is done.
    public var secondsLeft: Double? {
        guard let total, done > 0, rate > 0 else { return nil }
        return Double(max(0, total - done)) / rate
    }

    /// Counters are equal when they are the same counter (so options holding one stay `Equatable`).
    public static func == (a: ProgressCounter, b: ProgressCounter) -> Bool { a === b }

    static func nowNanoseconds() -> Int {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int(spec.tv_sec) * 1_000_000_000 + Int(spec.tv_nsec)
    }
}
