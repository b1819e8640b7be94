import Foundation
import KindredCommunity
import KindredCore
import KindredGraph

/// What `kindred cluster` is asked to do.
public struct ClusterRequest: Sendable {
    public var graph: String
    public var output: String
    /// Also write every level of the hierarchy here.
    public var levels: String?
    public var options = LouvainOptions()
    public var threads: Int?

    public init(graph: String, output: String) {
        self.graph = graph
        self.output = output
    }
}

/// The partition found and its quality.
public struct ClusterOutcome: Sendable {
    public var vertices: Int
    public var edges: Int
    public var modularity: Double
    public var communities: Int
    public var levels: Int
    public var seconds: Double
    public var membership: [UInt32]
}

/// Loads a graph, runs Louvain and writes `node,community`.
public enum ClusterStage {
    /// Clusters an in-memory graph (no files).
    public static func cluster(_ graph: Graph, options: LouvainOptions) throws -> CommunityResult {
        guard options.resolution.isFinite && options.resolution > 0 else {
            throw KindredError.usage("--resolution must be a positive number")
        }
        return Louvain.run(graph, options: options)
    }

    public static func run(_ request: ClusterRequest) throws -> ClusterOutcome {
        let graph = try GraphLoader.load(path: request.graph)
        let started = Date()
        let result = try cluster(graph, options: request.options)
        let seconds = Date().timeIntervalSince(started)
        try LabelFile.writePartition(ids: graph.ids, membership: result.membership, to: request.output)
        if let levels = request.levels { try LabelFile.writeLevels(ids: graph.ids, levels: result.levels, to: levels) }
        return ClusterOutcome(
            vertices: graph.vertexCount, edges: graph.edgeCount, modularity: result.modularity,
            communities: result.communityCount, levels: result.levels.count, seconds: seconds, membership: result.membership)
    }
}
