import Foundation
import KindredCore
import KindredGraph
import KindredTestSupport

// TemporaryFolder comes from KindredTestSupport.

/// A random undirected graph from a seed: n in 0..<maxVertices, random edges (some parallel, some
/// self-loops), weights either 1 or random non-negative floats, ids a mix of numbers and text.
func randomGraph(seed: UInt64, maxVertices: Int = 40) -> Graph {
    var rng = SeededGenerator(seed: seed)
    let n = Int(rng.next() % UInt64(maxVertices))
    guard n > 0 else { return Graph(vertexCount: 0, sources: [], targets: [], weights: []) }
    let edges = Int(rng.next() % UInt64(3 * n + 1))
    var sources: [UInt32] = []
    var targets: [UInt32] = []
    var weights: [Float] = []
    let weighted = rng.next() % 2 == 0
    for _ in 0..<edges {
        sources.append(UInt32(rng.next() % UInt64(n)))
        targets.append(UInt32(rng.next() % UInt64(n)))
        weights.append(weighted ? Float(rng.next() % 1000) / 8 : 1)
    }
    let ids = (0..<n).map { v in v % 3 == 0 ? "v\(v)-é" : String(v * 7) }
    return Graph(vertexCount: n, sources: sources, targets: targets, weights: weights, ids: ids)
}

/// The edges of a graph as a sorted list of (smaller id, larger id, weight), each undirected edge once.
func edgeSet(_ graph: Graph) -> [String] {
    var lines: [String] = []
    for u in 0..<graph.vertexCount {
        for e in graph.offsets[u]..<graph.offsets[u + 1] {
            let v = Int(graph.targets[e])
            if v < u { continue }
            let a = graph.ids[u]
            let b = graph.ids[v]
            lines.append((a < b ? "\(a) \(b)" : "\(b) \(a)") + " \(graph.weights[e])")
        }
    }
    return lines.sorted()
}
