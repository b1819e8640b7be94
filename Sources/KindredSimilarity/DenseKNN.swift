import Dispatch
import KindredCore

#if canImport(Glibc)
import Glibc
#endif

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
                        BLAS.sgemm(
                            transposeB: true, m: rowCount, n: colCount, k: d, a: q.base + rowStart * d, lda: d, b: b.base + colStart * d, ldb: d,
                            c: tile, ldc: colCount)
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
                    BLAS.sgemm(
                        transposeB: true, m: blockSize, n: blockSize, k: depth, a: a.base + i * blockSize * depth, lda: depth,
                        b: a.base + j * blockSize * depth, ldb: depth, c: tile, ldc: blockSize)
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
