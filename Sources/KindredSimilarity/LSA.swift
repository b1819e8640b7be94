import Foundation
import KindredCore

/// Latent semantic analysis of the people × feature TF-IDF matrix: its top `dimensions` right
/// singular vectors, so that related skills and title synonyms (features that occur with the same
/// others) land near each other.
///
/// Fitted by randomised SVD (Halko, Martinsson & Tropp 2011, "Finding structure with randomness",
/// SIAM Review 53(2), doi:10.1137/090771806): a seeded Gaussian sketch with oversampling, power
/// iterations with re-orthonormalisation, then the small eigenproblem in double precision (LAPACK
/// `dsyevd`). Products run on OpenBLAS `sgemm` and parallel sparse × dense kernels; every step is
/// deterministic for a given seed, at any thread count. Each basis vector's sign is fixed (largest
/// entry positive) so refits on similar data give comparable embeddings.
public struct LSAModel: Sendable, Equatable {
    /// Embedding dimensions d (may be fewer than asked when the matrix has lower rank).
    public let dimensions: Int
    /// Feature count F.
    public let featureCount: Int
    /// F × d row-major: column j is the j-th right singular vector.
    public let basis: [Float]
    /// The d singular values, largest first.
    public let singularValues: [Float]

    public init(dimensions: Int, featureCount: Int, basis: [Float], singularValues: [Float]) {
        precondition(basis.count == dimensions * featureCount, "basis must be F × d")
        self.dimensions = dimensions
        self.featureCount = featureCount
        self.basis = basis
        self.singularValues = singularValues
    }

    /// Fits the basis.
    /// - Parameters:
    ///   - dimensions: d (default 128).
    ///   - oversampling: extra sketch columns p (default 10).
    ///   - powerIterations: q (default 2).
    public static func fit(
        _ x: SparseVectors, dimensions: Int = 128, oversampling: Int = 10, powerIterations: Int = 2, seed: UInt64 = 0,
        threads: Int? = nil
    ) -> LSAModel {
        let n = x.rowCount
        let features = x.columnCount
        let l = max(1, min(dimensions + oversampling, features, n))
        let d = min(dimensions, l)
        guard n > 0, features > 0 else {
            return LSAModel(dimensions: 0, featureCount: features, basis: [], singularValues: [])
        }
        var generator = SeededGenerator(seed: seed, stream: 0x4C5341)
        var omega = DenseMatrix(rows: features, columns: l)
        gaussian(&omega.values, &generator)
        let xt = x.transposed()
        // Each product is orthonormalised in place, and the Q it replaces is let go first: one n × l
        // matrix alive at a time (n × l is the size that matters: 110 MB at 200,000 people).
        var q = SparseDense.multiply(x, omega, threads: threads)
        omega = DenseMatrix(rows: 0, columns: l)
        orthonormalize(&q)
        for _ in 0..<powerIterations {
            var z = SparseDense.multiply(xt, q, threads: threads)
            orthonormalize(&z)
            q = DenseMatrix(rows: 0, columns: l)
            q = SparseDense.multiply(x, z, threads: threads)
            orthonormalize(&q)
        }
        // Z = Xᵀ Q = Bᵀ (F × l). B Bᵀ = Zᵀ Z = W Λ Wᵀ; right singular vectors V = Z W Σ⁻¹.
        let z = SparseDense.multiply(xt, q, threads: threads)
        q = DenseMatrix(rows: 0, columns: l)
        let (lambda, w) = symmetricEigen(gram(z), size: l)
        var basis = [Float](repeating: 0, count: features * d)
        var sigma = [Float](repeating: 0, count: d)
        let top = lambda.first ?? 0
        for j in 0..<d where lambda[j] > top * 1e-10 && lambda[j] > 0 {
            let s = lambda[j].squareRoot()
            sigma[j] = Float(s)
            // Column j of V: Z · w_j / σ_j.
            var column = [Double](repeating: 0, count: features)
            for f in 0..<features {
                var sum = 0.0
                for i in 0..<l { sum += Double(z.values[f * l + i]) * w[i * l + j] }
                column[f] = sum / s
            }
            // Fix the sign: largest-magnitude entry positive (ties: first).
            var pivot = 0
            for f in 1..<features where abs(column[f]) > abs(column[pivot]) { pivot = f }
            let sign = column[pivot] < 0 ? -1.0 : 1.0
            for f in 0..<features { basis[f * d + j] = Float(sign * column[f]) }
        }
        return LSAModel(dimensions: d, featureCount: features, basis: basis, singularValues: sigma)
    }

