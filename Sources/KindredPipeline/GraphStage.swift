import Foundation
import KindredCore
import KindredGraph
import KindredPeople
import KindredSimilarity

/// What `kindred graph` is asked to do.
public struct GraphRequest: Sendable {
    public var input: String
    public var output: String
    /// Also write the graph as an edge list here.
    public var edges: String?
    public var k = 15
    public var minimumSimilarity: Float = 0.0
    public var weights = MetricWeights()
    public var symmetrization = GraphRequest.defaultSymmetrization
    /// How directed k-NN lists become edges by default: the mean of the two directions, so a one-sided
    /// neighbour counts half (measured better than max on `scripts/eval-people`'s dev split).
    public static let defaultSymmetrization = Symmetrization.mean
    /// How candidates are found: exact sparse TF-IDF search or exact dense search over the LSA embedding.
    public var method = SearchMethod.sparse
    /// LSA dimensions for the dense method.
    public var dimensions = 128
    /// Candidates per person = k × this, re-scored with the full metric (≥ 1).
    public var candidateFactor = 2
    /// Seed of the LSA sketch.
    public var seed: UInt64 = 0
    /// Worker threads (nil: all cores); never changes the graph.
    public var threads: Int?
    /// Also write a similarity model folder here (for `kindred similar`).
    public var model: String?
    /// Where to count people done (phases `fitting the metric`, `searching neighbours` for the sparse
    /// method, `re-ranking`). Never changes the graph.
    public var progress: ProgressCounter?

    public init(input: String, output: String) {
        self.input = input
        self.output = output
    }
}

/// The k-NN graph that was built and its degree statistics.
public struct GraphOutcome: Sendable {
    public var people: Int
    public var features: Int
    public var vertices: Int
    public var edges: Int
    public var minimumDegree: Int
    public var meanDegree: Double
    public var maximumDegree: Int
    public var isolated: Int
    public var seconds: Double
    public var method = SearchMethod.sparse
    public var searchSeconds = 0.0
}

/// How `kindred graph` finds each person's candidate neighbours.
public enum SearchMethod: String, Sendable, CaseIterable {
    /// Exact top-k over the TF-IDF vectors (inverted index).
    case sparse
    /// Exact top-k over the LSA embedding (OpenBLAS sgemm tiles): related skills and synonyms meet.
    case dense
    /// Approximate top-k over the LSA embedding (inverted file: k-means cells, nearest cells searched
    /// exactly), for very large samples.
    case approximate
}

/// A k-NN graph and what was fitted to build it, handed on to the model stage so that nothing is fitted twice.
public struct BuiltGraph: Sendable {
    public var graph: Graph
    /// The people metric fitted on the graph's people (vertex order), and their TF-IDF vectors.
    public var metric: PeopleMetric
    public var vectors: SparseVectors
    /// The LSA model and embedding the dense methods searched, with the dimensions and seed asked for
    /// (nil for the sparse method).
    public var lsa: (model: LSAModel, embedding: DenseMatrix, dimensions: Int, seed: UInt64)?
    public var searchSeconds: Double
    /// Vocabulary size.
    public var features: Int { metric.vectorizer.vocabulary.count }
}

/// Reads clean people, vectorises them and writes their exact k-NN similarity graph.
public enum GraphStage {
    /// Reads every person of a people file into memory.
    /// - Throws: on the first bad record, naming file, line and field (graph input should be clean output).
    public static func readPeople(path: String, threads: Int? = nil) throws -> [Person] {
        let reader = try PeopleReader(path: path)
        var people: [Person] = []
        while true {
            let batch = try reader.nextBatch(8192, threads: threads)
            if batch.isEmpty { break }
            for item in batch {
                switch item {
                case .person(let person, _): people.append(person)
                case .quarantined(let record):
                    throw KindredError.badInput(
                        record.reason + " (run `kindred clean` first; it quarantines bad records)", file: record.file, line: record.line,
                        field: record.field)
                }
            }
        }
        if people.isEmpty { throw KindredError.badInput("the file is empty: no people records", file: path, line: nil) }
        return people
    }

