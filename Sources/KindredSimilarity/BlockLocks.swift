import KindredCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One pthread mutex per row block (the only locks in Kindred's kernels).
final class BlockLocks: @unchecked Sendable {
    private let mutexes: UnsafeMutablePointer<pthread_mutex_t>
    private let count: Int

    init(count: Int) {
        self.count = count
        mutexes = .allocate(capacity: max(1, count))
        for i in 0..<count { pthread_mutex_init(mutexes + i, nil) }
    }

    deinit {
        for i in 0..<count { pthread_mutex_destroy(mutexes + i) }
        mutexes.deallocate()
    }

    @inline(__always)
    func withLock(_ index: Int, _ body: () -> Void) {
        pthread_mutex_lock(mutexes + index)
        body()
        pthread_mutex_unlock(mutexes + index)
    }
}
