import ArgumentParser
import Foundation
import KindredCore
import KindredSimilarity

/// `kindred knn`: exact top-k neighbours of vectors given as NumPy files (for benchmarks and for
/// vectors made elsewhere).
struct KNNCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "knn",
        abstract: "Exact top-k inner-product neighbours of every row of a dense (.npy float32) or sparse (CSR folder) matrix.",
        discussion: """
            Rows should be L2-normalised (then scores are cosines). A sparse matrix is a folder with \
            indptr.npy, indices.npy and data.npy (scipy.sparse.csr_matrix's arrays). Writes \
            PREFIX.ids.npy (uint32, n×k; 4294967295 = no neighbour) and PREFIX.scores.npy (float32).
            """)

    @Option(help: "Dense rows: a 2-D float32 .npy file.") var dense: String?
    @Option(help: "Sparse rows: a folder with indptr.npy, indices.npy, data.npy.") var sparse: String?
    @Option(help: "Neighbours per row.") var k = 20
    @Option(help: "Leave out neighbours below this score.") var minSimilarity: Float?
    @Option(help: "Worker threads (default: the CPUs this process may use, container quota included); never changes the result.") var threads: Int?
    @Option(help: "Rows per block of the dense tiles.") var blockSize = DenseKNN.defaultBlockSize
    @Flag(help: "Dense only: approximate inverted-file search (k-means cells, --probes nearest cells searched exactly).") var approximate = false
    @Option(help: "Approximate: cells (default √n).") var cells: Int?
    @Option(help: "Approximate: cells searched per row.") var probes = 8
    @Option(help: "Approximate: measure recall@k against exact search on this many sampled rows (0: skip).") var recallSample = 2000
    @Option(help: "Random seed (approximate search).") var seed: UInt64 = 0
    @Option(help: "Sparse only: skip features carried by more than this share of rows (pruning; approximate; default 1 = exact).") var maxDf = 1.0
    @Option(help: "Output prefix: PREFIX.ids.npy and PREFIX.scores.npy.") var output: String
    @Flag(help: "Also measure, on the first 60,000 rows, the kernel's GFLOP/s against the same tiles with sgemm alone (no selection), and sgemm's cache-resident peak.") var sgemmBaseline = false
    @Flag(help: "Print one JSON summary object on stdout.") var json = false

    @OptionGroup var resources: ResourceOptions

    func run() throws {
        try guarded(resources) {
            guard (dense == nil) != (sparse == nil) else { throw KindredError.usage("give exactly one of --dense and --sparse") }
            guard k >= 1 else { throw KindredError.usage("--k must be at least 1") }
            if approximate && dense == nil { throw KindredError.usage("--approximate needs --dense") }
            guard probes >= 1 else { throw KindredError.usage("--probes must be at least 1") }
            if let cells, cells < 1 { throw KindredError.usage("--cells must be at least 1") }
            if let threads, threads < 1 { throw KindredError.usage("--threads must be at least 1") }
            let table: NeighborTable
            let rows: Int
            var seconds = 0.0
            var kernelGFLOPS: Double?
            var baselineGFLOPS: Double?
            var subsetGFLOPS: Double?
            var recall: Double?
            var peakGFLOPS: Double?
            if let dense {
                let (shape, values) = try NumpyFormat.readFloat32(dense)
                guard shape.count == 2 else { throw KindredError.badInput("expected a 2-D array, shape is \(shape)", file: dense, line: nil, field: "shape") }
                let matrix = DenseMatrix(rows: shape[0], columns: shape[1], values: values)
                rows = shape[0]
                let clock = ContinuousClock.now
                if approximate {
                    var options = ApproximateKNN.Options()
                    options.cells = cells
                    options.probes = probes
                    options.seed = seed
                    table = ApproximateKNN.neighbors(of: matrix, k: k, minimumSimilarity: minSimilarity ?? -.infinity, options: options, threads: threads)
                    seconds = elapsed(since: clock)
                    if recallSample > 0 {
                        var rng = SeededGenerator(seed: seed, stream: 0x5A)
                        let sample = (0..<min(recallSample, matrix.rows)).map { _ in Int(rng.next() % UInt64(matrix.rows)) }
                        recall = ApproximateKNN.recall(of: table, vectors: matrix, sample: Array(Set(sample)).sorted(), threads: threads)
                    }
                } else {
                    table = DenseKNN.neighbors(of: matrix, k: k, minimumSimilarity: minSimilarity ?? -.infinity, threads: threads, blockSize: blockSize)
                    seconds = elapsed(since: clock)
                }
                // The self-join multiplies each pair of rows once: n(n+1)/2 · d multiply-adds.
                let n = Double(matrix.rows)
                if !approximate { kernelGFLOPS = n * (n + 1) / 2 * Double(matrix.columns) * 2 / seconds / 1e9 }
                if sgemmBaseline && !approximate {
                    let (fused, plain) = DenseKNN.fusedAndPlainThroughput(of: matrix, rows: 60000, k: k, threads: threads, blockSize: blockSize)
                    subsetGFLOPS = fused
                    baselineGFLOPS = plain
                    peakGFLOPS = DenseKNN.sgemmThroughput(depth: matrix.columns, blockSize: blockSize, threads: threads)
                }
            } else {
                let folder = sparse!
                let offsets = try NumpyFormat.readIntegers(joinPath(folder, "indptr.npy")).values
                let columns = try NumpyFormat.readIntegers(joinPath(folder, "indices.npy")).values
                let values = try NumpyFormat.readFloat32(joinPath(folder, "data.npy")).values
                guard offsets.first == 0, offsets.last == columns.count, columns.count == values.count else {
                    throw KindredError.badInput("indptr, indices and data disagree", file: folder, line: nil, field: "indptr")
                }
                let vectors = SparseVectors(
                    offsets: offsets, columns: columns.map { UInt32(truncatingIfNeeded: $0) }, values: values,
                    columnCount: (columns.max() ?? -1) + 1)
                rows = vectors.rowCount
                let clock = ContinuousClock.now
                guard maxDf > 0 && maxDf <= 1 else { throw KindredError.usage("--max-df must be in (0, 1]") }
                table = SparseKNN.neighbors(of: vectors, k: k, minimumSimilarity: minSimilarity ?? 0, threads: threads, maximumDocumentFrequency: maxDf)
                seconds = elapsed(since: clock)
            }
            try NumpyFormat.write(table.neighbors, shape: [rows, k], to: output + ".ids.npy")
            try NumpyFormat.write(table.similarities, shape: [rows, k], to: output + ".scores.npy")
            if json {
                var j = JSONText()
                j.add("rows", rows)
                j.add("k", k)
                j.add("method", dense == nil ? (maxDf < 1 ? "sparse-pruned" : "sparse-exact") : approximate ? "dense-approximate" : "dense-exact")
                if let recall { j.add("recall_sample", recall, digits: 4) }
                j.add("seconds", seconds, digits: 3)
                if let kernelGFLOPS { j.add("gflops", kernelGFLOPS, digits: 2) }
                if let subsetGFLOPS { j.add("subset_gflops", subsetGFLOPS, digits: 2) }
                if let baselineGFLOPS { j.add("sgemm_gflops", baselineGFLOPS, digits: 2) }
                if let peakGFLOPS { j.add("sgemm_peak_gflops", peakGFLOPS, digits: 2) }
                print(j.text)
            } else {
                print("knn: \(rows) rows, k = \(k), \(fixed(seconds, 2)) s → \(output).ids.npy, \(output).scores.npy")
            }
        }
    }
}

/// Seconds since `start`.
func elapsed(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}
