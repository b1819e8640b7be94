import KindredGraph

/// How a directed k-NN table becomes an undirected graph.
public enum Symmetrization: String, Codable, Sendable, CaseIterable {
    /// Keep an edge when either endpoint lists the other; weight = the larger similarity.
    case max
    /// Keep an edge when either endpoint lists the other; weight = the mean of the two directions,
    /// a direction that does not list the other counting as 0 (one-sided edges weigh half).
    case mean
    /// Keep an edge only when both endpoints list each other (mutual k-NN).
    case mutual
}

/// Assembles the k-NN graph from a neighbour table.
public enum KNNGraphBuilder {
    /// The undirected similarity graph: one edge per listed pair, weighted by cosine similarity.
    /// - Parameter ids: the id of each row (kept as the graph's vertex ids).
    public static func graph(from table: NeighborTable, ids: [String], symmetrization: Symmetrization = .max) -> Graph {
        let n = ids.count
        let k = table.k
        var sources: [UInt32] = []
        var targets: [UInt32] = []
        var weights: [Float] = []
        sources.reserveCapacity(n * k)
        targets.reserveCapacity(n * k)
        weights.reserveCapacity(n * k)
        func lists(_ a: Int, _ b: UInt32) -> Bool {
            for j in 0..<k where table.neighbors[a * k + j] == b { return true }
            return false
        }
        for r in 0..<n {
            for j in 0..<k {
                let other = table.neighbors[r * k + j]
                guard other != .max else { break }
                let o = Int(other)
                if symmetrization == .mutual {
                    guard r < o, lists(o, UInt32(r)) else { continue }
                }
                sources.append(UInt32(r))
                targets.append(other)
                let similarity = table.similarities[r * k + j]
                weights.append(symmetrization == .mean ? similarity / 2 : similarity)
            }
        }
        let policy: DuplicateEdgePolicy = symmetrization == .mean ? .sum : .max
        return Graph(vertexCount: n, sources: sources, targets: targets, weights: weights, ids: ids, duplicates: policy)
    }
}
