import KindredCore

/// Sparse × dense products for the LSA embedding, parallel over fixed row chunks (each output row is
/// written by one worker, so the result does not depend on the thread count).
enum SparseDense {
    /// `X · D`: X is n × F sparse, D is F × l dense (row-major); returns n × l.
    static func multiply(_ x: SparseVectors, _ d: DenseMatrix, threads: Int?) -> DenseMatrix {
        precondition(x.columnCount <= d.rows, "X has \(x.columnCount) columns, D has \(d.rows) rows")
        let n = x.rowCount
        let l = d.columns
        var out = [Float](repeating: 0, count: n * l)
        let chunks = max(1, min(1024, n / 256))
        withBuffers(x.offsets, x.columns, x.values) { off, col, val in
            d.values.withUnsafeBufferPointer { dense in
                out.withUnsafeMutableBufferPointer { o in
                    let offsets = SharedBuffer(off)
                    let columns = SharedBuffer(col)
                    let values = SharedBuffer(val)
                    let right = SharedBuffer(dense)
                    let result = SharedMutableBuffer(o)
                    ParallelRunner(threads: threads).forEach(items: chunks) { chunk, _ in
                        for r in chunkRange(chunk, of: chunks, count: n) {
                            let row = result.base + r * l
                            for e in offsets[r]..<offsets[r + 1] {
                                let v = values[e]
                                let source = right.base + Int(columns[e]) * l
                                for j in 0..<l { row[j] += v * source[j] }
                            }
                        }
                    }
                }
            }
        }
        return DenseMatrix(rows: n, columns: l, values: out)
    }
}
