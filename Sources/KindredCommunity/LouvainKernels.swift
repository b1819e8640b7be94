import KindredCore
import KindredGraph

/// The move and aggregation kernels on their own, for the benchmark package (`Benchmarks/`), which
/// imports them with `@_spi(Benchmarks) import KindredCommunity`. Not part of the public API.
@_spi(Benchmarks)
public enum LouvainKernels {
    /// One level-0 local-moving phase from singletons (colouring included).
    /// - Returns: the number of moves made.
    public static func movePhase(_ graph: Graph, threads: Int, seed: UInt64 = 0) -> Int {
        let level = LevelGraph(graph)
        let moved = Louvain.moveVertices(
            level, classes: Louvain.colorClasses(level), seed: seed, levelIndex: 0, initial: nil, fixed: nil,
            twoM: 2 * graph.totalWeight, resolution: 1, maxPasses: 100, tolerance: 1e-2, runner: ParallelRunner(threads: threads))
        return moved.moves
    }

    /// Leiden's refinement of `graph` inside the communities of one level-0 move phase (computed here,
    /// outside what a benchmark should time: call `refinementInput` once, then `refine`).
    public static func refinementInput(_ graph: Graph, threads: Int, seed: UInt64 = 0) -> (community: [UInt32], count: Int) {
        let level = LevelGraph(graph)
        let moved = Louvain.moveVertices(
            level, classes: Louvain.colorClasses(level), seed: seed, levelIndex: 0, initial: nil, fixed: nil,
            twoM: 2 * graph.totalWeight, resolution: 1, maxPasses: 100, tolerance: 1e-2, runner: ParallelRunner(threads: threads))
        let (community, count) = Louvain.compactLabels(moved.community)
        return (community, count)
    }

    /// The refinement (`rounds` 1 or 2) of `graph` inside `community` (labels in `0..<count`).
    /// - Returns: the number of sub-communities.
    public static func refine(_ graph: Graph, community: [UInt32], count: Int, rounds: Int, threads: Int) -> Int {
        let level = LevelGraph(graph)
        var total = [Double](repeating: 0, count: count)
        for v in 0..<level.vertexCount { total[Int(community[v])] += level.degrees[v] }
        let refined = Louvain.refine(
            level, community: community, communityCount: count, total: total, twoM: 2 * graph.totalWeight, resolution: 1,
            rounds: rounds, runner: ParallelRunner(threads: threads))
        return Louvain.compactLabels(refined).count
    }

    /// One aggregation of `graph` by `membership` (labels in `0..<count`, every one used).
    /// - Returns: the number of adjacency entries of the coarse graph.
    public static func aggregate(_ graph: Graph, membership: [UInt32], count: Int, threads: Int) -> Int {
        let coarse = Louvain.aggregate(LevelGraph(graph), label: membership, count: count, runner: ParallelRunner(threads: threads))
        return coarse.targets.count
    }
}
