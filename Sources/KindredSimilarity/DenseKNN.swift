import CBLAS
import Dispatch
import KindredCore

#if canImport(Glibc)
import Glibc
#endif

/// A dense row-major Float matrix: `values[r * columns + c]`.
public struct DenseMatrix: Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    public var values: [Float]

    public init(rows: Int, columns: Int, values: [Float]) {
        precondition(values.count == rows * columns, "a \(rows)×\(columns) matrix needs \(rows * columns) values, got \(values.count)")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    public init(rows: Int, columns: Int) {
        self.init(rows: rows, columns: columns, values: [Float](repeating: 0, count: rows * columns))
    }

    /// Scales every non-zero row to unit length (so dot products are cosines).
    public mutating func normalizeRows() {
        let d = columns
        values.withUnsafeMutableBufferPointer { v in
            for r in 0..<rows {
                var sum: Float = 0
                for c in 0..<d { sum += v[r * d + c] * v[r * d + c] }
                guard sum > 0 else { continue }
                let scale = 1 / sum.squareRoot()
                for c in 0..<d { v[r * d + c] *= scale }
            }
        }
    }
}

/// Exact top-k inner-product (cosine, for unit rows) neighbours by blocked `cblas_sgemm` tiles with a
/// fused per-row top-k selection, parallel over tiles with Dispatch.
///
/// The self-join (`neighbors(of:)`) computes each tile pair (I, J ≥ I) once and offers every score to
/// both rows, so it does half the multiply work of a query-against-base search. Each row keeps a
/// bounded heap; the heaps of a row block are guarded by one lock, held while a tile is scanned
/// (compare against the row's current k-th score first; only winners touch the heap). The k best
/// (score, smaller id on ties) of a row are a unique set, so the table does not depend on the order
/// of the tiles or on the thread count. Memory: the n·k table plus one tile per worker, O(tile).
public enum DenseKNN {
    /// Rows per block (tiles are `blockSize × blockSize`).
    public static let defaultBlockSize = 512

    /// Top-k neighbours of every row of `vectors` among the other rows.
    /// - Parameters:
    ///   - k: neighbours per row (≥ 1).
    ///   - minimumSimilarity: scores below it are never kept.
    ///   - threads: workers (default: all cores); never changes the result.
    public static func neighbors(
        of vectors: DenseMatrix, k: Int, minimumSimilarity: Float = -.infinity, threads: Int? = nil, blockSize: Int = defaultBlockSize
    ) -> NeighborTable {
        let plan = selfJoinPlan(vectors, blockSize: blockSize)
        return search(
            queries: plan.rows, base: plan.rows, k: k, minimumSimilarity: minimumSimilarity, threads: threads, blockSize: blockSize,
            pairs: plan.pairs, symmetric: true, names: plan.order)
    }

    /// The self-join's schedule. Rows are grouped by their largest coordinate (a coarse cluster key), so
    /// a block holds similar rows, and the diagonal tiles run first: every row's bar starts near its
    /// final value and most of each later tile is skipped by the SIMD filter. Heaps keep the caller's
    /// row numbers (`order`), so the (unique) result does not depend on the grouping.
    static func selfJoinPlan(_ vectors: DenseMatrix, blockSize: Int) -> (rows: DenseMatrix, order: [UInt32], pairs: [(UInt32, UInt32)]) {
        let n = vectors.rows
        let d = vectors.columns
        var key = [UInt64](repeating: 0, count: n)
        vectors.values.withUnsafeBufferPointer { v in
            for r in 0..<n {
                var best = 0
                for c in 1..<max(d, 1) where v[r * d + c] > v[r * d + best] { best = c }
                key[r] = UInt64(best) << 32 | UInt64(r)
            }
        }
        key.sort()
        let order = key.map { UInt32(truncatingIfNeeded: $0) }
        var permuted = [Float](repeating: 0, count: n * d)
        vectors.values.withUnsafeBufferPointer { v in
            permuted.withUnsafeMutableBufferPointer { out in
                for p in 0..<n {
                    let r = Int(order[p])
                    for c in 0..<d { out[p * d + c] = v[r * d + c] }
                }
            }
        }
        let blocks = (n + blockSize - 1) / blockSize
        var pairs: [(UInt32, UInt32)] = []
        pairs.reserveCapacity(blocks * (blocks + 1) / 2)
        for i in 0..<blocks { pairs.append((UInt32(i), UInt32(i))) }
        for i in 0..<blocks { for j in (i + 1)..<max(i + 1, blocks) { pairs.append((UInt32(i), UInt32(j))) } }
        return (DenseMatrix(rows: n, columns: d, values: permuted), order, pairs)
    }

