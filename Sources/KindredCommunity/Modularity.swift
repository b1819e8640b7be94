import KindredCore
import KindredGraph

/// Modularity of a partition (Newman & Girvan 2004, doi:10.1103/PhysRevE.69.026113), with a
/// resolution parameter (Reichardt & Bornholdt 2006, doi:10.1103/PhysRevE.74.016110).
public enum Modularity {
    /// Computes Q = (1/2m) Σ_ij [A_ij − γ k_i k_j / 2m] δ(c_i, c_j).
    ///
    /// Self-loops count as in `Graph`: a self-loop of weight w adds 2w to A_ii and to k_i, so the
    /// result matches NetworKit, igraph and networkx (`networkx.community.modularity`).
    /// Equivalently Q = Σ_c [ L_c / m − γ (K_c / 2m)² ] with L_c the weight inside community c (each
    /// edge once) and K_c its total degree.
    ///
    /// ```swift
    /// // Two triangles joined by one edge, split into the two triangles: Q = 5/14.
    /// Modularity.compute(graph, membership: [0, 0, 0, 1, 1, 1])
    /// ```
    ///
    /// - Parameters:
    ///   - graph: The graph.
    ///   - membership: A label per vertex (`graph.vertexCount` of them); labels need not be contiguous.
    ///   - resolution: γ ≥ 0 (default 1).
    /// - Returns: Q, in [−γ/2·…, 1); 0 for a graph without edges (or with total weight 0).
    ///   - threads: workers (default: all cores); never changes the result.
    /// - Complexity: O(n + E + largest label).
    public static func compute(_ graph: Graph, membership: [UInt32], resolution: Double = 1.0, threads: Int? = nil) -> Double {
        let n = graph.vertexCount
        precondition(membership.count == n, "membership has \(membership.count) labels for \(n) vertices")
        let twoM = 2 * graph.totalWeight
        guard twoM > 0 else { return 0 }
        let labelCount = Int(membership.max() ?? 0) + 1
        // Vertex degrees and per-chunk inside sums in parallel; chunks are fixed (not per thread) and
        // added in order, so the result is the same bits at any thread count.
        let chunkSize = 8192
        let chunks = (n + chunkSize - 1) / chunkSize
        var degree = [Double](repeating: 0, count: n)
        var insideByChunk = [Double](repeating: 0, count: chunks)
        withBuffers(graph.offsets, graph.targets, graph.weights) { off, tgt, wgt in
            membership.withUnsafeBufferPointer { lab in
                withMutableBuffers(&degree, &insideByChunk) { deg, ins in
                    let offsets = SharedBuffer(off)
                    let targets = SharedBuffer(tgt)
                    let weights = SharedBuffer(wgt)
                    let label = SharedBuffer(lab)
                    let degreeOut = SharedMutableBuffer(deg)
                    let insideOut = SharedMutableBuffer(ins)
                    ParallelRunner(threads: threads).forEach(items: chunks) { chunk, _ in
                        var inside = 0.0  // Σ_ij A_ij δ(c_i, c_j), self-loops counted twice
                        for v in (chunk * chunkSize)..<min(n, (chunk + 1) * chunkSize) {
                            let c = label[v]
                            let key = UInt32(truncatingIfNeeded: v)
                            var d = 0.0
                            for e in offsets[v]..<offsets[v + 1] {
                                let u = targets[e]
                                let w = Double(weights[e])
                                let contribution = u == key ? 2 * w : w
                                d += contribution
                                if label[Int(u)] == c { inside += contribution }
                            }
                            degreeOut[v] = d
                        }
                        insideOut[chunk] = inside
                    }
                }
            }
        }
        var communityDegree = [Double](repeating: 0, count: labelCount)
        for v in 0..<n { communityDegree[Int(membership[v])] += degree[v] }
        var inside = 0.0
        for partial in insideByChunk { inside += partial }
        var expected = 0.0
        for k in communityDegree where k > 0 { expected += k * k }
        return inside / twoM - resolution * expected / (twoM * twoM)
    }
}
