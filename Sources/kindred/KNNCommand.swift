import ArgumentParser
import Foundation
import KindredCore
import KindredPipeline
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
    @Option(help: "Approximate: cells searched per row.") var probes = ApproximateKNN.Options().probes
    @Option(help: "Approximate: measure recall@k against exact search on this many sampled rows (0: skip).") var recallSample = KNNRequest(output: "").recallSample
    @Option(help: "Random seed (approximate search).") var seed = ApproximateKNN.Options().seed
    @Option(help: "Sparse only: skip features carried by more than this share of rows (pruning; approximate; default 1 = exact).") var maxDf = 1.0
    @Option(help: "Output prefix: PREFIX.ids.npy and PREFIX.scores.npy.") var output: String
    @Flag(help: "Also measure, on the first 60,000 rows, the kernel's GFLOP/s against the same tiles with sgemm alone (no selection), and sgemm's cache-resident peak.") var sgemmBaseline = false
    @Flag(help: "Print one JSON summary object on stdout.") var json = false

    @OptionGroup var resources: ResourceOptions

    func run() throws {
        try guarded(resources) {
            var request = KNNRequest(output: output)
            request.dense = dense
            request.sparse = sparse
            request.k = k
            request.minimumSimilarity = minSimilarity
            request.threads = threads
            request.blockSize = blockSize
            request.approximate = approximate
            request.approximateOptions.cells = cells
            request.approximateOptions.probes = probes
            request.approximateOptions.seed = seed
            request.recallSample = recallSample
            request.maximumDocumentFrequency = maxDf
            request.sgemmBaseline = sgemmBaseline
            let o = try KNNStage.run(request)
            if json {
                var j = JSONText()
                j.add("rows", o.rows)
                j.add("k", k)
                j.add("method", request.methodName)
                if let recall = o.recall { j.add("recall_sample", recall, digits: 4) }
                j.add("seconds", o.seconds, digits: 3)
                if let v = o.kernelGFLOPS { j.add("gflops", v, digits: 2) }
                if let v = o.subsetGFLOPS { j.add("subset_gflops", v, digits: 2) }
                if let v = o.baselineGFLOPS { j.add("sgemm_gflops", v, digits: 2) }
                if let v = o.peakGFLOPS { j.add("sgemm_peak_gflops", v, digits: 2) }
                print(j.text)
            } else {
                print("knn: \(o.rows) rows, k = \(k), \(fixed(o.seconds, 2)) s → \(output).ids.npy, \(output).scores.npy")
            }
        }
    }
}
