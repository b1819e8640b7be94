/// How out-of-sample people are assigned to the model's clusters: the one place these settings and
/// their defaults are declared (the run config's `[project]`, `kindred project`'s flags, `Projector`).
public struct ProjectionSettings: Codable, Sendable, Equatable {
    /// k-NN vote among the labelled sample, or nearest centroid.
    public var method = ProjectionMethod.vote
    /// Neighbours that vote.
    public var k = 10
    /// Nearest clusters whose members the vote searches (0: all).
    public var probes = 4

    public init() {}

    public init(method: ProjectionMethod, k: Int, probes: Int) {
        self.method = method
        self.k = k
        self.probes = probes
    }
}
