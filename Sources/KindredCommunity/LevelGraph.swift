import KindredCore
import KindredGraph

/// The graph of one Louvain/Leiden level in CSR form: Float32 edge weights, Double degrees.
///
/// Self-loops are kept apart: `selfLoops[v]` is v's self-loop weight (counted once, as in
/// `Graph.totalWeight`) and `degrees[v]` counts it twice, so `Σ degrees == 2m` on every level. The level-0
/// graph shares the input `Graph`'s arrays (no copy), so its adjacency may still hold self entries
/// (`hasSelfEntries`); kernels skip an entry whose target is the vertex itself. Aggregated levels have
/// none. Sendable by discipline: built by the coordinating thread, read-only while workers share it.
struct LevelGraph: @unchecked Sendable {
    var offsets: [Int]
    var targets: [UInt32]
    var weights: [Float]
    var selfLoops: [Double]
    var degrees: [Double]
    var hasSelfEntries: Bool

    var vertexCount: Int { degrees.count }

    /// The level-0 graph over `graph`'s own arrays.
    /// - Complexity: O(n + E), no copy of the adjacency.
    init(_ graph: Graph) {
        let n = graph.vertexCount
        var loops = [Double](repeating: 0, count: n)
        var degrees = [Double](repeating: 0, count: n)
        var anySelf = false
        withBuffers(graph.offsets, graph.targets, graph.weights) { off, tgt, wgt in
            withMutableBuffers(&loops, &degrees) { loop, deg in
                for v in 0..<n {
                    let key = UInt32(truncatingIfNeeded: v)
                    var degree = 0.0
                    for e in off[v]..<off[v + 1] {
                        let w = Double(wgt[e])
                        if tgt[e] == key {
                            loop[v] += w
                            degree += 2 * w
                            anySelf = true
                        } else {
                            degree += w
                        }
                    }
                    deg[v] = degree
                }
            }
        }
        offsets = graph.offsets
        targets = graph.targets
        weights = graph.weights
        selfLoops = loops
        self.degrees = degrees
        hasSelfEntries = anySelf
    }

    init(offsets: [Int], targets: [UInt32], weights: [Float], selfLoops: [Double], degrees: [Double]) {
        self.offsets = offsets
        self.targets = targets
        self.weights = weights
        self.selfLoops = selfLoops
        self.degrees = degrees
        hasSelfEntries = false
    }

    /// Debug invariant check (through `assert`): offsets consistent, degrees = adjacency weights + twice
    /// the self-loop, degrees add up to 2m. Returns the first violation, or nil.
    func invariantViolation(twoM: Double) -> String? {
        let n = vertexCount
        guard offsets.count == n + 1, offsets[0] == 0, offsets[n] == targets.count, weights.count == targets.count,
            selfLoops.count == n
        else { return "level graph: array sizes disagree" }
        var degreeSum = 0.0
        for v in 0..<n {
            var degree = 2 * selfLoops[v]
            for e in offsets[v]..<offsets[v + 1] where Int(targets[e]) != v {
                degree += Double(weights[e])
            }
            if !hasSelfEntries, (offsets[v]..<offsets[v + 1]).contains(where: { Int(targets[$0]) == v }) {
                return "level graph: self entry at vertex \(v)"
            }
            if abs(degree - degrees[v]) > 1e-5 * max(1, degrees[v]) { return "level graph: degree of \(v) is off" }
            degreeSum += degrees[v]
        }
        if abs(degreeSum - twoM) > 1e-6 * max(1, twoM) { return "level graph: degrees add up to \(degreeSum), not 2m = \(twoM)" }
        return nil
    }
}

/// Members of each group in CSR form: `members[offsets[g]..<offsets[g+1]]`, ascending vertex order.
struct Groups {
    var offsets: [Int]
    var members: [UInt32]

    /// Groups `0..<n` by `label` (every label < `count`), by a counting sort.
    /// - Complexity: O(n + count).
    init(label: [UInt32], count: Int) {
        let n = label.count
        var offsets = [Int](repeating: 0, count: count + 1)
        var members = [UInt32](repeating: 0, count: n)
        label.withUnsafeBufferPointer { lab in
            withMutableBuffers(&offsets, &members) { off, mem in
                for v in 0..<n { off[Int(lab[v]) + 1] += 1 }
                for g in 0..<count { off[g + 1] += off[g] }
                var cursor = Array(off[0..<count])
                cursor.withUnsafeMutableBufferPointer { cur in
                    for v in 0..<n {
                        let g = Int(lab[v])
                        mem[cur[g]] = UInt32(truncatingIfNeeded: v)
                        cur[g] += 1
                    }
                }
            }
        }
        self.offsets = offsets
        self.members = members
    }

    /// Groups given directly.
    init(offsets: [Int], members: [UInt32]) {
        self.offsets = offsets
        self.members = members
    }

    var count: Int { offsets.count - 1 }
}
