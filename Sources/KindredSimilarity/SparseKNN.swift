import Dispatch
import KindredCore

/// The k nearest neighbours of every row: `neighbors[r*k + j]` and `similarities[r*k + j]` for
/// j = 0..<k, best first; unused slots hold `UInt32.max` and -infinity.
public struct NeighborTable: Sendable, Equatable {
    public var k: Int
    public var neighbors: [UInt32]
    public var similarities: [Float]

    public var rowCount: Int { k == 0 ? 0 : neighbors.count / k }
}

/// Exact top-k cosine neighbours over sparse rows with an inverted index and a per-row dense
/// accumulator (the sparse_dot_topn approach), parallel over fixed row chunks.
///
/// Rows are assumed L2-normalised, so dot products are cosines. Ties are broken by the smaller row
/// index, and each row's result depends only on the data, so the table is identical at any thread
/// count. A row is never its own neighbour.
/// - Complexity: O(Σ_r Σ_{f ∈ r} df(f)) time, O(nnz + n·k) memory.
public enum SparseKNN {
    /// Computes the table.
    /// - Parameters:
    ///   - k: neighbours per row (≥ 1).
    ///   - minimumSimilarity: candidates below this are left out.
    public static func neighbors(of vectors: SparseVectors, k: Int, minimumSimilarity: Float = 0) -> NeighborTable {
        let n = vectors.rowCount
        let columnCount = vectors.columnCount
        // Inverted index: for each column, the rows that have it and their values.
        var postingOffsets = [Int](repeating: 0, count: columnCount + 1)
        for c in vectors.columns { postingOffsets[Int(c) + 1] += 1 }
        for c in 0..<columnCount { postingOffsets[c + 1] += postingOffsets[c] }
        var postingRows = [UInt32](repeating: 0, count: vectors.columns.count)
        var postingValues = [Float](repeating: 0, count: vectors.columns.count)
        var cursor = postingOffsets
        for r in 0..<n {
            for e in vectors.offsets[r]..<vectors.offsets[r + 1] {
                let c = Int(vectors.columns[e])
                postingRows[cursor[c]] = UInt32(r)
                postingValues[cursor[c]] = vectors.values[e]
                cursor[c] += 1
            }
        }
        var neighbors = [UInt32](repeating: .max, count: n * k)
        var similarities = [Float](repeating: -.infinity, count: n * k)
        let chunkCount = max(1, min(256, n / 64))
        neighbors.withUnsafeMutableBufferPointer { neighborBuffer in
            similarities.withUnsafeMutableBufferPointer { similarityBuffer in
                let outNeighbors = SharedMutableBuffer(neighborBuffer)
                let outSimilarities = SharedMutableBuffer(similarityBuffer)
                postingOffsets.withUnsafeBufferPointer { raw_pOffsets in
                    postingRows.withUnsafeBufferPointer { raw_pRows in
                        postingValues.withUnsafeBufferPointer { raw_pValues in
                            vectors.offsets.withUnsafeBufferPointer { raw_rOffsets in
                                vectors.columns.withUnsafeBufferPointer { raw_rColumns in
                                    vectors.values.withUnsafeBufferPointer { raw_rValues in
                                        let pOffsets = SharedBuffer(raw_pOffsets)
                                        let pRows = SharedBuffer(raw_pRows)
                                        let pValues = SharedBuffer(raw_pValues)
                                        let rOffsets = SharedBuffer(raw_rOffsets)
                                        let rColumns = SharedBuffer(raw_rColumns)
                                        let rValues = SharedBuffer(raw_rValues)
                                        DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
                                            let rows = chunkRange(chunk, of: chunkCount, count: n)
                                            var accumulator = [Float](repeating: 0, count: n)
                                            var touched = [UInt32]()
                                            touched.reserveCapacity(n)
                                            var heap = TopK(capacity: k)
                                            accumulator.withUnsafeMutableBufferPointer { acc in
                                                for r in rows {
                                                    for e in rOffsets[r]..<rOffsets[r + 1] {
                                                        let c = Int(rColumns[e])
                                                        let v = rValues[e]
                                                        for p in pOffsets[c]..<pOffsets[c + 1] {
                                                            let other = Int(pRows[p])
                                                            if acc[other] == 0 { touched.append(UInt32(other)) }
                                                            acc[other] += v * pValues[p]
                                                        }
                                                    }
                                                    heap.reset()
                                                    for other in touched {
                                                        let o = Int(other)
                                                        let s = acc[o]
                                                        acc[o] = 0
                                                        if o != r && s >= minimumSimilarity && s > 0 { heap.offer(id: other, score: s) }
                                                    }
                                                    touched.removeAll(keepingCapacity: true)
                                                    heap.writeSorted(neighbors: outNeighbors, similarities: outSimilarities, at: r * k)
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return NeighborTable(k: k, neighbors: neighbors, similarities: similarities)
    }
}

/// A bounded selection of the k best (score, id) pairs; higher score wins, then smaller id.
struct TopK {
    let capacity: Int
    var ids: [UInt32]
    var scores: [Float]
    var count = 0

    init(capacity: Int) {
        self.capacity = capacity
        ids = [UInt32](repeating: 0, count: capacity)
        scores = [Float](repeating: 0, count: capacity)
    }

    mutating func reset() { count = 0 }

    /// True when (s1, i1) ranks above (s2, i2).
    @inline(__always)
    static func better(_ s1: Float, _ i1: UInt32, _ s2: Float, _ i2: UInt32) -> Bool {
        s1 > s2 || (s1 == s2 && i1 < i2)
    }

    // A min-heap on rank: the root is the worst kept candidate.
    mutating func offer(id: UInt32, score: Float) {
        guard capacity > 0 else { return }
        if count < capacity {
            var i = count
            count += 1
            ids[i] = id
            scores[i] = score
            while i > 0 {
                let parent = (i - 1) / 2
                if TopK.better(scores[parent], ids[parent], scores[i], ids[i]) {
                    ids.swapAt(parent, i)
                    scores.swapAt(parent, i)
                    i = parent
                } else { break }
            }
            return
        }
        guard TopK.better(score, id, scores[0], ids[0]) else { return }
        ids[0] = id
        scores[0] = score
        var i = 0
        while true {
            let left = 2 * i + 1
            let right = left + 1
            var worst = i
            if left < count && TopK.better(scores[worst], ids[worst], scores[left], ids[left]) { worst = left }
            if right < count && TopK.better(scores[worst], ids[worst], scores[right], ids[right]) { worst = right }
            if worst == i { break }
            ids.swapAt(worst, i)
            scores.swapAt(worst, i)
            i = worst
        }
    }

    /// Writes the kept pairs best first into the output at `base` (count ≤ capacity).
    mutating func writeSorted(neighbors: SharedMutableBuffer<UInt32>, similarities: SharedMutableBuffer<Float>, at base: Int) {
        var pairs = [(Float, UInt32)]()
        pairs.reserveCapacity(count)
        for i in 0..<count { pairs.append((scores[i], ids[i])) }
        pairs.sort { TopK.better($0.0, $0.1, $1.0, $1.1) }
        for (j, pair) in pairs.enumerated() {
            neighbors[base + j] = pair.1
            similarities[base + j] = pair.0
        }
    }
}
