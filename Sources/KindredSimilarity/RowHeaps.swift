import KindredCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A bounded min-heap of (score, id) per row, stored flat: the root is the row's worst kept pair,
/// so its score is the bar a new candidate must clear. Sendable by discipline: a row is changed only
/// under its block's lock (`BlockLocks`) or by the one worker that owns the row.
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
