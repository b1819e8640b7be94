import CBLAS

/// The one owner of OpenBLAS calls. Kindred runs its own tiles in parallel with Dispatch, so
/// OpenBLAS is held at one thread (two owners of the cores measured 20–25% slower).
public enum BLAS {
    /// Sets OpenBLAS to a single thread; call once at start-up.
    public static func useSingleThread() {
        openblas_set_num_threads(1)
    }

    /// The number of threads OpenBLAS will use.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }
}
