import Foundation

/// A value behind a lock (pthread mutex through `NSLock`). Used instead of `Synchronization.Mutex`, whose
/// futex-based lock ThreadSanitizer does not see on Linux: it reported the guarded accesses as races.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()

    init(_ value: Value) { self.value = value }

    /// Runs `body` with the value, holding the lock.
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
