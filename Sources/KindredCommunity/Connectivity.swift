import KindredCore
import KindredGraph

/// Connectivity of communities: how many are internally disconnected, and splitting them.
public enum CommunityConnectivity {
    /// The connected pieces of every community: a label per vertex such that two vertices share a piece
    /// when a path inside their community joins them. Pieces are named by their smallest vertex.
    /// - Complexity: O(n + E α(n)) (union–find); sequential.
    public static func pieces(_ graph: Graph, membership: [UInt32]) -> [UInt32] {
        let n = graph.vertexCount
        precondition(membership.count == n, "membership has \(membership.count) labels for \(n) vertices")
        var parent = [UInt32](unsafeUninitializedCapacity: n) { buffer, count in
            for v in 0..<n { buffer[v] = UInt32(truncatingIfNeeded: v) }
            count = n
        }
        withBuffers(graph.offsets, graph.targets, membership) { off, tgt, label in
            parent.withUnsafeMutableBufferPointer { p in
                func find(_ x: Int) -> Int {
                    var root = x
                    while Int(p[root]) != root { root = Int(p[root]) }
                    var node = x
                    while Int(p[node]) != root {
                        let next = Int(p[node])
                        p[node] = UInt32(truncatingIfNeeded: root)
                        node = next
                    }
                    return root
                }
                for v in 0..<n {
                    let c = label[v]
                    for e in off[v]..<off[v + 1] {
                        let u = Int(tgt[e])
                        guard u > v, label[u] == c else { continue }
                        let a = find(v)
                        let b = find(u)
                        if a != b {
                            // The smaller index becomes the root, so names are the smallest member.
                            if a < b { p[b] = UInt32(truncatingIfNeeded: a) } else { p[a] = UInt32(truncatingIfNeeded: b) }
                        }
                    }
                }
                for v in 0..<n { p[v] = UInt32(truncatingIfNeeded: find(v)) }
            }
        }
        return parent
    }

    /// The number of communities that are not connected inside (isolated singletons count as connected).
    public static func disconnectedCount(_ graph: Graph, membership: [UInt32]) -> Int {
        let piece = pieces(graph, membership: membership)
        let labelCount = Int(membership.max() ?? 0) + 1
        var firstPiece = [UInt32](repeating: UInt32.max, count: labelCount)
        var disconnected = [Bool](repeating: false, count: labelCount)
        for v in 0..<graph.vertexCount {
            let c = Int(membership[v])
            if firstPiece[c] == UInt32.max {
                firstPiece[c] = piece[v]
            } else if firstPiece[c] != piece[v] {
                disconnected[c] = true
            }
        }
        return disconnected.filter { $0 }.count
    }
}
