import KindredCore
import KindredGraph

/// Parameters of `Louvain.run(_:options:)`.
public struct LouvainOptions: Sendable, Equatable {
    /// The resolution γ, ≥ 0 (default 1, classic modularity). Larger values favour more, smaller
    /// communities; smaller values fewer, larger ones; 0 puts each connected component in one community.
    public var resolution: Double = 1.0
    /// Seed of the vertex visiting order. The same graph, options and seed always give the same result.
    public var seed: UInt64 = 0
    /// The most levels (move phase + aggregation) to run, ≥ 1 (default 50; real graphs need < 10).
    public var maxLevels: Int = 50
    /// The most local-moving passes over all vertices within one level, ≥ 1 (default 100).
    public var maxPassesPerLevel: Int = 100
    /// A level stops when one pass raises modularity by less than this (default 1e-7); the run stops
    /// after a level that raised it by less than this in total.
    public var minimumGain: Double = 1e-7

    /// Creates options; every parameter has the default described on its property.
    public init(
        resolution: Double = 1.0,
        seed: UInt64 = 0,
        maxLevels: Int = 50,
        maxPassesPerLevel: Int = 100,
        minimumGain: Double = 1e-7
    ) {
        self.resolution = resolution
        self.seed = seed
        self.maxLevels = maxLevels
        self.maxPassesPerLevel = maxPassesPerLevel
        self.minimumGain = minimumGain
    }
}

/// The outcome of a community detection run.
public struct CommunityResult: Sendable, Equatable {
    /// The community of each original vertex, numbered 0… by decreasing size (ties: the community
    /// whose smallest member vertex comes first gets the smaller number).
    public var membership: [UInt32]
    /// The membership of the original vertices after each level, each numbered the same way;
    /// `levels.last == membership`. At least one level (singletons when nothing could be merged).
    public var levels: [[UInt32]]
    /// The modularity of `membership` at the resolution used.
    public var modularity: Double
    /// The number of communities in `membership`.
    public var communityCount: Int

    /// Creates a result from its parts.
    public init(membership: [UInt32], levels: [[UInt32]], modularity: Double, communityCount: Int) {
        self.membership = membership
        self.levels = levels
        self.modularity = modularity
        self.communityCount = communityCount
    }
}

