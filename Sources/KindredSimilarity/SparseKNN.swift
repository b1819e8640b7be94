import Dispatch
import KindredCore
import Synchronization

/// Exact top-k cosine neighbours over sparse rows with an inverted index and a per-row dense
/// accumulator (the sparse_dot_topn approach), parallel over row chunks, each pair computed once.
///
/// Rows are assumed L2-normalised, so dot products are cosines. Row r accumulates its scores with the
/// rows after it only (postings are sorted by row, so each list is entered past r by binary search)
/// and offers each score both to its own heap and to the other row's: half the multiply-adds of a
/// full product. Heaps live in `RowHeaps` behind one lock per block of rows; a per-row atomic copy of
/// the heap's bar lets a worker skip the lock for the many scores that cannot enter. The k best
/// (score, smaller id on ties) of a row are a unique set and each score is computed by one fixed
/// sum, so the table is identical at any thread count. A row is never its own neighbour.
/// - Complexity: O(Σ_f df(f)² / 2) multiply-adds, O(nnz + n·k) memory plus O(n) per worker.
public enum SparseKNN {
    /// Rows per lock of the shared heaps.
    static let rowsPerLock = 256

    /// Computes the table.
    /// - Parameters:
    ///   - k: neighbours per row (≥ 1).
    ///   - minimumSimilarity: candidates below this are left out (and a score must be > 0).
    ///   - threads: workers (default: all cores); never changes the result.
    ///   - maximumDocumentFrequency: pruning, off by default (1): features carried by more than this
    ///     share of the rows are skipped in the search, so their part of each score is missing and the
    ///     result is approximate (measure its recall against the exact table). Very frequent features
    ///     (generic skills) dominate the work, which grows with the square of a feature's frequency.
    public static func neighbors(
        of vectors: SparseVectors, k: Int, minimumSimilarity: Float = 0, threads: Int? = nil, maximumDocumentFrequency: Double = 1,
        progress: ProgressCounter? = nil
    ) -> NeighborTable {
        precondition(k >= 1, "k must be at least 1")
        let n = vectors.rowCount
        let postingLimit = maximumDocumentFrequency >= 1 ? Int.max : Int(maximumDocumentFrequency * Double(n))
        // Inverted index: for each column, the rows that have it (ascending) and their values.
        let postings = vectors.transposed()
        let postingOffsets = postings.offsets
        let postingRows = postings.columns
        let postingValues = postings.values
        let heaps = RowHeaps(rows: n, k: k)
        let locks = BlockLocks(count: (n + rowsPerLock - 1) / rowsPerLock)
        let bars = AtomicBars(count: n, initial: minimumSimilarity)
        let runner = ParallelRunner(threads: threads)
        let workers = runner.workers
        let rowsPerChunk = 64
        let chunkCount = (n + rowsPerChunk - 1) / rowsPerChunk
        // Per-worker accumulator (zero between rows) and touched list.
        let accumulators = (0..<workers).map { _ in
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(1, n))
            buffer.initialize(repeating: 0)
            return SharedMutableBuffer(buffer)
        }
        let touchedLists = (0..<workers).map { _ in SharedMutableBuffer(UnsafeMutableBufferPointer<UInt32>.allocate(capacity: max(1, n))) }
        defer {
            for buffer in accumulators { buffer.base.deallocate() }
            for buffer in touchedLists { buffer.base.deallocate() }
        }
        withBuffers(postingOffsets, postingRows, postingValues) { rawPOffsets, rawPRows, rawPValues in
            withBuffers(vectors.offsets, vectors.columns, vectors.values) { rawROffsets, rawRColumns, rawRValues in
                let pOffsets = SharedBuffer(rawPOffsets)
                let pRows = SharedBuffer(rawPRows)
                let pValues = SharedBuffer(rawPValues)
                let rOffsets = SharedBuffer(rawROffsets)
                let rColumns = SharedBuffer(rawRColumns)
                let rValues = SharedBuffer(rawRValues)
                runner.forEach(items: chunkCount) { chunk, worker in
                    if StopControl.isStopRequested { return }  // the caller's next check throws; nothing is written
                    let acc = accumulators[worker]
                    let touched = touchedLists[worker]
                    for r in (chunk * rowsPerChunk)..<min(n, (chunk + 1) * rowsPerChunk) {
                        let key = UInt32(truncatingIfNeeded: r)
                        var touchedCount = 0
                        for e in rOffsets[r]..<rOffsets[r + 1] {
                            let c = Int(rColumns[e])
                            if pOffsets[c + 1] - pOffsets[c] > postingLimit { continue }
                            let v = rValues[e]
                            // First posting after row r (postings ascend by row).
                            var low = pOffsets[c]
                            var high = pOffsets[c + 1]
                            while low < high {
                                let mid = (low + high) >> 1
                                if pRows[mid] <= key { low = mid + 1 } else { high = mid }
                            }
                            for p in low..<pOffsets[c + 1] {
                                // Branch-free: always write the touched slot, keep it when new.
                                let other = pRows[p]
                                let before = acc[Int(other)]
                                touched[touchedCount] = other
                                touchedCount &+= before == 0 ? 1 : 0
                                acc[Int(other)] = before + v * pValues[p]
                            }
                        }
                        if touchedCount == 0 { continue }
                        // Row side: r's own heap.
                        locks.withLock(r / rowsPerLock) {
                            var bar = heaps.bar(r, minimum: minimumSimilarity)
                            for t in 0..<touchedCount {
                                let other = touched[t]
                                let s = acc[Int(other)]
                                if s >= bar && s > 0 {
                                    heaps.offer(r, id: other, score: s)
                                    bar = heaps.bar(r, minimum: minimumSimilarity)
                                }
                            }
                            bars.store(r, bar)
                        }
                        // Column side: the other row's heap, locked only when the score can enter.
                        for t in 0..<touchedCount {
                            let o = Int(touched[t])
                            let s = acc[o]
                            acc[o] = 0
                            if s > 0 && s >= bars.load(o) {
                                locks.withLock(o / rowsPerLock) {
                                    if s >= heaps.bar(o, minimum: minimumSimilarity) {
                                        heaps.offer(o, id: key, score: s)
                                        bars.store(o, heaps.bar(o, minimum: minimumSimilarity))
                                    }
                                }
                            }
                        }
                    }
                    progress?.add(min(n, (chunk + 1) * rowsPerChunk) - chunk * rowsPerChunk)
                }
            }
        }
        return heaps.table()
    }
}

