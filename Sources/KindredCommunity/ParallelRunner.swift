import Dispatch
import KindredCore
import Synchronization

/// Runs work items on a fixed number of workers with Dispatch, handing out items dynamically.
///
/// Results must depend only on the item, never on the worker: each item writes its own disjoint part of
/// the output, and `worker` only selects a scratch buffer. So output is identical at any thread count.
struct ParallelRunner: Sendable {
    /// Number of workers (≥ 1).
    let workers: Int

    init(threads: Int?) {
        workers = max(1, threads ?? ParallelRunner.defaultThreads)
    }

    /// The number of cores Dispatch would use.
    static var defaultThreads: Int {
        #if canImport(Glibc)
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
        return 1
        #endif
    }

    /// Calls `body(item, worker)` for every item in `0..<items`.
    func forEach(items: Int, _ body: (_ item: Int, _ worker: Int) -> Void) {
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
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

#if canImport(Glibc)
import Glibc
#endif

/// Per-worker scratch for the kernels: a dense weight-per-key array (−1 = untouched) and a touched-key
/// list (all `UInt32.max` at first, so it can also serve as a per-key stamp array), each of `size`
/// elements, allocated once per phase and freed with the object.
final class WorkerScratch: @unchecked Sendable {
    let weightTo: [SharedMutableBuffer<Double>]
    let touched: [SharedMutableBuffer<UInt32>]

    init(workers: Int, size: Int) {
        let count = max(size, 1)
        weightTo = (0..<workers).map { _ in
            let buffer = UnsafeMutableBufferPointer<Double>.allocate(capacity: count)
            buffer.initialize(repeating: -1)
            return SharedMutableBuffer(buffer)
        }
        touched = (0..<workers).map { _ in
            let buffer = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: count)
            buffer.initialize(repeating: UInt32.max)
            return SharedMutableBuffer(buffer)
        }
    }

    deinit {
        for buffer in weightTo { buffer.base.deallocate() }
        for buffer in touched { buffer.base.deallocate() }
    }
}