    /// Top-k rows of `base` for every row of `queries` (a query that is also in `base` finds itself).
    public static func neighbors(
        of queries: DenseMatrix, in base: DenseMatrix, k: Int, minimumSimilarity: Float = -.infinity, threads: Int? = nil,
        blockSize: Int = defaultBlockSize
    ) -> NeighborTable {
        precondition(queries.columns == base.columns, "queries have \(queries.columns) columns, base has \(base.columns)")
        let qBlocks = (queries.rows + blockSize - 1) / blockSize
        let bBlocks = (base.rows + blockSize - 1) / blockSize
        var pairs: [(UInt32, UInt32)] = []
        pairs.reserveCapacity(qBlocks * bBlocks)
        for i in 0..<qBlocks { for j in 0..<bBlocks { pairs.append((UInt32(i), UInt32(j))) } }
        return search(queries: queries, base: base, k: k, minimumSimilarity: minimumSimilarity, threads: threads, blockSize: blockSize, pairs: pairs, symmetric: false)
    }

    static func search(
        queries: DenseMatrix, base: DenseMatrix, k: Int, minimumSimilarity: Float, threads: Int?, blockSize: Int,
        pairs: [(UInt32, UInt32)], symmetric: Bool, select: Bool = true, names: [UInt32]? = nil
    ) -> NeighborTable {
        precondition(k >= 1, "k must be at least 1")
        let n = queries.rows
        let m = base.rows
        let d = queries.columns
        BLAS.useSingleThread()
        let heaps = RowHeaps(rows: n, k: k, names: names)
        let qBlocks = (n + blockSize - 1) / blockSize
        let locks = BlockLocks(count: qBlocks)
        let runner = ParallelRunner(threads: threads)
        let workers = runner.workers
        let tileSize = blockSize * blockSize
        let tiles = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(1, workers * tileSize))
        defer { tiles.deallocate() }
        let tileBuffer = SharedMutableBuffer(tiles)
        let itemCount = pairs.count
        queries.values.withUnsafeBufferPointer { qRaw in
            base.values.withUnsafeBufferPointer { bRaw in
                pairs.withUnsafeBufferPointer { pRaw in
                    let q = SharedBuffer(qRaw)
                    let b = SharedBuffer(bRaw)
                    let items = SharedBuffer(pRaw)
                    runner.forEach(items: itemCount) { item, worker in
                        let tile = tileBuffer.base + worker * tileSize
                        let (bi, bj) = items[item]
                        let rowStart = Int(bi) * blockSize
                        let rowCount = min(n, rowStart + blockSize) - rowStart
                        let colStart = Int(bj) * blockSize
                        let colCount = min(m, colStart + blockSize) - colStart
                        if rowCount <= 0 || colCount <= 0 || d == 0 { return }
                        cblas_sgemm(
                            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rowCount), Int32(colCount), Int32(d), 1,
                            q.base + rowStart * d, Int32(d), b.base + colStart * d, Int32(d), 0, tile, Int32(colCount))
                        if !select { return }
                        if symmetric {
                            if bi == bj {
                                locks.withLock(Int(bi)) {
                                    heaps.offerRows(tile: tile, rowStart: rowStart, rowCount: rowCount, colStart: colStart, colCount: colCount,
                                                    upperOnly: true, also: true, minimum: minimumSimilarity)
                                }
                            } else {
                                // Both sides in one pass over the tile; locks taken in block order (bi < bj).
                                locks.withLock(Int(bi)) {
                                    locks.withLock(Int(bj)) {
                                        heaps.offerBoth(tile: tile, rowStart: rowStart, rowCount: rowCount, colStart: colStart, colCount: colCount,
                                                        minimum: minimumSimilarity)
                                    }
                                }
                            }
                        } else {
                            // A query block's heaps are written by every base tile: guard them by query block.
                            locks.withLock(Int(bi)) {
                                heaps.offerRows(tile: tile, rowStart: rowStart, rowCount: rowCount, colStart: colStart, colCount: colCount,
                                                upperOnly: false, also: false, minimum: minimumSimilarity)
                            }
                        }
                    }
                }
            }
        }
        return heaps.table()
    }
}

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

