import KindredCommunity

/// How a run clusters its sample: the config's `[cluster]` table. Defaults are the algorithm's
/// (`LouvainOptions`), except the resolution, which is the one people graphs are clustered at.
public struct ClusterSettings: Codable, Sendable, Equatable {
    /// Leiden (connected clusters) or Louvain.
    public var algorithm = LouvainOptions().algorithm
    /// Resolution γ ≥ 0: higher gives more, smaller clusters; 0 one cluster per connected component.
    public var resolution = ClusterRequest.peopleResolution
    /// Runs of the whole method, each from the previous partition.
    public var iterations = LouvainOptions().iterations
    /// The first level's pass tolerance (threshold scaling).
    public var tolerance = LouvainOptions().initialTolerance
    /// Leiden refinement rounds (1 or 2).
    public var refinementRounds = LouvainOptions().refinementRounds
    /// The last polishing round.
    public var polish = LouvainOptions().polish
    /// Consensus of several seeded runs (`Consensus`): runs per round, vote threshold, most rounds.
    /// People graphs use `ClusterRequest.peopleConsensusRuns` runs.
    public var consensus = ConsensusOptions(runs: ClusterRequest.peopleConsensusRuns)

    public init() {}

    /// The algorithm's options for these settings.
    public func options(seed: UInt64, threads: Int?) -> LouvainOptions {
        var options = LouvainOptions()
        options.algorithm = algorithm
        options.resolution = resolution
        options.iterations = iterations
        options.initialTolerance = tolerance
        options.refinementRounds = refinementRounds
        options.polish = polish
        options.seed = seed
        options.threads = threads
        return options
    }

    /// The first setting out of range, as (config key, message), or nil.
    public func problem() -> (field: String, message: String)? {
        if !(resolution.isFinite && resolution >= 0) { return ("resolution", "must be a finite number ≥ 0") }
        if iterations < 1 { return ("iterations", "must be ≥ 1") }
        if !(tolerance.isFinite && tolerance > 0) { return ("tolerance", "must be a positive number") }
        if !(1...2).contains(refinementRounds) { return ("refinement_rounds", "must be 1 or 2") }
        if let problem = consensus.problem() { return problem }
        return nil
    }
}
