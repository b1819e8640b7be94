import KindredCore

/// An undirected weighted graph in compressed sparse row (CSR) form.
///
/// Every edge {u, v} with u ≠ v is stored in both adjacency lists; a self-loop {v, v} is stored once,
/// in v's list. Within each vertex's range `offsets[v]..<offsets[v + 1]`, `targets` are sorted
/// ascending and unique (parallel edges have been merged), and `weights` runs parallel to `targets`.
///
/// Conventions (the same as NetworKit and igraph):
/// - the weighted degree of v is the sum of its list's weights plus its self-loop weight once more,
///   so a self-loop counts twice;
/// - `totalWeight` (m) sums the edge weights with each undirected edge and each self-loop counted once,
///   so the weighted degrees add up to 2m.
///
/// ```swift
/// let g = Graph(vertexCount: 3, sources: [0, 1], targets: [1, 2], weights: [1, 2])
/// g.weightedDegree(1)   // 3
/// g.totalWeight         // 3
/// ```
public struct Graph: Sendable {
    /// Start of each vertex's adjacency range; `vertexCount + 1` entries, `offsets[0] == 0`,
    /// `offsets[vertexCount] == targets.count`.
    public let offsets: [Int]
    /// Neighbours, sorted ascending and unique within each vertex's range.
    public let targets: [UInt32]
    /// Edge weights, parallel to `targets`; finite and non-negative for graphs read from files.
    public let weights: [Float]
    /// The original id of each vertex (for edge lists: the token as read).
    public let ids: [String]

    private let storedEdgeCount: Int
    private let storedTotalWeight: Double

    /// The number of vertices.
    /// - Complexity: O(1).
    public var vertexCount: Int { offsets.count - 1 }

    /// The number of undirected edges, self-loops included, each counted once.
    /// - Complexity: O(1).
    public var edgeCount: Int { storedEdgeCount }

    /// m: the sum of edge weights with each undirected edge and each self-loop counted once.
    /// The weighted degrees add up to 2m.
    /// - Complexity: O(1).
    public var totalWeight: Double { storedTotalWeight }

    /// The weighted degree of `v`: the sum of its adjacency weights, plus its self-loop weight once
    /// more (a self-loop counts twice).
    /// - Parameter v: A vertex index in `0..<vertexCount`.
    /// - Returns: The weighted degree, accumulated in `Double`.
    /// - Complexity: O(degree of v).
    public func weightedDegree(_ v: Int) -> Double {
        precondition(v >= 0 && v < vertexCount, "vertex \(v) out of range 0..<\(vertexCount)")
        var sum = 0.0
        let target = UInt32(truncatingIfNeeded: v)
        for e in offsets[v]..<offsets[v + 1] {
            let w = Double(weights[e])
            sum += targets[e] == target ? 2 * w : w
        }
        return sum
    }

    /// The neighbours of `v` (ascending), as a slice of `targets`.
    /// - Complexity: O(1).
    public func neighbors(of v: Int) -> ArraySlice<UInt32> {
        targets[offsets[v]..<offsets[v + 1]]
    }

    /// The weights of `v`'s adjacency entries, parallel to `neighbors(of:)`.
    /// - Complexity: O(1).
    public func neighborWeights(of v: Int) -> ArraySlice<Float> {
        weights[offsets[v]..<offsets[v + 1]]
    }