/// A bounded min-heap of (score, id) per row, stored flat: the root is the row's worst kept pair,
/// so its score is the bar a new candidate must clear.
final class RowHeaps: @unchecked Sendable {
    let rows: Int
    let k: Int
    let ids: UnsafeMutablePointer<UInt32>
    let scores: UnsafeMutablePointer<Float>
    let counts: UnsafeMutablePointer<Int32>
    /// The id offered for column/row index i (the caller's row numbering when rows were reordered).
    let names: UnsafeMutablePointer<UInt32>?

    init(rows: Int, k: Int, names: [UInt32]? = nil) {
        self.rows = rows
        self.k = k
        if let names {
            precondition(names.count == rows, "one name per row")
            let pointer = UnsafeMutablePointer<UInt32>.allocate(capacity: max(1, rows))
            pointer.initialize(from: names, count: rows)
            self.names = pointer
        } else {
            self.names = nil
        }
        ids = .allocate(capacity: max(1, rows * k))
        scores = .allocate(capacity: max(1, rows * k))
        counts = .allocate(capacity: max(1, rows))
        counts.initialize(repeating: 0, count: max(1, rows))
    }

    deinit {
        ids.deallocate()
        scores.deallocate()
        counts.deallocate()
        names?.deallocate()
    }

    @inline(__always)
    func name(_ i: Int) -> UInt32 {
        if let names { return names[i] }
        return UInt32(truncatingIfNeeded: i)
    }

    /// The score a candidate must reach to enter row `r` (its worst kept score once full).
    @inline(__always)
    func bar(_ r: Int, minimum: Float) -> Float {
        Int(counts[r]) < k ? minimum : max(minimum, scores[r * k])
    }

    /// Offers (score, id) to row `r`'s heap.
    @inline(__always)
    func offer(_ r: Int, id: UInt32, score: Float) {
        let base = r * k
        let hid = ids + base
        let hs = scores + base
        var count = Int(counts[r])
        if count < k {
            var i = count
            count += 1
            counts[r] = Int32(count)
            hid[i] = id
            hs[i] = score
            while i > 0 {
                let parent = (i - 1) / 2
                if NeighborRank.better(hs[parent], hid[parent], hs[i], hid[i]) {
                    swap(&hid[parent], &hid[i])
                    swap(&hs[parent], &hs[i])
                    i = parent
                } else { break }
            }
            return
        }
        guard NeighborRank.better(score, id, hs[0], hid[0]) else { return }
        hid[0] = id
        hs[0] = score
        var i = 0
        while true {
            let left = 2 * i + 1
            let right = left + 1
            var worst = i
            if left < count && NeighborRank.better(hs[worst], hid[worst], hs[left], hid[left]) { worst = left }
            if right < count && NeighborRank.better(hs[worst], hid[worst], hs[right], hid[right]) { worst = right }
            if worst == i { break }
            swap(&hid[worst], &hid[i])
            swap(&hs[worst], &hs[i])
            i = worst
        }
    }

