import KindredCore

/// Approximate top-k inner-product neighbours for very large samples: an inverted-file search.
///
/// The rows are partitioned into `cells` by k-means (seeded sample, Lloyd iterations on `sgemm`, the
/// sample's assignment by `DenseKNN`); every row is listed in its nearest cell and searches the `probes`
/// cells nearest to it exactly, by `sgemm` tiles of the rows probing a cell against the cell's members
/// with the same fused top-k as `DenseKNN`. Work is O(n · probes · n/cells · d) instead of O(n² d).
/// Each row's answer is the k best (score, smaller id) of a candidate set fixed by the data and the
/// seed, so the table does not depend on the thread count. Measure recall with `recall(of:exactOn:)`.
public enum ApproximateKNN {
    /// Options of the inverted-file search.
    public struct Options: Sendable {
        /// Cells (default: √n, at least 1).
        public var cells: Int?
        /// Cells searched per row (default 8).
        public var probes = 8
        /// Lloyd iterations of k-means (default 6), on a sample of `trainingSample` rows.
        public var iterations = 6
        public var trainingSample = 100_000
        public var seed: UInt64 = 0
        public init() {}
    }

    /// The approximate table (a row is never its own neighbour).
    public static func neighbors(of vectors: DenseMatrix, k: Int, minimumSimilarity: Float = -.infinity, options: Options = Options(), threads: Int? = nil)
        -> NeighborTable
    {
        precondition(k >= 1, "k must be at least 1")
        let n = vectors.rows
        let d = vectors.columns
        guard n > 1, d > 0 else { return NeighborTable(k: k, neighbors: [UInt32](repeating: .max, count: n * k), similarities: [Float](repeating: -.infinity, count: n * k)) }
        let cellCount = max(1, min(options.cells ?? Int(Double(n).squareRoot()), n))
        let probes = max(1, min(options.probes, cellCount))
        let centroids = kMeans(vectors, cells: cellCount, options: options, threads: threads)
        // Each row's `probes` nearest centroids (the first is its own cell).
        let nearest = DenseKNN.neighbors(of: vectors, in: centroids, k: probes, threads: threads)
        // Members of each cell, ascending row; and the rows probing each cell.
        var memberCount = [Int](repeating: 0, count: cellCount + 1)
        var proberCount = [Int](repeating: 0, count: cellCount + 1)
        for r in 0..<n {
            memberCount[Int(nearest.neighbors[r * probes]) + 1] += 1
            for j in 0..<probes where nearest.neighbors[r * probes + j] != .max { proberCount[Int(nearest.neighbors[r * probes + j]) + 1] += 1 }
        }
        for c in 0..<cellCount {
            memberCount[c + 1] += memberCount[c]
            proberCount[c + 1] += proberCount[c]
        }
        var members = [UInt32](repeating: 0, count: n)
        var probers = [UInt32](repeating: 0, count: proberCount[cellCount])
        var memberCursor = memberCount
        var proberCursor = proberCount
        for r in 0..<n {
            let own = Int(nearest.neighbors[r * probes])
            members[memberCursor[own]] = UInt32(r)
            memberCursor[own] += 1
            for j in 0..<probes {
                let c = nearest.neighbors[r * probes + j]
                guard c != .max else { continue }
                probers[proberCursor[Int(c)]] = UInt32(r)
                proberCursor[Int(c)] += 1
            }
        }
        // Rows gathered cell by cell, so each cell's members are one contiguous block.
        var grouped = [Float](repeating: 0, count: n * d)
        vectors.values.withUnsafeBufferPointer { v in
            grouped.withUnsafeMutableBufferPointer { out in
                for p in 0..<n {
                    let r = Int(members[p])
                    for c in 0..<d { out[p * d + c] = v[r * d + c] }
                }
            }
        }
        let heaps = RowHeaps(rows: n, k: k)
        let rowsPerLock = 256
        let locks = BlockLocks(count: (n + rowsPerLock - 1) / rowsPerLock)
        let runner = ParallelRunner(threads: threads)
        let workers = runner.workers
        let tileRows = 256
        // Work items: (slice of a cell's probers, slice of its members), so big cells are split and a
        // tile stays ≤ tileRows × tileColumns.
        let tileColumns = 4096
        var items: [(start: Int, end: Int, memberStart: Int, memberEnd: Int)] = []
        for c in 0..<cellCount {
            var s = proberCount[c]
            while s < proberCount[c + 1] {
                var m = memberCount[c]
                while m < memberCount[c + 1] {
                    items.append((s, min(proberCount[c + 1], s + tileRows), m, min(memberCount[c + 1], m + tileColumns)))
                    m += tileColumns
                }
                s += tileRows
            }
        }
        let tileSize = tileRows * tileColumns
        let tiles = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(1, workers * tileSize))
        let queryBuffers = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(1, workers * tileRows * d))
        defer {
            tiles.deallocate()
            queryBuffers.deallocate()
        }
        let tileBuffer = SharedMutableBuffer(tiles)
        let queryBuffer = SharedMutableBuffer(queryBuffers)
        let itemCount = items.count
        withBuffers(vectors.values, grouped) { vRaw, gRaw in
            withBuffers(members, probers) { mRaw, pRaw in
                items.withUnsafeBufferPointer { itemRaw in
                    let v = SharedBuffer(vRaw)
                    let g = SharedBuffer(gRaw)
                    let memberOf = SharedBuffer(mRaw)
                    let proberOf = SharedBuffer(pRaw)
                    let work = SharedBuffer(itemRaw)
                    runner.forEach(items: itemCount) { item, worker in
                        let tile = tileBuffer.base + worker * tileSize
                        let query = queryBuffer.base + worker * tileRows * d
                        let (start, end, colStart, colEnd) = work[item]
                        let rowCount = end - start
                        let colCount = colEnd - colStart
                        if colCount == 0 || rowCount == 0 { return }
                        for i in 0..<rowCount {
                            let r = Int(proberOf[start + i])
                            (query + i * d).update(from: v.base + r * d, count: d)
                        }
                        BLAS.sgemm(
                            transposeB: true, m: rowCount, n: colCount, k: d, a: query, lda: d, b: g.base + colStart * d, ldb: d, c: tile,
                            ldc: colCount)
                        for i in 0..<rowCount {
                            let r = Int(proberOf[start + i])
                            let line = tile + i * colCount
                            locks.withLock(r / rowsPerLock) {
                                var threshold = heaps.bar(r, minimum: minimumSimilarity)
                                for j in 0..<colCount where line[j] >= threshold {
                                    let o = memberOf[colStart + j]
                                    if Int(o) == r { continue }
                                    heaps.offer(r, id: o, score: line[j])
                                    threshold = heaps.bar(r, minimum: minimumSimilarity)
                                }
                            }
                        }
                    }
                }
            }
        }
        return heaps.table()
    }

    /// k-means centroids (unit length, for inner-product search): seeded by rows drawn without
    /// replacement from a seeded sample, then Lloyd iterations on the sample.
    static func kMeans(_ vectors: DenseMatrix, cells: Int, options: Options, threads: Int?) -> DenseMatrix {
        let n = vectors.rows
        let d = vectors.columns
        var generator = SeededGenerator(seed: options.seed, stream: 0x1F5)
        // A seeded sample (partial Fisher–Yates over row numbers).
        let sampleSize = min(n, max(cells, options.trainingSample))
        var rows = Array(0..<n)
        for i in 0..<sampleSize {
            let j = i + Int(generator.next() % UInt64(n - i))
            rows.swapAt(i, j)
        }
        let sampleRows = rows.prefix(sampleSize).sorted()
        var sample = DenseMatrix(rows: sampleSize, columns: d)
        for (p, r) in sampleRows.enumerated() {
            for c in 0..<d { sample.values[p * d + c] = vectors.values[r * d + c] }
        }
        var centroids = DenseMatrix(rows: cells, columns: d)
        for c in 0..<cells {
            let r = (c * sampleSize) / cells
            for x in 0..<d { centroids.values[c * d + x] = sample.values[r * d + x] }
        }
        for _ in 0..<options.iterations {
            let assignment = DenseKNN.neighbors(of: sample, in: centroids, k: 1, threads: threads)
            var sums = [Double](repeating: 0, count: cells * d)
            var counts = [Int](repeating: 0, count: cells)
            for p in 0..<sampleSize {
                let c = Int(assignment.neighbors[p])
                guard c != Int(UInt32.max) else { continue }
                counts[c] += 1
                for x in 0..<d { sums[c * d + x] += Double(sample.values[p * d + x]) }
            }
            for c in 0..<cells where counts[c] > 0 {
                for x in 0..<d { centroids.values[c * d + x] = Float(sums[c * d + x] / Double(counts[c])) }
            }
            centroids.normalizeRows()
        }
        return centroids
    }

    /// Recall@k of `table` against the exact neighbours of `sample` rows (computed here by brute force
    /// with `DenseKNN`): the share of the exact k that the table also lists, over the sample.
    public static func recall(of table: NeighborTable, vectors: DenseMatrix, sample: [Int], threads: Int? = nil) -> Double {
        let k = table.k
        let d = vectors.columns
        var queries = DenseMatrix(rows: sample.count, columns: d)
        for (p, r) in sample.enumerated() {
            for c in 0..<d { queries.values[p * d + c] = vectors.values[r * d + c] }
        }
        // k + 1 so that the row itself (found first, score 1) can be dropped.
        let exact = DenseKNN.neighbors(of: queries, in: vectors, k: k + 1, threads: threads)
        var hits = 0
        var total = 0
        for (p, r) in sample.enumerated() {
            let truth = (0..<(k + 1)).map { exact.neighbors[p * (k + 1) + $0] }.filter { $0 != .max && Int($0) != r }.prefix(k)
            let got = Set((0..<k).map { table.neighbors[r * k + $0] })
            hits += truth.filter { got.contains($0) }.count
            total += truth.count
        }
        return total == 0 ? 1 : Double(hits) / Double(total)
    }
}
