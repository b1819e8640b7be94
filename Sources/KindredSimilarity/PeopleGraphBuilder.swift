import KindredCore
import KindredGraph
import KindredPeople

/// How `kindred graph` finds each person's candidate neighbours.
public enum SearchMethod: String, Codable, Sendable, CaseIterable {
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

/// The k-NN graph of people: metric, candidate search (sparse index, or exact or approximate search over
/// the LSA embedding), re-ranking with the full metric, symmetrisation. No files.
public enum PeopleGraphBuilder {
    /// Builds the k-NN graph of `people` (vertex i: `people[i]`) under `settings`: the metric is fitted,
    /// candidates found by the settings' search method, re-scored with the full metric, and the best k
    /// symmetrised into edges. `progress` counts phases `fitting the metric`, `searching neighbours`
    /// (sparse) and `re-ranking`. Never depends on `threads`.
    /// - Throws: `KindredError` (`.usage`) for settings out of range, or the memory limit.
    public static func build(people: [Person], settings: GraphSettings, threads: Int?, progress: ProgressCounter?) throws -> BuiltGraph {
        guard settings.k >= 1 else { throw KindredError.usage("--k must be at least 1") }
        guard settings.candidateFactor >= 1 else { throw KindredError.usage("--candidates must be at least 1") }
        guard settings.dimensions >= 1 else { throw KindredError.usage("--dimensions must be at least 1") }
        if let problem = settings.problem(), problem.field == "cells" || problem.field == "probes" {
            throw KindredError.usage("--\(problem.field) \(problem.message)")
        }
        if let problem = settings.weights.problem() { throw KindredError.usage("metric weight \(problem.field): \(problem.message)") }
        progress?.start(phase: "fitting the metric")
        let (metric, profiles) = PeopleMetric.fit(people, weights: settings.weights, threads: threads)
        let vectors = metric.vectors(profiles)
        let candidates = settings.k * settings.candidateFactor
        // The candidate table (index + score) and both directions of the k-NN edges; dense adds the embedding.
        let dense = settings.method == .dense ? 4 * settings.dimensions : 0
        try MemoryBudget.require(
            people.count * (8 * candidates + 32 * settings.k + dense), for: "the k-NN graph of \(people.count) people (k \(settings.k))",
            advice: "build the graph of a smaller sample of people (kindred run: [sample] size), lower --k or --candidates, or raise --max-memory")
        let started = ContinuousClock.now
        let table: NeighborTable
        var fittedLSA: (model: LSAModel, embedding: DenseMatrix, dimensions: Int, seed: UInt64)?
        switch settings.method {
        case .sparse:
            progress?.start(phase: "searching neighbours", total: people.count)
            table = SparseKNN.neighbors(of: vectors, k: candidates, minimumSimilarity: 0, threads: threads, progress: progress)
        case .dense:
            let lsa = LSAModel.fit(vectors, dimensions: settings.dimensions, seed: settings.seed, threads: threads)
            let embedding = lsa.embed(vectors, threads: threads)
            fittedLSA = (lsa, embedding, settings.dimensions, settings.seed)
            table = DenseKNN.neighbors(of: embedding, k: candidates, minimumSimilarity: 0, threads: threads)
        case .approximate:
            let lsa = LSAModel.fit(vectors, dimensions: settings.dimensions, seed: settings.seed, threads: threads)
            let embedding = lsa.embed(vectors, threads: threads)
            fittedLSA = (lsa, embedding, settings.dimensions, settings.seed)
            var options = ApproximateKNN.Options()
            options.seed = settings.seed
            options.cells = settings.approximateCells
            options.probes = settings.approximateProbes
            table = ApproximateKNN.neighbors(of: embedding, k: candidates, minimumSimilarity: 0, options: options, threads: threads)
        }
        progress?.start(phase: "re-ranking", total: people.count)
        let ranked = MetricRerank.rerank(
            table, profiles: profiles, metric: metric, k: settings.k, minimumSimilarity: settings.minimumSimilarity,
            denseText: settings.method != .sparse, threads: threads, progress: progress)
        let d = ContinuousClock.now - started
        let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        let graph = KNNGraphBuilder.graph(from: ranked, ids: people.map(\.id), symmetrization: settings.symmetrization)
        return BuiltGraph(graph: graph, metric: metric, vectors: vectors, lsa: fittedLSA, searchSeconds: seconds)
    }
}