    /// Builds the CSR form of an undirected edge list given once per edge.
    ///
    /// Each edge may be given in either direction. An edge given several times (in the same or in
    /// opposite directions) is merged into one according to `duplicates`. Self-loops are kept and
    /// stored once. Vertices without edges are kept (isolated).
    ///
    /// The build is a counting sort of the adjacency entries by source, then an in-place sort of each
    /// vertex's range by (target, weight) and a merge of equal targets; no per-vertex allocation.
    /// Because both copies of an edge see their parallel weights in the same order, merged weights are
    /// bit-for-bit symmetric.
    ///
    /// - Parameters:
    ///   - vertexCount: The number of vertices n; every endpoint must be `< n`.
    ///   - sources: One endpoint of each edge.
    ///   - targets: The other endpoint of each edge (same count as `sources`).
    ///   - weights: The weight of each edge (same count as `sources`), or empty when every weight is 1.
    ///   - ids: The id of each vertex (n of them); defaults to `"0"`…`"n-1"`.
    ///   - duplicates: How parallel edges merge (default: their weights are summed).
    /// - Precondition: counts match and every endpoint is `< vertexCount`; `vertexCount <= UInt32.max`.
    /// - Complexity: O(n + E log d) time for E edges and maximum degree d; O(n + E) memory.
    public init(
        vertexCount: Int,
        sources: consuming [UInt32],
        targets: consuming [UInt32],
        weights: consuming [Float],
        ids: [String]? = nil,
        duplicates: DuplicateEdgePolicy = .sum
    ) {
        precondition(vertexCount >= 0 && vertexCount <= Int(UInt32.max), "vertex count out of range")
        precondition(
            sources.count == targets.count && (sources.count == weights.count || weights.isEmpty), "edge arrays differ in length")
        if let ids { precondition(ids.count == vertexCount, "ids.count must equal vertexCount") }
        let csr = CSRBuilder.build(
            vertexCount: vertexCount, sources: consume sources, targets: consume targets, weights: consume weights,
            duplicates: duplicates)
        self.offsets = csr.offsets
        self.targets = csr.targets
        self.weights = csr.weights
        self.ids = ids ?? (0..<vertexCount).map { String($0) }
        (storedEdgeCount, storedTotalWeight) = Graph.summarize(offsets: csr.offsets, targets: csr.targets, weights: csr.weights)
    }

    /// Wraps raw CSR arrays after validating them.
    ///
    /// Checked always: `offsets` has `ids.count + 1` entries, starts at 0, never decreases and ends at
    /// `targets.count`; `weights.count == targets.count`; every target is `< n`; targets are strictly
    /// ascending within each range; weights are finite and non-negative. Checked in debug builds only:
    /// symmetry (every entry u→v with weight w has a matching v→u with the same weight).
    ///
    /// - Throws: `KindredError` (`.badInput`) saying which check failed.
    /// - Complexity: O(n + E) (O(n + E log d) in debug builds, for the symmetry check).
    public init(offsets: [Int], targets: [UInt32], weights: [Float], ids: [String]) throws {
        try Graph.validate(offsets: offsets, targets: targets, weights: weights, vertexCount: ids.count)
        self.offsets = offsets
        self.targets = targets
        self.weights = weights
        self.ids = ids
        (storedEdgeCount, storedTotalWeight) = Graph.summarize(offsets: offsets, targets: targets, weights: weights)
        #if DEBUG
        if let vertex = firstAsymmetricVertex() {
            throw KindredError(.badInput, "adjacency is not symmetric at vertex \(vertex)")
        }
        #endif
    }

    /// The first vertex with an adjacency entry u→v (weight w) that has no matching v→u entry of
    /// weight w, or nil when the graph is symmetric. Used by invariant checks and tests.
    /// - Complexity: O(E log d).
    public func firstAsymmetricVertex() -> Int? {
        let n = vertexCount
        return offsets.withUnsafeBufferPointer { off in
            targets.withUnsafeBufferPointer { tgt in
                weights.withUnsafeBufferPointer { wgt -> Int? in
                    for u in 0..<n {
                        for e in off[u]..<off[u + 1] {
                            let v = Int(tgt[e])
                            if v == u { continue }
                            // Binary search u in v's range.
                            var lo = off[v]
                            var hi = off[v + 1]
                            let key = UInt32(truncatingIfNeeded: u)
                            while lo < hi {
                                let mid = (lo + hi) >> 1
                                if tgt[mid] < key { lo = mid + 1 } else { hi = mid }
                            }
                            if lo == off[v + 1] || tgt[lo] != key || wgt[lo].bitPattern != wgt[e].bitPattern {
                                return u
                            }
                        }
                    }
                    return nil
                }
            }
        }
    }

