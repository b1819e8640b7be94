import KindredCore
import KindredGraph

/// Which method `Louvain.run` uses.
public enum CommunityAlgorithm: String, Codable, Sendable, CaseIterable {
    /// Louvain with Leiden's refinement: every community is connected (the default).
    case leiden
    /// Plain Louvain: communities may be internally disconnected.
    case louvain
}

/// Parameters of `Louvain.run(_:options:)`.
public struct LouvainOptions: Sendable, Equatable {
    /// Leiden (refinement, connected communities; default) or plain Louvain.
    public var algorithm: CommunityAlgorithm = .leiden
    /// The resolution γ, ≥ 0 (default 1, classic modularity). Larger values favour more, smaller
    /// communities; smaller values fewer, larger ones; 0 puts each connected component in one community.
    public var resolution: Double = 1.0
    /// Seed of the vertex order (it decides the colouring). The same graph, options and seed always give
    /// the same result, at any thread count.
    public var seed: UInt64 = 0
    /// Worker threads; nil uses every core. Never changes the result.
    public var threads: Int?
    /// Where to count vertex visits of the move phases (added once per level, by the coordinating
    /// thread); nil: not counted. Never changes the result.
    public var progress: ProgressCounter?
    /// The most levels (move phase + aggregation) to run, ≥ 1 (default 50; real graphs need < 10).
    public var maxLevels: Int = 50
    /// The most local-moving passes over all vertices within one level, ≥ 1 (default 100).
    public var maxPassesPerLevel: Int = 100
    /// Threshold scaling: a level's passes stop when one gains less than its tolerance, which starts at
    /// `initialTolerance` on the first level and is divided by `toleranceDrop` on each next level, down
    /// to `minimumGain`.
    public var initialTolerance: Double = 1e-2
    public var toleranceDrop: Double = 10
    /// Leiden refinement rounds, 1 or 2 (default 2). Round 1 is Leiden's: vertices merge into
    /// sub-communities of their community. Round 2 merges those (connected) sub-communities the same
    /// way, so the next level's graph is about ten times smaller (less time and memory) at equal quality.
    public var refinementRounds: Int = 2
    /// A last polishing round (default on): when the levels are done, the level-1 graph (the first
    /// level's sub-communities with Leiden, its communities with Louvain) is taken again, starting from
    /// the communities found, and moved and aggregated once more, so pieces that an early level put in
    /// the wrong community can still change. It costs a few passes over the level-1 graph (about a
    /// tenth of the first level) and raises modularity about as much as a second iteration.
    public var polish: Bool = true
    /// The smallest tolerance; also, the run stops after a level that gained less than this.
    public var minimumGain: Double = 1e-7
    /// How many times the whole method runs, each starting from the previous partition (as leidenalg's
    /// `n_iterations`); it stops early when an iteration does not improve modularity. Default 1: a
    /// second iteration costs about 80% more time for ~2e-5 more modularity on LFR graphs.
    public var iterations: Int = 1
    /// Warm start: the starting community of each vertex (any labels; `UInt32.max` = none, a singleton).
    public var initialMembership: [UInt32]?
    /// Vertices that keep their starting community (others may join it); needs `initialMembership`.
    public var fixed: [Bool]?

