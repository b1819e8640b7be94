import Foundation
import KindredCore
import KindredSimilarity

/// What `kindred vectors` is asked to do.
public struct VectorsRequest: Sendable {
    /// Clean people (JSON Lines).
    public var input: String
    /// Output folder.
    public var output: String
    /// LSA dimensions (0: no embedding).
    public var dimensions = GraphSettings().dimensions
    /// Seed of the LSA sketch.
    public var seed = GraphSettings().seed
    public var threads: Int?

    public init(input: String, output: String) {
        self.input = input
        self.output = output
    }
}

/// What `kindred vectors` wrote.
public struct VectorsOutcome: Sendable {
    public var people: Int
    public var features: Int
    public var nonzeros: Int
    public var lsaSeconds: Double
    public var seconds: Double
}

/// Writes the TF-IDF matrix (CSR arrays) and the LSA embedding of clean people as NumPy files: the exact
/// inputs the k-NN kernels see (for `kindred knn`, benchmarks and analysts' notebooks).
public enum VectorsStage {
    /// Writes OUTPUT/tfidf/{indptr,indices,data}.npy, OUTPUT/embedding.npy (with dimensions > 0) and
    /// OUTPUT/vocabulary.txt. Row r is the r-th person of the input; ids are not written.
    public static func run(_ request: VectorsRequest) throws -> VectorsOutcome {
        guard request.dimensions >= 0 else { throw KindredError.usage("--dimensions must be ≥ 0") }
        let started = ContinuousClock.now
        let people = try GraphStage.readPeople(path: request.input)
        var vectorizer = PeopleVectorizer()
        let vectors = vectorizer.fitTransform(people)
        try makeFolder(request.output)
        let tfidf = joinPath(request.output, "tfidf")
        try makeFolder(tfidf)
        try NumpyFormat.write(vectors.offsets.map { Int64($0) }, shape: [vectors.offsets.count], to: joinPath(tfidf, "indptr.npy"))
        try NumpyFormat.write(vectors.columns.map { Int32(bitPattern: $0) }, shape: [vectors.columns.count], to: joinPath(tfidf, "indices.npy"))
        try NumpyFormat.write(vectors.values, shape: [vectors.values.count], to: joinPath(tfidf, "data.npy"))
        let vocabulary = try AtomicFileWriter(path: joinPath(request.output, "vocabulary.txt"))
        try vocabulary.write(vectorizer.vocabulary.joined(separator: "\n") + "\n")
        try vocabulary.commit()
        var lsaSeconds = 0.0
        if request.dimensions > 0 {
            let clock = ContinuousClock.now
            let model = LSAModel.fit(vectors, dimensions: request.dimensions, seed: request.seed, threads: request.threads)
            let embedding = model.embed(vectors, threads: request.threads)
            lsaSeconds = seconds(since: clock)
            try NumpyFormat.write(embedding.values, shape: [embedding.rows, embedding.columns], to: joinPath(request.output, "embedding.npy"))
        }
        return VectorsOutcome(
            people: people.count, features: vectors.columnCount, nonzeros: vectors.values.count, lsaSeconds: lsaSeconds,
            seconds: seconds(since: started))
    }
}

/// What `kindred knn` is asked to do: exact (or approximate) top-k neighbours of NumPy rows.
public struct KNNRequest: Sendable {
    /// Dense rows (a 2-D float32 .npy file) or sparse rows (a CSR folder): exactly one.
    public var dense: String?
    public var sparse: String?
    public var k = 20
    /// Neighbours below this score are left out (default: none for dense, 0 for sparse).
    public var minimumSimilarity: Float?
    public var threads: Int?
    public var blockSize = DenseKNN.defaultBlockSize
    /// Dense only: inverted-file search, and rows sampled to measure its recall@k (0: none).
    public var approximate = false
    public var approximateOptions = ApproximateKNN.Options()
    public var recallSample = 2000
    /// Sparse only: features carried by more than this share of rows are skipped (1: exact).
    public var maximumDocumentFrequency = 1.0
    /// Also measure the kernel's GFLOP/s against sgemm alone on the first 60,000 rows.
    public var sgemmBaseline = false
    /// Output prefix: PREFIX.ids.npy and PREFIX.scores.npy.
    public var output: String

    public init(output: String) { self.output = output }

    /// The method's name in summaries.
    public var methodName: String {
        dense == nil ? (maximumDocumentFrequency < 1 ? "sparse-pruned" : "sparse-exact") : approximate ? "dense-approximate" : "dense-exact"
    }
}

/// What `kindred knn` measured.
public struct KNNOutcome: Sendable {
    public var rows = 0
    public var seconds = 0.0
    public var recall: Double?
    public var kernelGFLOPS: Double?
    public var subsetGFLOPS: Double?
    public var baselineGFLOPS: Double?
    public var peakGFLOPS: Double?
}

