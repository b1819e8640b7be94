import KindredGraph

/// The graph of one Louvain level, in CSR form with `Double` weights.
///
/// Unlike `Graph`, self-loops are kept apart from the adjacency: `selfLoops[v]` is the weight of v's
/// self-loop (counted once, as in `Graph.totalWeight`), and `degrees[v]` is v's weighted degree with
/// the self-loop counted twice. So `Σ degrees == 2m` on every level, and the adjacency holds only
/// entries u → v with u ≠ v, each undirected edge in both lists. Targets are not sorted.
struct LevelGraph {
    var offsets: [Int]
    var targets: [UInt32]
    var weights: [Double]
    var selfLoops: [Double]
    var degrees: [Double]

    var vertexCount: Int { degrees.count }

    /// The level-0 graph: `graph` with self-loops taken out of the adjacency.
    /// - Complexity: O(n + E).
    init(_ graph: Graph) {
        let n = graph.vertexCount
        var loops = [Double](repeating: 0, count: n)
        var degrees = [Double](repeating: 0, count: n)
        var offsets = [Int](repeating: 0, count: n + 1)
        let bound = graph.targets.count
        var outTargets = [UInt32](repeating: 0, count: bound)
        var outWeights = [Double](repeating: 0, count: bound)
        var written = 0
        withBuffers(graph.offsets, graph.targets, graph.weights) { off, tgt, wgt in
            withMutableBuffers(&loops, &degrees, &offsets) { loop, deg, outOff in
                withMutableBuffers(&outTargets, &outWeights) { ot, ow in
                    for v in 0..<n {
                        let key = UInt32(truncatingIfNeeded: v)
                        var degree = 0.0
                        for e in off[v]..<off[v + 1] {
                            let w = Double(wgt[e])
                            if tgt[e] == key {
                                loop[v] += w
                                degree += 2 * w
                            } else {
                                ot[written] = tgt[e]
                                ow[written] = w
                                written += 1
                                degree += w
                            }
                        }
                        deg[v] = degree
                        outOff[v + 1] = written
                    }
                }
            }
        }
        if written < bound {
            outTargets.removeLast(bound - written)
            outWeights.removeLast(bound - written)
        }
        self.offsets = offsets
        self.targets = outTargets
        self.weights = outWeights
        self.selfLoops = loops
        self.degrees = degrees
    }

    /// Debug invariant check (run through `assert`, so in debug builds and tests only): offsets
    /// consistent, no self entries, degrees = adjacency weights + twice the self-loop, and the degrees
    /// add up to 2m. Returns a description of the first violation, or nil.
    func invariantViolation(twoM: Double) -> String? {
        let n = vertexCount
        guard offsets.count == n + 1, offsets[0] == 0, offsets[n] == targets.count, weights.count == targets.count,
            selfLoops.count == n
        else { return "level graph: array sizes disagree" }
        var degreeSum = 0.0
        for v in 0..<n {
            var degree = 2 * selfLoops[v]
            for e in offsets[v]..<offsets[v + 1] {
                if Int(targets[e]) == v { return "level graph: self entry at vertex \(v)" }
                degree += weights[e]
            }
            if abs(degree - degrees[v]) > 1e-9 * max(1, degrees[v]) { return "level graph: degree of \(v) is off" }
            degreeSum += degrees[v]
        }
        if abs(degreeSum - twoM) > 1e-9 * max(1, twoM) { return "level graph: degrees add up to \(degreeSum), not 2m = \(twoM)" }
        return nil
    }

    init(offsets: [Int], targets: [UInt32], weights: [Double], selfLoops: [Double], degrees: [Double]) {
        self.offsets = offsets
        self.targets = targets
        self.weights = weights
        self.selfLoops = selfLoops
        self.degrees = degrees
    }
}