    private static func validate(offsets: [Int], targets: [UInt32], weights: [Float], vertexCount n: Int) throws {
        guard n <= Int(UInt32.max) else { throw KindredError(.badInput, "too many vertices: \(n)") }
        guard offsets.count == n + 1 else {
            throw KindredError(.badInput, "offsets has \(offsets.count) entries, expected \(n + 1)")
        }
        guard offsets[0] == 0 else { throw KindredError(.badInput, "offsets must start at 0") }
        guard offsets[n] == targets.count else {
            throw KindredError(.badInput, "offsets end at \(offsets[n]) but there are \(targets.count) targets")
        }
        guard weights.count == targets.count else {
            throw KindredError(.badInput, "\(weights.count) weights for \(targets.count) targets")
        }
        let problem: String? = offsets.withUnsafeBufferPointer { off in
            targets.withUnsafeBufferPointer { tgt in
                weights.withUnsafeBufferPointer { wgt -> String? in
                    let limit = UInt32(truncatingIfNeeded: n)
                    for v in 0..<n {
                        let start = off[v]
                        let end = off[v + 1]
                        if end < start { return "offsets decrease at vertex \(v)" }
                        if end > tgt.count { return "offsets exceed the target count at vertex \(v)" }
                        var previous: Int64 = -1
                        for e in start..<end {
                            let t = tgt[e]
                            if t >= limit { return "target \(t) of vertex \(v) is out of range (n = \(n))" }
                            if Int64(t) <= previous { return "targets of vertex \(v) are not strictly ascending" }
                            previous = Int64(t)
                            let w = wgt[e]
                            if !w.isFinite || w < 0 { return "weight of an edge of vertex \(v) is negative or not finite" }
                        }
                    }
                    return nil
                }
            }
        }
        if let problem { throw KindredError(.badInput, problem) }
    }

    private static func summarize(offsets: [Int], targets: [UInt32], weights: [Float]) -> (Int, Double) {
        let n = offsets.count - 1
        var entries = 0
        var selfLoops = 0
        var twiceWeight = 0.0
        offsets.withUnsafeBufferPointer { off in
            targets.withUnsafeBufferPointer { tgt in
                weights.withUnsafeBufferPointer { wgt in
                    for v in 0..<n {
                        let key = UInt32(truncatingIfNeeded: v)
                        for e in off[v]..<off[v + 1] {
                            let w = Double(wgt[e])
                            if tgt[e] == key {
                                selfLoops += 1
                                twiceWeight += 2 * w
                            } else {
                                twiceWeight += w
                            }
                        }
                        entries += off[v + 1] - off[v]
                    }
                }
            }
        }
        return ((entries + selfLoops) / 2, twiceWeight / 2)
    }
}

extension Graph: Equatable {
    /// Two graphs are equal when their CSR arrays and ids are equal (weights compared bit for bit).
    public static func == (lhs: Graph, rhs: Graph) -> Bool {
        lhs.offsets == rhs.offsets && lhs.targets == rhs.targets && lhs.ids == rhs.ids
            && lhs.weights.count == rhs.weights.count
            && zip(lhs.weights, rhs.weights).allSatisfy { $0.bitPattern == $1.bitPattern }
    }
}

/// How parallel edges (the same unordered pair given more than once) are merged.
public enum DuplicateEdgePolicy: Sendable, Equatable, CaseIterable {
    /// The merged weight is the sum of the parallel weights.
    case sum
    /// The merged weight is the largest parallel weight.
    case max
    /// The merged weight is the arithmetic mean of the parallel weights.
    case mean
}
