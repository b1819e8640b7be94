import Foundation
import KindredGraph
import Testing
@testable import KindredSimilarity

@Suite("KNNGraphBuilder")
struct KNNGraphBuilderTests {
    /// Four unit vectors in the plane at 0°, 30°, 50° and 90°. With k = 1: a→b, b→c, c→b, d→c,
    /// so {b, c} is the only mutual pair and a–b, c–d are one-sided.
    static let plane: SparseVectors = {
        func unit(_ degrees: Double) -> (Float, Float) {
            (Float(cos(degrees * .pi / 180)), Float(sin(degrees * .pi / 180)))
        }
        let (bx, by) = unit(30)
        let (cx, cy) = unit(50)
        return SparseVectors(
            offsets: [0, 1, 3, 5, 6], columns: [0, 0, 1, 0, 1, 1], values: [1, bx, by, cx, cy, 1], columnCount: 2)
    }()
    static let ids = ["a", "b", "c", "d"]

    /// The edges as [(u, v, weight)] with u < v.
    static func edges(_ graph: Graph) -> [(Int, Int, Float)] {
        var out: [(Int, Int, Float)] = []
        for u in 0..<graph.vertexCount {
            for (v, w) in zip(graph.neighbors(of: u), graph.neighborWeights(of: u)) where Int(v) > u {
                out.append((u, Int(v), w))
            }
        }
        return out
    }

    static func weight(_ graph: Graph, _ u: Int, _ v: Int) -> Float? {
        guard let index = graph.neighbors(of: u).firstIndex(of: UInt32(v)) else { return nil }
        return graph.weights[index]
    }

    @Test("the plane example lists the expected neighbours")
    func planeTable() {
        let table = SparseKNN.neighbors(of: KNNGraphBuilderTests.plane, k: 1)
        #expect(table.neighbors == [1, 2, 1, 2])
    }

    @Test("max: an undirected graph of every listed pair, weighted by the cosine")
    func maxSymmetrization() {
        let vectors = KNNGraphBuilderTests.plane
        let table = SparseKNN.neighbors(of: vectors, k: 1)
        let graph = KNNGraphBuilder.graph(from: table, ids: KNNGraphBuilderTests.ids, symmetrization: .max)
        #expect(graph.ids == KNNGraphBuilderTests.ids)
        #expect(graph.firstAsymmetricVertex() == nil)
        let edges = KNNGraphBuilderTests.edges(graph)
        #expect(edges.map { [$0.0, $0.1] } == [[0, 1], [1, 2], [2, 3]])
        for (u, v, w) in edges {
            #expect(abs(w - vectors.dot(u, v)) < 1e-6)
        }
        #expect(abs(KNNGraphBuilderTests.weight(graph, 0, 1)! - Float(cos(30 * Double.pi / 180))) < 1e-5)
    }

    @Test("mutual: only pairs that list each other")
    func mutualSymmetrization() {
        let vectors = KNNGraphBuilderTests.plane
        let table = SparseKNN.neighbors(of: vectors, k: 1)
        let graph = KNNGraphBuilder.graph(from: table, ids: KNNGraphBuilderTests.ids, symmetrization: .mutual)
        let edges = KNNGraphBuilderTests.edges(graph)
        #expect(edges.map { [$0.0, $0.1] } == [[1, 2]])
        #expect(abs(edges[0].2 - vectors.dot(1, 2)) < 1e-6)
        #expect(graph.vertexCount == 4)
        #expect(graph.neighbors(of: 0).isEmpty && graph.neighbors(of: 3).isEmpty)
    }

    @Test("mean: mutual pairs keep the cosine, one-sided pairs weigh half")
    func meanSymmetrization() {
        let vectors = KNNGraphBuilderTests.plane
        let table = SparseKNN.neighbors(of: vectors, k: 1)
        let graph = KNNGraphBuilder.graph(from: table, ids: KNNGraphBuilderTests.ids, symmetrization: .mean)
        #expect(graph.firstAsymmetricVertex() == nil)
        let edges = KNNGraphBuilderTests.edges(graph)
        #expect(edges.map { [$0.0, $0.1] } == [[0, 1], [1, 2], [2, 3]])
        #expect(abs(KNNGraphBuilderTests.weight(graph, 0, 1)! - vectors.dot(0, 1) / 2) < 1e-6)
        #expect(abs(KNNGraphBuilderTests.weight(graph, 1, 2)! - vectors.dot(1, 2)) < 1e-6)
        #expect(abs(KNNGraphBuilderTests.weight(graph, 2, 3)! - vectors.dot(2, 3) / 2) < 1e-6)
    }

    @Test("random tables: each mode's edge set and weights follow from the table", arguments: Array(UInt64(100)...115))
    func randomTables(seed: UInt64) {
        let vectors = randomVectors(seed: seed, maxRows: 120)
        let k = 1 + Int(seed % 4)
        let table = SparseKNN.neighbors(of: vectors, k: k)
        let n = vectors.rowCount
        let ids = (0..<n).map { "id\($0)" }
        var listed = Set<[Int]>()
        for r in 0..<n {
            for j in 0..<k where table.neighbors[r * k + j] != .max { listed.insert([r, Int(table.neighbors[r * k + j])]) }
        }
        for mode in Symmetrization.allCases {
            let graph = KNNGraphBuilder.graph(from: table, ids: ids, symmetrization: mode)
            #expect(graph.firstAsymmetricVertex() == nil, "\(mode)")
            #expect(graph.ids == ids)
            var expected: [[Int]: Float] = [:]
            for pair in listed {
                let (u, v) = (min(pair[0], pair[1]), max(pair[0], pair[1]))
                let both = listed.contains([u, v]) && listed.contains([v, u])
                let cosine = vectors.dot(u, v)
                switch mode {
                case .max: expected[[u, v]] = cosine
                case .mutual: if both { expected[[u, v]] = cosine }
                case .mean: expected[[u, v]] = both ? cosine : cosine / 2
                }
            }
            let edges = KNNGraphBuilderTests.edges(graph)
            #expect(edges.count == expected.count, "\(mode)")
            #expect(graph.edgeCount == expected.count, "\(mode)")
            for (u, v, w) in edges {
                guard let want = expected[[u, v]] else {
                    Issue.record("\(mode): unexpected edge \(u)-\(v)")
                    continue
                }
                #expect(abs(w - want) < 1e-6, "\(mode): edge \(u)-\(v) weighs \(w), expected \(want)")
            }
        }
    }
}