    /// Row side of a tile: row `rowStart + i` is offered column `colStart + j`. With `upperOnly`
    /// (a diagonal tile of the self-join) only j > i is looked at, and with `also` the pair is offered
    /// to the column's row as well.
    ///
    /// Off the diagonal, the row is read 16 scores at a time and a chunk with no score at the row's bar
    /// is skipped whole (one SIMD compare), so the scan costs a fraction of the multiply.
    @inline(__always)
    func offerRows(
        tile: UnsafeMutablePointer<Float>, rowStart: Int, rowCount: Int, colStart: Int, colCount: Int, upperOnly: Bool, also: Bool,
        minimum: Float
    ) {
        if also {
            for i in 0..<rowCount {
                let r = rowStart + i
                let line = tile + i * colCount
                let first = upperOnly ? i + 1 : 0
                for j in first..<max(first, colCount) {
                    let s = line[j]
                    if s >= bar(r, minimum: minimum) { offer(r, id: name(colStart + j), score: s) }
                    let c = colStart + j
                    if s >= bar(c, minimum: minimum) { offer(c, id: name(r), score: s) }
                }
            }
            return
        }
        let wide = colCount & ~15
        for i in 0..<rowCount {
            let r = rowStart + i
            let line = tile + i * colCount
            let raw = UnsafeRawPointer(line)
            var threshold = bar(r, minimum: minimum)
            var j = 0
            while j < wide {
                if RowHeaps.anyAtLeast(raw, j, SIMD4(repeating: threshold)) {
                    for t in j..<(j + 16) where line[t] >= threshold {
                        offer(r, id: name(colStart + t), score: line[t])
                        threshold = bar(r, minimum: minimum)
                    }
                }
                j += 16
            }
            while j < colCount {
                let s = line[j]
                if s >= threshold {
                    offer(r, id: name(colStart + j), score: s)
                    threshold = bar(r, minimum: minimum)
                }
                j += 1
            }
        }
    }

    /// Both sides of an off-diagonal self-join tile in one pass: row `rowStart + i` is offered column
    /// `colStart + j` and row `colStart + j` is offered row `rowStart + i`. Each 16-score chunk is
    /// tested (SIMD) against min(row's bar, lowest bar of the chunk's 16 column rows) before any scalar
    /// work; bars only rise, so a stale minimum is a safe filter.
    @inline(__always)
    func offerBoth(tile: UnsafeMutablePointer<Float>, rowStart: Int, rowCount: Int, colStart: Int, colCount: Int, minimum: Float) {
        let wide = colCount & ~15
        let chunkCount = (colCount + 15) / 16
        withUnsafeTemporaryAllocation(of: Float.self, capacity: colCount + chunkCount) { scratch in
            let bars = scratch.baseAddress!
            let chunkLow = bars + colCount
            for q in 0..<chunkCount {
                var low = Float.infinity
                for j in (q * 16)..<min(colCount, q * 16 + 16) {
                    bars[j] = bar(colStart + j, minimum: minimum)
                    low = min(low, bars[j])
                }
                chunkLow[q] = low
            }
            for i in 0..<rowCount {
                let r = rowStart + i
                let line = tile + i * colCount
                let raw = UnsafeRawPointer(line)
                let id = name(r)
                var threshold = bar(r, minimum: minimum)
                var j = 0
                while j < colCount {
                    let q = j >> 4
                    let end = min(colCount, j + 16)
                    if j < wide && !RowHeaps.anyAtLeast(raw, j, SIMD4(repeating: min(threshold, chunkLow[q]))) {
                        j = end
                        continue
                    }
                    var changed = false
                    for t in j..<end {
                        let s = line[t]
                        if s >= threshold {
                            offer(r, id: name(colStart + t), score: s)
                            threshold = bar(r, minimum: minimum)
                        }
                        if s >= bars[t] {
                            let c = colStart + t
                            offer(c, id: id, score: s)
                            bars[t] = bar(c, minimum: minimum)
                            changed = true
                        }
                    }
                    if changed {
                        var low = Float.infinity
                        for t in j..<end { low = min(low, bars[t]) }
                        chunkLow[q] = low
                    }
                    j = end
                }
            }
        }
    }

    /// True when one of the 16 scores at `raw[j..<j+16]` is ≥ `bar` (four SSE-width compares).
    @inline(__always)
    static func anyAtLeast(_ raw: UnsafeRawPointer, _ j: Int, _ bar: SIMD4<Float>) -> Bool {
        let a = raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD4<Float>.self)
        let b = raw.loadUnaligned(fromByteOffset: j * 4 + 16, as: SIMD4<Float>.self)
        let c = raw.loadUnaligned(fromByteOffset: j * 4 + 32, as: SIMD4<Float>.self)
        let d = raw.loadUnaligned(fromByteOffset: j * 4 + 48, as: SIMD4<Float>.self)
        let m = a.replacing(with: b, where: b .> a)
        let n = c.replacing(with: d, where: d .> c)
        let top = m.replacing(with: n, where: n .> m)
        return any(top .>= bar)
    }

    /// The table, best first per row; unused slots hold `UInt32.max` and −∞.
    func table() -> NeighborTable {
        var neighbors = [UInt32](repeating: .max, count: rows * k)
        var similarities = [Float](repeating: -.infinity, count: rows * k)
        // Heap row r belongs to the caller's row name(r).
        var pairs: [(Float, UInt32)] = []
        pairs.reserveCapacity(k)
        for r in 0..<rows {
            pairs.removeAll(keepingCapacity: true)
            for i in 0..<Int(counts[r]) { pairs.append((scores[r * k + i], ids[r * k + i])) }
            pairs.sort { NeighborRank.better($0.0, $0.1, $1.0, $1.1) }
            let out = Int(name(r))
            for (j, pair) in pairs.enumerated() {
                neighbors[out * k + j] = pair.1
                similarities[out * k + j] = pair.0
            }
        }
        return NeighborTable(k: k, neighbors: neighbors, similarities: similarities)
    }
}