/// A per-row Float kept in atomics (relaxed), so workers can read another row's bar without its lock.
/// Written only under the row's lock; bars only rise, so a stale read is a safe (lower) filter.
final class AtomicBars: @unchecked Sendable {
    private let storage: UnsafeMutablePointer<Atomic<UInt32>>
    private let count: Int

    init(count: Int, initial: Float) {
        self.count = count
        storage = .allocate(capacity: max(1, count))
        for i in 0..<count { (storage + i).initialize(to: Atomic(initial.bitPattern)) }
    }

    deinit {
        storage.deinitialize(count: count)
        storage.deallocate()
    }

    @inline(__always)
    func load(_ i: Int) -> Float { Float(bitPattern: storage[i].load(ordering: .relaxed)) }

    @inline(__always)
    func store(_ i: Int, _ value: Float) { storage[i].store(value.bitPattern, ordering: .relaxed) }
}

/// The order of neighbours everywhere in Kindred: higher score first, then the smaller id.
enum NeighborRank {
    /// True when (s1, i1) ranks above (s2, i2).
    @inline(__always)
    static func better(_ s1: Float, _ i1: UInt32, _ s2: Float, _ i2: UInt32) -> Bool {
        s1 > s2 || (s1 == s2 && i1 < i2)
    }
}
