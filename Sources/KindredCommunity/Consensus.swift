import KindredCore
import KindredGraph

/// How `Consensus.run` combines several seeded runs (`runs` = 1: off, a single run).
public struct ConsensusOptions: Sendable, Equatable, Codable {
    /// Seeded runs per round (≥ 1). 1 is a plain run; more make the partition robust to the seed and to
    /// small changes of the graph, at `runs` times the clustering time per round.
    public var runs: Int = 1
    /// The share of runs in which an edge's two ends must share a community for the edge to stay in the
    /// next round's graph (0 < τ ≤ 1; majority by default).
    public var threshold: Double = 0.5
    /// The most rounds; the procedure stops earlier as soon as all runs of a round agree.
    public var maxRounds: Int = 4

    public init(runs: Int = 1, threshold: Double = 0.5, maxRounds: Int = 4) {
        self.runs = runs
        self.threshold = threshold
        self.maxRounds = maxRounds
    }

    /// The first setting out of range, as (setting name, message), or nil.
    public func problem() -> (field: String, message: String)? {
        if !(1...64).contains(runs) { return ("consensus_runs", "must be between 1 and 64") }
        if !(threshold > 0 && threshold <= 1) { return ("consensus_threshold", "must be in (0, 1]") }
        if maxRounds < 1 { return ("consensus_rounds", "must be ≥ 1") }
        return nil
    }
}

/// The consensus partition and how much the runs behind it agreed.
public struct ConsensusResult: Sendable {
    /// The partition, with modularity and objective measured on the original graph.
    public var result: CommunityResult
    /// Rounds run (1 when the first round's runs already agreed, or with one run).
    public var rounds: Int
    /// Whether the last round's runs all gave the same partition.
    public var agreed: Bool
}

/// Consensus clustering (Lancichinetti & Fortunato, "Consensus clustering in complex networks",
/// Sci. Rep. 2, 336 (2012), doi:10.1038/srep00336), restricted to the graph's own edges:
/// 1. cluster the graph R times with seeds derived from the given one;
/// 2. weight each edge (u, v) by w_uv · c_uv, where c_uv is the share of the R runs that put u and v
///    together, and drop it when c_uv < τ; a vertex left without edges keeps its edges of highest c, so
///    nobody is cut off by the vote alone;
/// 3. cluster that graph R times again, until all R runs agree or `maxRounds` rounds ran.
///
/// Edges between communities that only some seeds merge fade away round by round, and edges inside the
/// communities that every seed finds keep their weight, so the answer no longer depends on which seed's
/// local optimum came out, and a small change of the graph moves it only where the runs disagreed.
/// Deterministic for a given graph, options and seed, at any thread count (each run is).
public enum Consensus {
    /// The seed of run `r` (run 0 keeps the given seed, so one run equals `Louvain.run`).
    public static func seed(_ base: UInt64, run r: Int) -> UInt64 {
        r == 0 ? base : base &+ UInt64(r) &* 0x9E37_79B9_7F4A_7C15
    }

    /// Clusters `graph` by consensus of `consensus.runs` seeded runs of `Louvain.run` with `options`.
    /// - Complexity: rounds × runs × one `Louvain.run`, plus O(runs · E) per round for the votes.
    public static func run(_ graph: Graph, options: LouvainOptions, consensus: ConsensusOptions) -> ConsensusResult {
        precondition(consensus.problem() == nil, "consensus options out of range")
        let runs = consensus.runs
        var current = graph
        var last: [CommunityResult] = []
        var rounds = 0
        var agreed = false
        var phaseSeconds: [String: Double] = [:]
        while rounds < consensus.maxRounds {
            var results: [CommunityResult] = []
            results.reserveCapacity(runs)
            for r in 0..<runs {
                var o = options
                o.seed = seed(options.seed, run: r)
                // Warm start and fixed vertices apply to the first round; later rounds start fresh on
                // the consensus graph, which already carries that start through the runs' votes.
                if rounds > 0 {
                    o.initialMembership = nil
                    o.fixed = nil
                }
                let result = Louvain.run(current, options: o)
                phaseSeconds.merge(result.phaseSeconds, uniquingKeysWith: +)
                results.append(result)
            }
            rounds += 1
            last = results
            // Memberships are numbered canonically (by size, then smallest member), so equal
            // partitions are equal arrays.
            agreed = results.allSatisfy { $0.membership == results[0].membership }
            if agreed || runs == 1 { break }
            if rounds == consensus.maxRounds { break }
            current = votedGraph(graph, memberships: results.map(\.membership), threshold: consensus.threshold, threads: options.threads)
        }
        var result = last[0]
        if rounds > 1 {
            // Scored on the analyst's graph, not on the consensus graph it was found on.
            result.modularity = Modularity.compute(graph, membership: result.membership, threads: options.threads)
            result.objective = Modularity.compute(graph, membership: result.membership, resolution: options.resolution, threads: options.threads)
        }
        result.phaseSeconds = phaseSeconds
        return ConsensusResult(result: result, rounds: rounds, agreed: agreed)
    }