extension DenseKNN {
    /// The yardstick for the fused kernel on real data: the self-join's own tile schedule over the first
    /// `rows` rows, run twice — with the top-k selection and with `sgemm` alone (scores computed and
    /// dropped). Returns GFLOP/s of both (same flop count: one multiply-add per pair and dimension).
    public static func fusedAndPlainThroughput(
        of vectors: DenseMatrix, rows: Int, k: Int, threads: Int? = nil, blockSize: Int = defaultBlockSize
    ) -> (fused: Double, plain: Double) {
        let n = min(rows, vectors.rows)
        let subset = DenseMatrix(rows: n, columns: vectors.columns, values: Array(vectors.values.prefix(n * vectors.columns)))
        let plan = selfJoinPlan(subset, blockSize: blockSize)
        let flops = Double(n) * Double(n + 1) / 2 * Double(vectors.columns) * 2
        func timed(_ select: Bool) -> Double {
            let start = ContinuousClock.now
            _ = search(queries: plan.rows, base: plan.rows, k: k, minimumSimilarity: -.infinity, threads: threads, blockSize: blockSize,
                       pairs: plan.pairs, symmetric: true, select: select, names: plan.order)
            let d = ContinuousClock.now - start
            return flops / (Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18) / 1e9
        }
        let plain = timed(false)
        let fused = timed(true)
        return (fused, plain)
    }

    /// OpenBLAS's own `sgemm` throughput on one tile shape (blockSize × blockSize × depth), each of
    /// `threads` workers multiplying its own tiles for about `seconds`: the yardstick for the fused
    /// k-NN kernel's GFLOPS. Returns GFLOP/s over all workers.
    public static func sgemmThroughput(depth: Int, blockSize: Int = defaultBlockSize, threads: Int? = nil, seconds: Double = 2) -> Double {
        BLAS.useSingleThread()
        let workers = max(1, threads ?? ParallelRunner.defaultThreads)
        let rows = blockSize * 8
        var rng = SeededGenerator(seed: 42)
        var data = DenseMatrix(rows: rows, columns: depth)
        LSAModel.gaussian(&data.values, &rng)
        let tileSize = blockSize * blockSize
        let tiles = UnsafeMutableBufferPointer<Float>.allocate(capacity: workers * tileSize)
        defer { tiles.deallocate() }
        let tileBuffer = SharedMutableBuffer(tiles)
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: workers)
        defer { counts.deallocate() }
        let countBuffer = SharedMutableBuffer(counts)
        let start = ContinuousClock.now
        let limit = Duration.milliseconds(Int64(seconds * 1000))
        data.values.withUnsafeBufferPointer { raw in
            let a = SharedBuffer(raw)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                var done = 0
                let tile = tileBuffer.base + worker * tileSize
                while ContinuousClock.now - start < limit {
                    let i = (done + worker) % 8
                    let j = (done * 3 + 1) % 8
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(blockSize), Int32(blockSize), Int32(depth), 1,
                                a.base + i * blockSize * depth, Int32(depth), a.base + j * blockSize * depth, Int32(depth), 0, tile, Int32(blockSize))
                    done += 1
                }
                countBuffer[worker] = done
            }
        }
        let d = ContinuousClock.now - start
        let elapsed = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        let total = (0..<workers).reduce(0) { $0 + counts[$1] }
        return Double(total) * 2 * Double(blockSize * blockSize * depth) / elapsed / 1e9
    }
}