extension Louvain {
    /// Aggregation: one vertex per community; the weight between two communities is the sum of the
    /// weights between their members, and the weight inside a community (its members' self-loops plus
    /// the edges between members) becomes the new vertex's self-loop. Degrees and 2m are preserved.
    ///
    /// Members are grouped by a counting sort; the neighbour weights of each community are summed in a
    /// dense scratch array with a touched list (no dictionaries), emitted in first-touched order.
    ///
    /// - Parameters:
    ///   - graph: The level graph.
    ///   - community: The community of each vertex, in `0..<communityCount`, every value used.
    ///   - communityCount: The number of communities.
    /// - Returns: The next level's graph.
    /// - Complexity: O(n + E); O(C) scratch.
    static func aggregate(_ graph: LevelGraph, community: [UInt32], communityCount: Int) -> LevelGraph {
        let n = graph.vertexCount
        let count = communityCount
        // Group members by community (counting sort, members in increasing vertex order).
        var memberOffsets = [Int](repeating: 0, count: count + 1)
        var members = [UInt32](repeating: 0, count: n)
        var cursor = [Int](repeating: 0, count: count)
        community.withUnsafeBufferPointer { comm in
            withMutableBuffers(&memberOffsets, &members, &cursor) { mo, mem, cur in
                for v in 0..<n { mo[Int(comm[v]) + 1] += 1 }
                for c in 0..<count {
                    mo[c + 1] += mo[c]
                    cur[c] = mo[c]
                }
                for v in 0..<n {
                    let c = Int(comm[v])
                    mem[cur[c]] = UInt32(truncatingIfNeeded: v)
                    cur[c] += 1
                }
            }
        }

        let bound = graph.targets.count
        var offsets = [Int](repeating: 0, count: count + 1)
        var targets = [UInt32](repeating: 0, count: bound)
        var weights = [Double](repeating: 0, count: bound)
        var loops = [Double](repeating: 0, count: count)
        var degrees = [Double](repeating: 0, count: count)
        var weightTo = [Double](repeating: -1, count: count)
        var touched = [UInt32](repeating: 0, count: count)
        // Degrees and self-loops of the members.
        withBuffers(graph.selfLoops, graph.degrees, community) { selfLoop, deg, comm in
            withMutableBuffers(&loops, &degrees) { outLoop, outDeg in
                for v in 0..<n {
                    let c = Int(comm[v])
                    outLoop[c] += selfLoop[v]
                    outDeg[c] += deg[v]
                }
            }
        }
        // Edges between communities; edges inside a community join its self-loop.
        var written = 0
        withBuffers(graph.offsets, graph.targets, graph.weights) { off, tgt, wgt in
            withBuffers(community, memberOffsets, members) { comm, mo, mem in
                withMutableBuffers(&offsets, &targets, &weights) { outOff, ot, ow in
                    withMutableBuffers(&loops, &weightTo, &touched) { outLoop, scratch, list in
                        for c in 0..<count {
                            var inside = 0.0
                            var touchedCount = 0
                            for i in mo[c]..<mo[c + 1] {
                                let u = Int(mem[i])
                                for e in off[u]..<off[u + 1] {
                                    let d = Int(comm[Int(tgt[e])])
                                    if d == c {
                                        inside += wgt[e]
                                        continue
                                    }
                                    if scratch[d] < 0 {
                                        scratch[d] = 0
                                        list[touchedCount] = UInt32(truncatingIfNeeded: d)
                                        touchedCount += 1
                                    }
                                    scratch[d] += wgt[e]
                                }
                            }
                            // Each internal edge was seen from both of its ends.
                            outLoop[c] += inside / 2
                            for t in 0..<touchedCount {
                                let d = Int(list[t])
                                ot[written] = list[t]
                                ow[written] = scratch[d]
                                scratch[d] = -1
                                written += 1
                            }
                            outOff[c + 1] = written
                        }
                    }
                }
            }
        }
        if written < bound {
            targets.removeLast(bound - written)
            weights.removeLast(bound - written)
        }
        return LevelGraph(offsets: offsets, targets: targets, weights: weights, selfLoops: loops, degrees: degrees)
    }
}