    /// The graph of step 2: `graph`'s edges weighted by w · c and kept when c ≥ τ (or when they are
    /// their vertex's best).
    static func votedGraph(_ graph: Graph, memberships: [[UInt32]], threshold: Double, threads: Int?) -> Graph {
        let n = graph.vertexCount
        let runs = memberships.count
        let edgeEntries = graph.offsets[n]
        // Votes needed: the smallest count with count / runs ≥ τ (a little slack for rounding).
        let needed = UInt8(clamping: Int((threshold * Double(runs) - 1e-9).rounded(.up)))
        // together[e]: in how many runs the two ends of adjacency entry e share a community.
        var together = [UInt8](repeating: 0, count: edgeEntries)
        var keep = [Bool](repeating: false, count: edgeEntries)
        let chunk = 4096
        let runner = ParallelRunner(threads: threads)
        let flat = memberships.flatMap { $0 }
        withBuffers(graph.offsets, graph.targets, flat) { off, tgt, labels in
            together.withUnsafeMutableBufferPointer { tog in
                keep.withUnsafeMutableBufferPointer { kp in
                    let t = UncheckedSendable((tog, kp))
                    runner.forEach(items: (n + chunk - 1) / chunk) { c, _ in
                        let (tog, kp) = t.value
                        for v in (c * chunk)..<min(n, (c + 1) * chunk) {
                            var best: UInt8 = 0
                            var any = false
                            for e in off[v]..<off[v + 1] {
                                let u = Int(tgt[e])
                                var count: UInt8 = 0
                                for r in 0..<runs where labels[r * n + v] == labels[r * n + u] { count += 1 }
                                tog[e] = count
                                best = max(best, count)
                                if count >= needed && count > 0 {
                                    kp[e] = true
                                    any = true
                                }
                            }
                            // A vertex the vote would cut off keeps its best-supported edges.
                            if !any && best > 0 {
                                for e in off[v]..<off[v + 1] where tog[e] == best { kp[e] = true }
                            }
                        }
                    }
                }
            }
        }
        // Each undirected edge once; one kept in either direction (a rescue) is kept, so the graph stays
        // symmetric.
        var sources: [UInt32] = []
        var targets: [UInt32] = []
        var weights: [Float] = []
        let kept = keep.reduce(0) { $0 + ($1 ? 1 : 0) }
        sources.reserveCapacity(kept)
        targets.reserveCapacity(kept)
        weights.reserveCapacity(kept)
        let scale = 1 / Float(runs)
        withBuffers(graph.offsets, graph.targets, graph.weights) { off, tgt, wgt in
            withBuffers(keep, together) { kp, tog in
                for v in 0..<n {
                    for e in off[v]..<off[v + 1] {
                        let u = Int(tgt[e])
                        if u < v { continue }
                        // Kept when either direction kept it.
                        guard kp[e] || (u != v && kp[reverseEntry(off, tgt, from: u, to: v)]) else { continue }
                        sources.append(UInt32(v))
                        targets.append(UInt32(u))
                        weights.append(wgt[e] * Float(tog[e]) * scale)
                    }
                }
            }
        }
        return Graph(vertexCount: n, sources: sources, targets: targets, weights: weights, ids: graph.ids)
    }

    /// The adjacency entry u → v of a symmetric graph (targets ascend within a vertex).
    @inline(__always)
    static func reverseEntry(_ off: UnsafeBufferPointer<Int>, _ tgt: UnsafeBufferPointer<UInt32>, from u: Int, to v: Int) -> Int {
        var lo = off[u]
        var hi = off[u + 1]
        let target = UInt32(v)
        while lo < hi {
            let mid = (lo + hi) / 2
            if tgt[mid] < target { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
