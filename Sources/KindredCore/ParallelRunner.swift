import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Runs work items on a fixed number of workers with Dispatch, handing out items dynamically.
///
/// Results must depend only on the item, never on the worker: each item writes its own disjoint part of
/// the output, and `worker` only selects a scratch buffer. So output is identical at any thread count.
public struct ParallelRunner: Sendable {
    /// Number of workers (≥ 1).
    public let workers: Int

    public init(threads: Int?) {
        workers = max(1, threads ?? ParallelRunner.defaultThreads)
    }

    /// The default worker count: the CPUs this process may really use — the smallest of the online
    /// cores, its affinity mask (`sched_getaffinity`) and the container's CPU quota (cgroup v2
    /// `cpu.max`, v1 `cpu.cfs_quota_us`/`cpu.cfs_period_us`), rounded up, at least 1. Read once.
    /// See `CPUQuota`. OpenBLAS is kept at one thread apart from this (`BLAS.useSingleThread`).
    public static var defaultThreads: Int { cachedDefault }

    private static let cachedDefault = CPUQuota.available()

    /// Calls `body(item, worker)` for every item in `0..<items`.
    public func forEach(items: Int, _ body: (_ item: Int, _ worker: Int) -> Void) {
        if items <= 0 { return }
        if workers == 1 || items == 1 {
            for item in 0..<items { body(item, 0) }
            return
        }
        let next = Atomic<Int>(0)
        withoutActuallyEscaping(body) { escapable in
            let task = UncheckedSendable(escapable)
            DispatchQueue.concurrentPerform(iterations: min(workers, items)) { worker in
                while true {
                    let item = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    if item >= items { break }
                    task.value(item, worker)
                }
            }
        }
    }
}

/// Carries a value the caller has checked to be safe to share across the workers of one parallel loop.
public struct UncheckedSendable<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}
