import Foundation

/// The writer thread of a chunked job (`CleaningJob`, `ProjectionJob`): each chunk's writing runs on it,
/// in order, while the job works on the next chunk. A chunk is handed over only once the one before is
/// written, and the first error writing met is rethrown then, or by `finish`.
final class ChunkWriter: @unchecked Sendable {
    private let queue: DispatchQueue
    private let group = DispatchGroup()
    /// The first error a chunk's writing met: set on the writer thread, read once it is idle.
    private var error: (any Error)?

    init(label: String) { queue = DispatchQueue(label: label) }

    /// Waits for the chunk being written; rethrows what writing it met.
    func finish() throws {
        group.wait()
        if let error { throw error }
    }

    /// Runs a job; when it throws, waits for the chunk being written (the writer may still hold one)
    /// before the error goes on and the job gives up its files.
    func settlingOnError<T>(_ job: () throws -> T) throws -> T {
        do {
            return try job()
        } catch {
            group.wait()
            throw error
        }
    }

    /// Hands a chunk's writing to the writer thread once the chunk before is written (rethrowing what
    /// that met, in which case `write` is not run).
    func submit(_ write: @escaping @Sendable () throws -> Void) throws {
        try finish()
        queue.async(group: group) { [self] in
            do { try write() } catch { self.error = error }
        }
    }
}
