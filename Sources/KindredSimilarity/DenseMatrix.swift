import KindredCore

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
