import KindredCore

/// How the k-NN graph of people is built: the one place its settings and their defaults are declared.
/// The run config's `[graph]` and `[metric]` tables, `kindred graph`'s flags, the similarity model's
/// manifest and the cluster model's parameters all hold this type.
public struct GraphSettings: Codable, Sendable, Equatable {
    /// Neighbours per person.
    public var k = 15
    /// Neighbours below this similarity are left out.
    public var minimumSimilarity: Float = 0
    /// How directed k-NN lists become edges: by default the mean of the two directions, so a one-sided
    /// neighbour counts half (measured better than max on `scripts/eval-people`'s dev split).
    public var symmetrization = Symmetrization.mean
    /// The people metric.
    public var weights = MetricWeights()
    /// How candidates are found: exact sparse TF-IDF search, or search over the LSA embedding.
    public var method = SearchMethod.sparse
    /// LSA dimensions for the dense methods (and the cluster model's embedding).
    public var dimensions = 128
    /// Candidates per person = k × this, re-scored with the full metric (≥ 1).
    public var candidateFactor = 2
    /// Seed of the LSA sketch (and of the approximate method's k-means).
    public var seed: UInt64 = 0
    /// The approximate method's cells (nil: √n) and cells searched per person.
    public var approximateCells: Int?
    public var approximateProbes = ApproximateKNN.Options().probes

    public init() {}

    /// The similarity model's manifest keys (the cluster model's parameters spell two of them differently,
    /// `graph_method` and `candidates`, and add the rest: see `ClusterModel.Parameters`). Settings a
    /// manifest leaves out read as their defaults.
    enum CodingKeys: String, CodingKey {
        case method, dimensions, seed, k
        case candidateFactor = "candidate_factor"
        case weights
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        method = try c.decode(SearchMethod.self, forKey: .method)
        dimensions = try c.decode(Int.self, forKey: .dimensions)
        seed = try c.decode(UInt64.self, forKey: .seed)
        k = try c.decodeIfPresent(Int.self, forKey: .k) ?? k
        candidateFactor = try c.decodeIfPresent(Int.self, forKey: .candidateFactor) ?? candidateFactor
        weights = try c.decodeIfPresent(MetricWeights.self, forKey: .weights) ?? weights
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(method, forKey: .method)
        try c.encode(dimensions, forKey: .dimensions)
        try c.encode(seed, forKey: .seed)
        try c.encode(k, forKey: .k)
        try c.encode(candidateFactor, forKey: .candidateFactor)
        try c.encode(weights, forKey: .weights)
    }

    /// The first setting out of range, as (config key, message), or nil.
    public func problem() -> (field: String, message: String)? {
        if k < 1 { return ("k", "must be at least 1") }
        if candidateFactor < 1 { return ("candidates", "must be at least 1") }
        if dimensions < 1 { return ("dimensions", "must be at least 1") }
        if let cells = approximateCells, cells < 1 { return ("cells", "must be at least 1") }
        if approximateProbes < 1 { return ("probes", "must be at least 1") }
        if !minimumSimilarity.isFinite { return ("min_similarity", "must be a finite number") }
        if let problem = weights.problem() { return (problem.field, problem.message) }
        return nil
    }
}
