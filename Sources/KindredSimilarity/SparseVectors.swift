/// Rows of sparse Float vectors in CSR form (one row per person), columns sorted within a row.
public struct SparseVectors: Sendable, Equatable {
    /// Row `r` occupies `offsets[r]..<offsets[r+1]` of `columns` and `values`.
    public var offsets: [Int]
    public var columns: [UInt32]
    public var values: [Float]
    /// Number of columns (the vocabulary size).
    public var columnCount: Int

    public init(offsets: [Int], columns: [UInt32], values: [Float], columnCount: Int) {
        self.offsets = offsets
        self.columns = columns
        self.values = values
        self.columnCount = columnCount
    }

    public var rowCount: Int { offsets.count - 1 }

    /// Dot product of two rows (merge of sorted columns).
    public func dot(_ a: Int, _ b: Int) -> Float {
        var i = offsets[a]
        var j = offsets[b]
        let iEnd = offsets[a + 1]
        let jEnd = offsets[b + 1]
        var sum: Float = 0
        while i < iEnd && j < jEnd {
            if columns[i] == columns[j] {
                sum += values[i] * values[j]
                i += 1
                j += 1
            } else if columns[i] < columns[j] {
                i += 1
            } else {
                j += 1
            }
        }
        return sum
    }

    /// The transpose (one row per column, its entries in ascending row order): the inverted index of
    /// the sparse k-NN search and Xᵀ of the LSA fit.
    /// - Complexity: O(n + nnz + columns), by a counting sort.
    public func transposed() -> SparseVectors {
        var newOffsets = [Int](repeating: 0, count: columnCount + 1)
        for c in columns { newOffsets[Int(c) + 1] += 1 }
        for c in 0..<columnCount { newOffsets[c + 1] += newOffsets[c] }
        var rows = [UInt32](repeating: 0, count: columns.count)
        var newValues = [Float](repeating: 0, count: columns.count)
        var cursor = newOffsets
        for r in 0..<rowCount {
            for e in offsets[r]..<offsets[r + 1] {
                let c = Int(columns[e])
                rows[cursor[c]] = UInt32(truncatingIfNeeded: r)
                newValues[cursor[c]] = values[e]
                cursor[c] += 1
            }
        }
        return SparseVectors(offsets: newOffsets, columns: rows, values: newValues, columnCount: rowCount)
    }
}