/// Top-k neighbours of every row of a NumPy matrix, written as NumPy arrays.
public enum KNNStage {
    /// Reads the rows, searches, writes PREFIX.ids.npy (uint32, n×k; 4294967295 = none) and PREFIX.scores.npy.
    public static func run(_ request: KNNRequest) throws -> KNNOutcome {
        try check(request)
        let table: NeighborTable
        var outcome: KNNOutcome
        if let dense = request.dense {
            (table, outcome) = try searchDense(dense, request)
        } else {
            (table, outcome) = try searchSparse(request.sparse!, request)
        }
        try NumpyFormat.write(table.neighbors, shape: [outcome.rows, request.k], to: request.output + ".ids.npy")
        try NumpyFormat.write(table.similarities, shape: [outcome.rows, request.k], to: request.output + ".scores.npy")
        return outcome
    }

    private static func check(_ request: KNNRequest) throws {
        guard (request.dense == nil) != (request.sparse == nil) else { throw KindredError.usage("give exactly one of --dense and --sparse") }
        guard request.k >= 1 else { throw KindredError.usage("--k must be at least 1") }
        if request.approximate && request.dense == nil { throw KindredError.usage("--approximate needs --dense") }
        guard request.approximateOptions.probes >= 1 else { throw KindredError.usage("--probes must be at least 1") }
        if let cells = request.approximateOptions.cells, cells < 1 { throw KindredError.usage("--cells must be at least 1") }
        if let threads = request.threads, threads < 1 { throw KindredError.usage("--threads must be at least 1") }
        guard request.maximumDocumentFrequency > 0 && request.maximumDocumentFrequency <= 1 else {
            throw KindredError.usage("--max-df must be in (0, 1]")
        }
    }

    private static func searchDense(_ path: String, _ request: KNNRequest) throws -> (NeighborTable, KNNOutcome) {
        let (shape, values) = try NumpyFormat.readFloat32(path)
        guard shape.count == 2 else { throw KindredError.badInput("expected a 2-D array, shape is \(shape)", file: path, line: nil, field: "shape") }
        let matrix = DenseMatrix(rows: shape[0], columns: shape[1], values: values)
        var outcome = KNNOutcome(rows: shape[0])
        let (k, threads, minimum) = (request.k, request.threads, request.minimumSimilarity ?? -.infinity)
        let clock = ContinuousClock.now
        let table: NeighborTable
        if request.approximate {
            let options = request.approximateOptions
            table = ApproximateKNN.neighbors(of: matrix, k: k, minimumSimilarity: minimum, options: options, threads: threads)
            outcome.seconds = seconds(since: clock)
            if request.recallSample > 0 {
                var rng = SeededGenerator(seed: options.seed, stream: 0x5A)
                let sample = (0..<min(request.recallSample, matrix.rows)).map { _ in Int(rng.next() % UInt64(matrix.rows)) }
                outcome.recall = ApproximateKNN.recall(of: table, vectors: matrix, sample: Array(Set(sample)).sorted(), threads: threads)
            }
            return (table, outcome)
        }
        table = DenseKNN.neighbors(of: matrix, k: k, minimumSimilarity: minimum, threads: threads, blockSize: request.blockSize)
        outcome.seconds = seconds(since: clock)
        // The self-join multiplies each pair of rows once: n(n+1)/2 · d multiply-adds.
        let n = Double(matrix.rows)
        outcome.kernelGFLOPS = n * (n + 1) / 2 * Double(matrix.columns) * 2 / outcome.seconds / 1e9
        if request.sgemmBaseline {
            let (fused, plain) = DenseKNN.fusedAndPlainThroughput(of: matrix, rows: 60000, k: k, threads: threads, blockSize: request.blockSize)
            outcome.subsetGFLOPS = fused
            outcome.baselineGFLOPS = plain
            outcome.peakGFLOPS = DenseKNN.sgemmThroughput(depth: matrix.columns, blockSize: request.blockSize, threads: threads)
        }
        return (table, outcome)
    }

    private static func searchSparse(_ folder: String, _ request: KNNRequest) throws -> (NeighborTable, KNNOutcome) {
        let offsets = try NumpyFormat.readIntegers(joinPath(folder, "indptr.npy")).values
        let columns = try NumpyFormat.readIntegers(joinPath(folder, "indices.npy")).values
        let values = try NumpyFormat.readFloat32(joinPath(folder, "data.npy")).values
        guard offsets.first == 0, offsets.last == columns.count, columns.count == values.count else {
            throw KindredError.badInput("indptr, indices and data disagree", file: folder, line: nil, field: "indptr")
        }
        let vectors = SparseVectors(
            offsets: offsets, columns: columns.map { UInt32(truncatingIfNeeded: $0) }, values: values, columnCount: (columns.max() ?? -1) + 1)
        var outcome = KNNOutcome(rows: vectors.rowCount)
        let clock = ContinuousClock.now
        let table = SparseKNN.neighbors(
            of: vectors, k: request.k, minimumSimilarity: request.minimumSimilarity ?? 0, threads: request.threads,
            maximumDocumentFrequency: request.maximumDocumentFrequency)
        outcome.seconds = seconds(since: clock)
        return (table, outcome)
    }
}

/// Seconds since `start`.
func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}