    /// Creates options; every parameter has the default described on its property.
    public init(
        algorithm: CommunityAlgorithm = .leiden,
        resolution: Double = 1.0,
        seed: UInt64 = 0,
        threads: Int? = nil,
        maxLevels: Int = 50,
        maxPassesPerLevel: Int = 100,
        minimumGain: Double = 1e-7
    ) {
        self.algorithm = algorithm
        self.resolution = resolution
        self.seed = seed
        self.threads = threads
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
    /// The modularity of `membership` at γ = 1 (Newman's; comparable across resolutions and tools).
    public var modularity: Double
    /// What the run maximised: the modularity of `membership` at the resolution used (equal to
    /// `modularity` at γ = 1).
    public var objective: Double
    /// The number of communities in `membership`.
    public var communityCount: Int
    /// Communities of `membership` that are internally disconnected (always 0 with Leiden).
    public var disconnectedCommunities: Int = 0
    /// With Leiden: communities that a final check found disconnected and split into their connected
    /// pieces (a safety net that never lowers modularity; 0 when the refinement already ensured it).
    public var splitCommunities: Int = 0
    /// Iterations run (see `LouvainOptions.iterations`).
    public var iterations: Int = 1
    /// Seconds spent in each phase (colouring, moving, refinement, aggregation, finishing), for profiling.
    public var phaseSeconds: [String: Double] = [:]
    /// What each level did (sizes, passes, moves, seconds), for profiling.
    public var levelTrace: [LevelTrace] = []

    /// Results are equal when everything but the timings is.
    public static func == (a: CommunityResult, b: CommunityResult) -> Bool {
        a.membership == b.membership && a.levels == b.levels && a.modularity == b.modularity && a.objective == b.objective
            && a.communityCount == b.communityCount && a.disconnectedCommunities == b.disconnectedCommunities
            && a.splitCommunities == b.splitCommunities && a.iterations == b.iterations
    }

    /// Creates a result from its parts.
    public init(membership: [UInt32], levels: [[UInt32]], modularity: Double, communityCount: Int) {
        self.membership = membership
        self.levels = levels
        self.modularity = modularity
        self.objective = modularity
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
        var result = runOnce(graph, options: options)
        var next = options
        var iteration = 1
        while iteration < options.iterations {
            // Leiden's iterations: start again from the partition found, keep it only if it improves.
            next.initialMembership = result.membership
            let again = runOnce(graph, options: next)
            iteration += 1
            if again.objective <= result.objective + 1e-12 { break }
            var merged = again
            merged.phaseSeconds = result.phaseSeconds.merging(again.phaseSeconds, uniquingKeysWith: +)
            merged.levelTrace = result.levelTrace + again.levelTrace
            result = merged
        }
        result.iterations = iteration
        return result
    }

    static func runOnce(_ graph: Graph, options: LouvainOptions) -> CommunityResult {
        precondition(options.resolution.isFinite && options.resolution >= 0, "resolution must be finite and >= 0")
        let n = graph.vertexCount
        let runner = ParallelRunner(threads: options.threads)
        var level = LevelGraph(graph)
        let twoM = 2 * graph.totalWeight
        // membership[i]: the vertex of the current level graph that original vertex i belongs to.
        var membership = [UInt32](unsafeUninitializedCapacity: n) { buffer, count in
            for i in 0..<n { buffer[i] = UInt32(truncatingIfNeeded: i) }
            count = n
        }
        // The community of each original vertex after the latest level.
        var final = membership
        var levels: [[UInt32]] = []
        var initial = options.initialMembership.map { compactInitial($0) }
        var fixed = options.initialMembership == nil ? nil : options.fixed
        var tolerance = max(options.initialTolerance, options.minimumGain)
        var clock = PhaseClock()
        // The community of each vertex of `level` as the loop stands (for the final connectivity check).
        var levelCommunity: [UInt32]? = nil
        var traces: [LevelTrace] = []
        // Polishing: the level-1 graph (the first level's sub-communities, or communities with Louvain)
        // and its membership, kept so that a last round can move those pieces between the final
        // communities (see `LouvainOptions.polish`).
        var firstCoarse: (level: LevelGraph, membership: [UInt32], fixed: [Bool]?)? = nil
        var polishing = false
        if twoM > 0 {
          var levelIndex = 0
          while true {
            levelLoop: while levelIndex < options.maxLevels {
                // Asked to stop (SIGTERM, --max-runtime, the memory limit): the caller discards this result.
                if StopControl.isStopRequested { break levelLoop }
                let classes = colorClasses(level)
                clock.lap("coloring")
                let levelStart = ContinuousClock.now
                var trace = LevelTrace(
                    vertices: level.vertexCount, entries: level.targets.count, passes: 0, moves: 0, communities: 0, refined: 0,
                    seconds: 0)
                defer {
                    trace.seconds = PhaseClock.seconds(ContinuousClock.now - levelStart)
                    traces.append(trace)
                }
                let moved = moveVertices(
                    level, classes: classes, seed: options.seed, levelIndex: levelIndex, initial: initial, fixed: fixed, twoM: twoM, resolution: options.resolution,
                    maxPasses: max(1, options.maxPassesPerLevel), tolerance: tolerance, runner: runner)
                clock.lap("moving")
                options.progress?.add(level.vertexCount * max(1, moved.passes))
                tolerance = max(tolerance / max(options.toleranceDrop, 1), options.minimumGain)
                let (assignment, count) = compactLabels(moved.community)
                levelCommunity = assignment
                trace.passes = moved.passes
                trace.moves = moved.moves
                trace.communities = count
                trace.refined = count
                // The communities of this level, on the original vertices.
                membership.withUnsafeBufferPointer { member in
                    assignment.withUnsafeBufferPointer { map in
                        final.withUnsafeMutableBufferPointer { out in
                            for i in 0..<n { out[i] = map[Int(member[i])] }
                        }
                    }
                }
                if moved.moves == 0 && levelIndex > 0 && (options.algorithm == .louvain || initial == nil) { break }
                if !polishing {
                    let levelMembership = Partition.renumberedBySize(final).membership
                    if levels.last != levelMembership { levels.append(levelMembership) }
                }
                levelIndex += 1
                if count == level.vertexCount { break }
                switch options.algorithm {
                case .louvain:
                    membership = final
                    fixed = fixed.map { aggregateFlags($0, label: assignment, count: count) }
                    level = aggregate(level, label: assignment, count: count, runner: runner)
                    initial = nil
                case .leiden:
                    var communityTotal = [Double](repeating: 0, count: count)
                    for v in 0..<level.vertexCount { communityTotal[Int(assignment[v])] += level.degrees[v] }
                    let refined = refine(
                        level, community: assignment, communityCount: count, total: communityTotal, twoM: twoM,
                        resolution: options.resolution, rounds: options.refinementRounds, runner: runner)
                    clock.lap("refinement")
                    let (refinedLabel, refinedCount) = compactLabels(refined)
                    trace.refined = refinedCount
                    if refinedCount == level.vertexCount && moved.moves == 0 { break levelLoop }
                    var next = [UInt32](repeating: 0, count: refinedCount)
                    for v in 0..<level.vertexCount { next[Int(refinedLabel[v])] = assignment[v] }
                    membership.withUnsafeMutableBufferPointer { member in
                        refinedLabel.withUnsafeBufferPointer { map in
                            for i in 0..<n { member[i] = map[Int(member[i])] }
                        }
                    }
                    fixed = fixed.map { aggregateFlags($0, label: refinedLabel, count: refinedCount) }
                    level = aggregate(level, label: refinedLabel, count: refinedCount, runner: runner)
                    initial = next
                    levelCommunity = next
                }
                clock.lap("aggregation")
                assert(level.invariantViolation(twoM: twoM) == nil, level.invariantViolation(twoM: twoM) ?? "")
                if levelIndex == 1 && options.polish && !polishing { firstCoarse = (level, membership, fixed) }
            }
            // One polishing round from the level-1 graph, starting from the communities found.
            guard options.polish, !polishing, let coarse = firstCoarse, levelIndex < options.maxLevels else { break }
            polishing = true
            firstCoarse = nil
            var start = [UInt32](repeating: 0, count: coarse.level.vertexCount)
            coarse.membership.withUnsafeBufferPointer { member in
                final.withUnsafeBufferPointer { community in
                    start.withUnsafeMutableBufferPointer { out in
                        for i in 0..<n { out[Int(member[i])] = community[i] }
                    }
                }
            }
            level = coarse.level
            membership = coarse.membership
            fixed = coarse.fixed
            initial = start
            levelCommunity = start
            tolerance = options.minimumGain
          }
        }
        if polishing {
            let polished = Partition.renumberedBySize(final).membership
            if levels.last != polished { levels.append(polished) }
        }
        if levels.isEmpty {
            levels.append(Partition.renumberedBySize(final).membership)
        }
        var result = levels[levels.count - 1]
        var split = 0
        var disconnected = 0
        if options.algorithm == .leiden {
            // Safety net: split any disconnected community into its pieces (never lowers modularity).
            // Every vertex of the last level graph is a connected set of original vertices (refinement
            // merges only along edges, level after level), so a community is connected in the input
            // graph exactly when its level vertices are connected in the level graph: check there.
            let coarse = levelCommunity ?? [UInt32](0..<UInt32(truncatingIfNeeded: level.vertexCount))
            let labelCount = Int(coarse.max() ?? 0) + 1
            let coarsePieces = withBuffers(level.offsets, level.targets) { off, tgt in
                CommunityConnectivity.pieces(offsets: off, targets: tgt, label: coarse, labelCount: labelCount, threads: options.threads)
            }
            let disconnectedNow = CommunityConnectivity.disconnectedCount(membership: coarse, pieces: coarsePieces)
            if disconnectedNow > 0 {
                split = disconnectedNow
                let pieces = membership.map { coarsePieces[Int($0)] }
                result = Partition.renumberedBySize(pieces).membership
                levels[levels.count - 1] = result
            }
        } else {
            disconnected = CommunityConnectivity.disconnectedCount(graph, membership: result, threads: options.threads)
        }
        let objective = Modularity.compute(graph, membership: result, resolution: options.resolution, threads: options.threads)
        var outcome = CommunityResult(
            membership: result,
            levels: levels,
            modularity: options.resolution == 1 ? objective : Modularity.compute(graph, membership: result, threads: options.threads),
            communityCount: Partition.sizes(result).count)
        outcome.objective = objective
        outcome.disconnectedCommunities = disconnected
        outcome.splitCommunities = split
        clock.lap("finishing")
        outcome.phaseSeconds = clock.totals
        outcome.levelTrace = traces
        return outcome
    }

    /// Compacts warm-start labels into community ids that are vertex-id sized: vertices with a label get
    /// the index of the first vertex carrying it; vertices without (`UInt32.max`) stay singletons.
    static func compactInitial(_ labels: [UInt32]) -> [UInt32] {
        var first: [UInt32: UInt32] = [:]
        var out = [UInt32](repeating: 0, count: labels.count)
        for (v, label) in labels.enumerated() {
            if label == UInt32.max {
                out[v] = UInt32(truncatingIfNeeded: v)
            } else if let id = first[label] {
                out[v] = id
            } else {
                first[label] = UInt32(truncatingIfNeeded: v)
                out[v] = UInt32(truncatingIfNeeded: v)
            }
        }
        return out
    }

    /// A group is fixed when any of its members is.
    static func aggregateFlags(_ flags: [Bool], label: [UInt32], count: Int) -> [Bool] {
        var out = [Bool](repeating: false, count: count)
        for (v, flag) in flags.enumerated() where flag { out[Int(label[v])] = true }
        return out
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

/// One level of a run: the graph it worked on and what its phases did.
public struct LevelTrace: Sendable, Equatable {
    /// Vertices and adjacency entries (each undirected edge counted from both ends) of the level graph.
    public var vertices: Int
    public var entries: Int
    /// Local-moving passes run and vertex moves applied.
    public var passes: Int
    public var moves: Int
    /// Communities after moving, and the groups that become the next level's vertices: Leiden's
    /// sub-communities after refinement, or (Louvain) the communities again.
    public var communities: Int
    public var refined: Int
    /// Wall seconds of the level, all phases.
    public var seconds: Double
}

/// Adds up wall time per named phase.
struct PhaseClock {
    private var last = ContinuousClock.now
    private(set) var totals: [String: Double] = [:]

    mutating func lap(_ name: String) {
        let now = ContinuousClock.now
        totals[name, default: 0] += Self.seconds(now - last)
        last = now
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