    /// Builds the graph in memory, with the metric, vectors and (dense methods) LSA embedding it fitted.
    public static func build(people: [Person], request: GraphRequest) throws -> BuiltGraph {
        guard request.k >= 1 else { throw KindredError.usage("--k must be at least 1") }
        guard request.candidateFactor >= 1 else { throw KindredError.usage("--candidates must be at least 1") }
        guard request.dimensions >= 1 else { throw KindredError.usage("--dimensions must be at least 1") }
        if let problem = request.weights.problem() { throw KindredError.usage("metric weight \(problem.field): \(problem.message)") }
        request.progress?.start(phase: "fitting the metric")
        let (metric, profiles) = PeopleMetric.fit(people, weights: request.weights, threads: request.threads)
        let vectors = metric.vectors(profiles)
        let candidates = request.k * request.candidateFactor
        // The candidate table (index + score) and both directions of the k-NN edges; dense adds the embedding.
        let dense = request.method == .dense ? 4 * request.dimensions : 0
        try MemoryBudget.require(
            people.count * (8 * candidates + 32 * request.k + dense), for: "the k-NN graph of \(people.count) people (k \(request.k))",
            advice: "build the graph of a smaller sample of people (kindred run: [sample] size), lower --k or --candidates, or raise --max-memory")
        let started = ContinuousClock.now
        let table: NeighborTable
        var fittedLSA: (model: LSAModel, embedding: DenseMatrix, dimensions: Int, seed: UInt64)?
        switch request.method {
        case .sparse:
            request.progress?.start(phase: "searching neighbours", total: people.count)
            table = SparseKNN.neighbors(of: vectors, k: candidates, minimumSimilarity: 0, threads: request.threads, progress: request.progress)
        case .dense:
            let lsa = LSAModel.fit(vectors, dimensions: request.dimensions, seed: request.seed, threads: request.threads)
            let embedding = lsa.embed(vectors, threads: request.threads)
            fittedLSA = (lsa, embedding, request.dimensions, request.seed)
            table = DenseKNN.neighbors(of: embedding, k: candidates, minimumSimilarity: 0, threads: request.threads)
        case .approximate:
            let lsa = LSAModel.fit(vectors, dimensions: request.dimensions, seed: request.seed, threads: request.threads)
            let embedding = lsa.embed(vectors, threads: request.threads)
            fittedLSA = (lsa, embedding, request.dimensions, request.seed)
            var options = ApproximateKNN.Options()
            options.seed = request.seed
            table = ApproximateKNN.neighbors(of: embedding, k: candidates, minimumSimilarity: 0, options: options, threads: request.threads)
        }
        request.progress?.start(phase: "re-ranking", total: people.count)
        let ranked = MetricRerank.rerank(
            table, profiles: profiles, metric: metric, k: request.k, minimumSimilarity: request.minimumSimilarity,
            denseText: request.method != .sparse, threads: request.threads, progress: request.progress)
        let d = ContinuousClock.now - started
        let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        let graph = KNNGraphBuilder.graph(from: ranked, ids: people.map(\.id), symmetrization: request.symmetrization)
        return BuiltGraph(graph: graph, metric: metric, vectors: vectors, lsa: fittedLSA, searchSeconds: seconds)
    }

    /// Runs the stage and writes the outputs atomically.
    public static func run(_ request: GraphRequest) throws -> (GraphOutcome, Graph) {
        let started = Date()
        let people = try readPeople(path: request.input, threads: request.threads)
        let built = try build(people: people, request: request)
        let (graph, features, searchSeconds) = (built.graph, built.features, built.searchSeconds)
        try KGraphFormat.write(graph, to: request.output, kind: .peopleSimilarity)
        if let edges = request.edges { try EdgeListFormat.write(graph, to: edges) }
        var degrees: [Int] = []
        degrees.reserveCapacity(graph.vertexCount)
        for v in 0..<graph.vertexCount { degrees.append(graph.offsets[v + 1] - graph.offsets[v]) }
        let outcome = GraphOutcome(
            people: people.count, features: features, vertices: graph.vertexCount, edges: graph.edgeCount,
            minimumDegree: degrees.min() ?? 0,
            meanDegree: degrees.isEmpty ? 0 : Double(degrees.reduce(0, +)) / Double(degrees.count),
            maximumDegree: degrees.max() ?? 0, isolated: degrees.filter { $0 == 0 }.count,
            seconds: Date().timeIntervalSince(started), method: request.method, searchSeconds: searchSeconds)
        if let model = request.model { try SimilarityModel.write(to: model, request: request, input: request.input) }
        return (outcome, graph)
    }
}
