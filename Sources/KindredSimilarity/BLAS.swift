import CBLAS

/// The one owner of OpenBLAS and LAPACK calls. Kindred runs its own tiles in parallel with Dispatch, so
/// OpenBLAS is held at one thread (two owners of the cores measured 20–25% slower): set once per
/// process, at start-up (`useSingleThread`) or at the latest on the first call through this type,
/// never inside a kernel.
public enum BLAS {
    /// Sets OpenBLAS to a single thread; call once at start-up.
    public static func useSingleThread() { _ = singleThreaded }

    /// The number of threads OpenBLAS will use.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// Runs once per process (a lazily initialised global is thread-safe).
    @usableFromInline
    static let singleThreaded: Void = openblas_set_num_threads(1)

    /// Row-major C = alpha · A · B (or Bᵀ when `transposeB`, Aᵀ when `transposeA`) + beta · C: `m × n`
    /// results over depth `k`, with leading dimensions `lda`, `ldb`, `ldc`.
    @inlinable
    public static func sgemm(
        transposeA: Bool = false, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1, a: UnsafePointer<Float>?, lda: Int,
        b: UnsafePointer<Float>?, ldb: Int, beta: Float = 0, c: UnsafeMutablePointer<Float>?, ldc: Int
    ) {
        _ = singleThreaded
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), Int32(k), alpha,
            a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Eigenvalues (ascending) and eigenvectors (column-major, overwriting `matrix`) of a symmetric
    /// `n × n` matrix, by LAPACK `dsyevd` (its upper triangle read).
    static func symmetricEigen(_ matrix: inout [Double], size n: Int) -> [Double] {
        _ = singleThreaded
        var w = [Double](repeating: 0, count: n)
        var info: Int32 = 0
        var size = Int32(n)
        var lwork: Int32 = -1
        var liwork: Int32 = -1
        var workQuery = [Double](repeating: 0, count: 1)
        var iworkQuery = [Int32](repeating: 0, count: 1)
        "V".withCString { jobz in
            "U".withCString { uplo in
                dsyevd_(jobz, uplo, &size, &matrix, &size, &w, &workQuery, &lwork, &iworkQuery, &liwork, &info, 1, 1)
                lwork = Int32(workQuery[0])
                liwork = iworkQuery[0]
                var work = [Double](repeating: 0, count: Int(max(1, lwork)))
                var iwork = [Int32](repeating: 0, count: Int(max(1, liwork)))
                dsyevd_(jobz, uplo, &size, &matrix, &size, &w, &work, &lwork, &iwork, &liwork, &info, 1, 1)
            }
        }
        precondition(info == 0, "dsyevd failed (info \(info))")
        return w
    }
}
