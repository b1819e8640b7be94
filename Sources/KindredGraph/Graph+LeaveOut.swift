import KindredCore

extension Graph {
    /// The same vertices with every edge that touches a `left` vertex removed (those vertices become
    /// isolated; ids and the other edges, with their weights, are kept).
    /// - Complexity: O(n + E log d).
    public func leavingOut(_ left: [Bool]) -> Graph {
        precondition(left.count == vertexCount, "one flag per vertex")
        var sources: [UInt32] = []
        var targets: [UInt32] = []
        var weights: [Float] = []
        withBuffers(offsets, self.targets, self.weights) { off, tgt, wgt in
            left.withUnsafeBufferPointer { out in
                for v in 0..<vertexCount where !out[v] {
                    for e in off[v]..<off[v + 1] {
                        let u = Int(tgt[e])
                        // Each undirected edge once (from its smaller end), self-loops once.
                        guard u >= v, !out[u] else { continue }
                        sources.append(UInt32(v))
                        targets.append(UInt32(u))
                        weights.append(wgt[e])
                    }
                }
            }
        }
        return Graph(vertexCount: vertexCount, sources: sources, targets: targets, weights: weights, ids: ids)
    }
}
