extension Louvain {
    /// The outcome of one level's local moving.
    struct MovePhaseResult {
        /// The community of each level vertex (community ids are vertex ids of the level graph).
        var community: [UInt32]
        /// The number of moves made over all passes.
        var moves: Int
        /// The passes run.
        var passes: Int
        /// The modularity gained over all passes.
        var modularityGain: Double
    }

    /// Local moving on one level: from singletons, repeatedly visits the vertices in `order` and moves
    /// each to the neighbouring community with the largest gain, until a pass gains less than
    /// `minimumGain` or `maxPasses` passes ran.
    ///
    /// - Parameters:
    ///   - graph: The level graph.
    ///   - order: The visiting order (a permutation of the level's vertices).
    ///   - twoM: 2m of the original graph (aggregation preserves it).
    ///   - resolution: γ.
    /// - Complexity: O(passes · (n + E)); O(n) scratch, allocated once.
    static func moveVertices(
        _ graph: LevelGraph,
        order: [UInt32],
        twoM: Double,
        resolution: Double,
        maxPasses: Int,
        minimumGain: Double
    ) -> MovePhaseResult {
        let n = graph.vertexCount
        // Mutable state: community of each vertex, total degree of each community, and the per-vertex
        // scratch (weight to each touched community, −1 when untouched, and the touched list).
        var community = [UInt32](unsafeUninitializedCapacity: n) { buffer, count in
            for v in 0..<n { buffer[v] = UInt32(truncatingIfNeeded: v) }
            count = n
        }
        var total = graph.degrees
        var weightTo = [Double](repeating: -1, count: n)
        var touched = [UInt32](repeating: 0, count: n)
        var moves = 0
        var passes = 0
        var gained = 0.0
        let m = twoM / 2
        withBuffers(graph.offsets, graph.targets, graph.weights, graph.degrees) { off, tgt, wgt, deg in
            withMutableBuffers(&community, &total, &weightTo, &touched) { comm, tot, scratch, list in
                order.withUnsafeBufferPointer { ord in
                    let kernel = MoveKernel(
                        offsets: off, targets: tgt, weights: wgt, degrees: deg,
                        community: comm, total: tot, weightTo: scratch, touched: list,
                        resolutionOverTwoM: resolution / twoM)
                    while passes < maxPasses {
                        let pass = kernel.pass(order: ord)
                        passes += 1
                        moves += pass.moves
                        let passGain = pass.gain / m
                        gained += passGain
                        if pass.moves == 0 || passGain < minimumGain { break }
                    }
                }
            }
        }
        return MovePhaseResult(community: community, moves: moves, passes: passes, modularityGain: gained)
    }
}

/// One level's move state as raw buffers, taken once outside the loops (see STYLE.md).
/// The graph has no self-loop entries in its adjacency (`LevelGraph` keeps them apart); a self-loop
/// does not change any gain, since it moves with its vertex.
struct MoveKernel {
    let offsets: UnsafeBufferPointer<Int>
    let targets: UnsafeBufferPointer<UInt32>
    let weights: UnsafeBufferPointer<Double>
    let degrees: UnsafeBufferPointer<Double>
    let community: UnsafeMutableBufferPointer<UInt32>
    let total: UnsafeMutableBufferPointer<Double>
    let weightTo: UnsafeMutableBufferPointer<Double>
    let touched: UnsafeMutableBufferPointer<UInt32>
    /// γ / 2m.
    let resolutionOverTwoM: Double

    /// One pass over all vertices in `order`. Returns the number of moves and the gain in units of
    /// m · ΔQ (the caller divides by m).
    func pass(order: UnsafeBufferPointer<UInt32>) -> (moves: Int, gain: Double) {
        var moves = 0
        var gain = 0.0
        for position in 0..<order.count {
            let v = Int(order[position])
            let degree = degrees[v]
            let current = Int(community[v])
            // Weight from v to each neighbouring community.
            var touchedCount = 0
            for e in offsets[v]..<offsets[v + 1] {
                let c = Int(community[Int(targets[e])])
                if weightTo[c] < 0 {
                    weightTo[c] = 0
                    touched[touchedCount] = UInt32(truncatingIfNeeded: c)
                    touchedCount += 1
                }
                weightTo[c] += weights[e]
            }
            // Take v out of its community, then pick the best community to put it in.
            total[current] -= degree
            let scale = degree * resolutionOverTwoM
            let toCurrent = weightTo[current] < 0 ? 0 : weightTo[current]
            let stayGain = toCurrent - total[current] * scale
            var best = current
            var bestGain = stayGain
            for t in 0..<touchedCount {
                let c = Int(touched[t])
                let candidate = weightTo[c] - total[c] * scale
                if candidate > bestGain {
                    bestGain = candidate
                    best = c
                }
            }
            total[best] += degree
            if best != current {
                community[v] = UInt32(truncatingIfNeeded: best)
                moves += 1
                gain += bestGain - stayGain
            }
            for t in 0..<touchedCount { weightTo[Int(touched[t])] = -1 }
        }
        return (moves, gain)
    }
}