/// The Louvain method for community detection by modularity maximisation.
///
/// Follows Blondel, Guillaume, Lambiotte & Lefebvre, "Fast unfolding of communities in large
/// networks", J. Stat. Mech. (2008) P10008, doi:10.1088/1742-5468/2008/10/P10008:
/// 1. **Local moving** (`Louvain+MovePhase.swift`): starting from singletons, visit the vertices in an
///    order shuffled by the seed and move each to the neighbouring community with the largest
///    modularity gain (staying put on ties); repeat passes until a pass gains less than
///    `minimumGain` or `maxPassesPerLevel` passes ran.
/// 2. **Aggregation** (`Louvain+Aggregation.swift`): each community becomes a vertex; edge weights
///    between communities are summed, and the weight inside a community becomes a self-loop.
/// 3. Repeat on the coarser graph until a level moves no vertex, gains less than `minimumGain`, or
///    `maxLevels` levels ran.
///
/// Gains use the resolution γ: moving an isolated vertex i into community C gains
/// `k_i,C / m − γ · Σ_tot(C) · k_i / (2m²)`, where `k_i,C` is the weight from i into C,
/// `Σ_tot(C)` the total degree of C, and m the graph's `totalWeight`. Self-loops count as in
/// `Graph` (twice in degrees), as in NetworKit and igraph (`igraph_community_multilevel`).
///
/// Deterministic for a given graph, options and seed (sequential, with a seeded generator).
/// Isolated vertices stay singletons; a graph without edges gives singletons and modularity 0.
///
/// ```swift
/// let result = Louvain.run(graph, options: LouvainOptions(seed: 42))
/// print(result.communityCount, result.modularity)
/// ```
public enum Louvain {
    /// Detects communities with the Louvain method.
    ///
    /// - Parameters:
    ///   - graph: An undirected graph with non-negative weights.
    ///   - options: Resolution, seed and stopping rules (see `LouvainOptions`).
    /// - Returns: The final membership, the membership after each level, its modularity and the
    ///   community count.
    /// - Complexity: O(passes · E) per level, in practice close to O(E log n) overall; O(n + E) memory.
    public static func run(_ graph: Graph, options: LouvainOptions = LouvainOptions()) -> CommunityResult {
        precondition(options.resolution.isFinite && options.resolution >= 0, "resolution must be finite and >= 0")
        let n = graph.vertexCount
        var level = LevelGraph(graph)
        let twoM = 2 * graph.totalWeight
        // membership[i]: the vertex of the current level graph that original vertex i belongs to.
        var membership = [UInt32](unsafeUninitializedCapacity: n) { buffer, count in
            for i in 0..<n { buffer[i] = UInt32(truncatingIfNeeded: i) }
            count = n
        }
        var levels: [[UInt32]] = []
        if twoM > 0 {
            var levelIndex = 0
            while levelIndex < options.maxLevels {
                let order = shuffledOrder(count: level.vertexCount, seed: options.seed, level: UInt64(levelIndex))
                let moved = moveVertices(
                    level, order: order, twoM: twoM, resolution: options.resolution,
                    maxPasses: max(1, options.maxPassesPerLevel), minimumGain: options.minimumGain)
                if moved.moves == 0 { break }
                // assignment[v]: the community (numbered 0..<count) of level vertex v.
                let (assignment, count) = compactLabels(moved.community)
                membership.withUnsafeMutableBufferPointer { member in
                    assignment.withUnsafeBufferPointer { map in
                        for i in 0..<n { member[i] = map[Int(member[i])] }
                    }
                }
                levels.append(Partition.renumberedBySize(membership).membership)
                levelIndex += 1
                if count == level.vertexCount || moved.modularityGain < options.minimumGain { break }
                level = aggregate(level, community: assignment, communityCount: count)
                assert(level.invariantViolation(twoM: twoM) == nil, level.invariantViolation(twoM: twoM) ?? "")
            }
        }
        if levels.isEmpty {
            levels.append(Partition.renumberedBySize(membership).membership)
        }
        let final = levels[levels.count - 1]
        let count = Partition.sizes(final).count
        return CommunityResult(
            membership: final,
            levels: levels,
            modularity: Modularity.compute(graph, membership: final, resolution: options.resolution),
            communityCount: count)
    }

    /// Renumbers labels 0… in order of first appearance. Labels must be `< labels.count` (as community
    /// ids of a move phase are). Returns the new label of each element and the label count.
    static func compactLabels(_ labels: [UInt32]) -> (labels: [UInt32], count: Int) {
        let n = labels.count
        var map = [UInt32](repeating: UInt32.max, count: n)
        var result = [UInt32](repeating: 0, count: n)
        var next: UInt32 = 0
        labels.withUnsafeBufferPointer { lab in
            map.withUnsafeMutableBufferPointer { newLabel in
                result.withUnsafeMutableBufferPointer { out in
                    for i in 0..<n {
                        let c = Int(lab[i])
                        if newLabel[c] == UInt32.max {
                            newLabel[c] = next
                            next += 1
                        }
                        out[i] = newLabel[c]
                    }
                }
            }
        }
        return (result, Int(next))
    }

    /// A permutation of 0..<count, Fisher–Yates shuffled by a generator seeded with (seed, level).
    /// Uses a fixed multiply-shift reduction so the order does not depend on the standard library version.
    static func shuffledOrder(count: Int, seed: UInt64, level: UInt64) -> [UInt32] {
        var generator = SeededGenerator(seed: seed, stream: level)
        return [UInt32](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count { buffer[i] = UInt32(truncatingIfNeeded: i) }
            var i = count - 1
            while i > 0 {
                let j = Int(generator.next().multipliedFullWidth(by: UInt64(i + 1)).high)
                buffer.swapAt(i, j)
                i -= 1
            }
            initialized = count
        }
    }
}