    /// The embedding X·V of each row, scaled to unit length (rows without features stay zero).
    /// Features beyond the model's (unknown at fit time) are ignored.
    public func embed(_ x: SparseVectors, threads: Int? = nil) -> DenseMatrix {
        var known = x
        if x.columnCount > featureCount {
            var offsets = [0]
            var columns: [UInt32] = []
            var values: [Float] = []
            for r in 0..<x.rowCount {
                for e in x.offsets[r]..<x.offsets[r + 1] where Int(x.columns[e]) < featureCount {
                    columns.append(x.columns[e])
                    values.append(x.values[e])
                }
                offsets.append(columns.count)
            }
            known = SparseVectors(offsets: offsets, columns: columns, values: values, columnCount: featureCount)
        }
        var out = SparseDense.multiply(known, DenseMatrix(rows: featureCount, columns: dimensions, values: basis), threads: threads)
        out.normalizeRows()
        return out
    }

    /// Fills `values` with standard normal draws (Box–Muller on the seeded generator).
    static func gaussian(_ values: inout [Float], _ generator: inout SeededGenerator) {
        var i = 0
        while i < values.count {
            let u1 = (Double(generator.next() >> 11) + 1) / 9007199254740993.0  // (0, 1]
            let u2 = Double(generator.next() >> 11) / 9007199254740992.0
            let radius = (-2 * log(u1)).squareRoot()
            values[i] = Float(radius * cos(2 * Double.pi * u2))
            if i + 1 < values.count { values[i + 1] = Float(radius * sin(2 * Double.pi * u2)) }
            i += 2
        }
    }

    /// Yᵀ Y in double precision (l × l) from a sgemm in single precision.
    static func gram(_ y: DenseMatrix) -> [Double] {
        let l = y.columns
        var g = [Float](repeating: 0, count: l * l)
        y.values.withUnsafeBufferPointer { a in
            g.withUnsafeMutableBufferPointer { out in
                BLAS.sgemm(
                    transposeA: true, transposeB: false, m: l, n: l, k: y.rows, a: a.baseAddress, lda: l, b: a.baseAddress, ldb: l,
                    c: out.baseAddress, ldc: l)
            }
        }
        return g.map(Double.init)
    }

    /// Eigenvalues (largest first) and eigenvectors (row-major; column j belongs to value j) of a
    /// symmetric matrix, by LAPACK `dsyevd`.
    static func symmetricEigen(_ matrix: [Double], size n: Int) -> (values: [Double], vectors: [Double]) {
        var a = matrix
        let w = BLAS.symmetricEigen(&a, size: n)
        // LAPACK returns ascending values and column-major vectors: reverse both orders.
        var values = [Double](repeating: 0, count: n)
        var vectors = [Double](repeating: 0, count: n * n)
        for j in 0..<n {
            let source = n - 1 - j
            values[j] = w[source]
            for i in 0..<n { vectors[i * n + j] = a[source * n + i] }
        }
        return (values, vectors)
    }

    /// Orthonormal columns spanning Y's (twice: eigen-orthonormalisation of the Gram matrix, which
    /// loses accuracy like Cholesky-QR, restored by the second round). Directions with negligible
    /// weight become zero columns.
    static func orthonormalize(_ y: inout DenseMatrix) {
        let l = y.columns
        let rows = y.rows
        // Y·T in place, a block of rows at a time (row i of the product needs only row i of Y).
        let block = 4096
        var scratch = [Float](repeating: 0, count: min(rows, block) * l)
        for _ in 0..<2 {
            let (lambda, w) = symmetricEigen(gram(y), size: l)
            let top = lambda.first ?? 0
            var transform = [Float](repeating: 0, count: l * l)
            for j in 0..<l where lambda[j] > top * 1e-12 && lambda[j] > 0 {
                let scale = 1 / lambda[j].squareRoot()
                for i in 0..<l { transform[i * l + j] = Float(w[i * l + j] * scale) }
            }
            y.values.withUnsafeMutableBufferPointer { v in
                transform.withUnsafeBufferPointer { t in
                    scratch.withUnsafeMutableBufferPointer { out in
                        var start = 0
                        while start < rows {
                            let count = min(block, rows - start)
                            let a = v.baseAddress! + start * l
                            BLAS.sgemm(
                                transposeB: false, m: count, n: l, k: l, a: a, lda: l, b: t.baseAddress, ldb: l,
                                c: out.baseAddress, ldc: l)
                            a.update(from: out.baseAddress!, count: count * l)
                            start += count
                        }
                    }
                }
            }
        }
    }
}
