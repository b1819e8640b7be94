import KindredCommunity
import KindredGraph
import Testing

@Suite("Modularity")
struct ModularityTests {
    @Test("two 5-cliques joined by an edge, split into the cliques")
    func twoCliquesByHand() {
        // m = 10 + 10 + 1 = 21. Each clique: L_c = 10 internal edges; K_c = 4·4 + 5 = 21 (the bridge
        // end has degree 5). Q = 2 · [10/21 − (21/42)²] = 20/21 − 1/2 = 0.452380952380952…
        let q = Modularity.compute(twoCliques(), membership: [0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
        #expect(abs(q - (20.0 / 21.0 - 0.5)) < 1e-12)
        // One community: Q = 1 − 1 = 0. Resolution 0 gives the fraction of weight inside: 1.
        #expect(abs(Modularity.compute(twoCliques(), membership: [UInt32](repeating: 3, count: 10))) < 1e-12)
        #expect(Modularity.compute(twoCliques(), membership: [UInt32](repeating: 0, count: 10), resolution: 0) == 1)
    }

    /// Triangle 0-1-2 (weights 1, 2, 3) with a self-loop of 2 on 0, edge 2-3 (1), a self-loop of 0.5
    /// on 3, and an isolated vertex 4. Expected values from networkx 3
    /// (`networkx.community.modularity(G, parts, weight="weight", resolution=γ)`).
    static let weighted = Graph(
        vertexCount: 5, sources: [0, 1, 0, 0, 2, 3], targets: [1, 2, 2, 0, 3, 3], weights: [1, 2, 3, 2, 1, 0.5])

    @Test("weighted graph with self-loops matches networkx", arguments: [
        ([0, 0, 0, 1, 2], 1.0, 0.08310249307479217),
        ([0, 0, 0, 1, 2], 0.5, 0.48891966759002764),
        ([0, 0, 0, 1, 2], 2.0, -0.7285318559556787),
        ([7, 7, 7, 7, 9], 1.0, 0.0),
        ([7, 7, 7, 7, 9], 0.5, 0.5),
        ([0, 1, 2, 3, 4], 1.0, -0.04986149584487536),
        ([4, 3, 2, 1, 0], 2.0, -0.36288088642659283),
    ] as [([UInt32], Double, Double)])
    func matchesNetworkX(_ membership: [UInt32], resolution: Double, expected: Double) {
        // m = 1 + 2 + 3 + 2 + 1 + 0.5 = 9.5; {0,1,2}: L = 8, K = 17; {3}: L = 0.5, K = 2:
        // Q(γ=1) = 8/9.5 − (17/19)² + 0.5/9.5 − (2/19)² = 0.0831025…
        let q = Modularity.compute(Self.weighted, membership: membership, resolution: resolution)
        #expect(abs(q - expected) < 1e-12, "got \(q)")
    }

    @Test("a graph without edges has modularity 0")
    func noEdges() {
        let isolated = Graph(vertexCount: 4, sources: [], targets: [], weights: [])
        #expect(Modularity.compute(isolated, membership: [0, 1, 2, 3]) == 0)
        let empty = Graph(vertexCount: 0, sources: [], targets: [], weights: [])
        #expect(Modularity.compute(empty, membership: []) == 0)
    }

    @Test("karate club: the shared ground truth and the Newman–Girvan faction split", TestData.needed)
    func karate() throws {
        let graph = try EdgeListFormat.read(path: try TestData.path("karate.edges"))
        #expect(graph.vertexCount == 34)
        #expect(graph.edgeCount == 78)
        let truth = try TestData.labels("karate.labels", for: graph)
        // karate.labels is networkx's `club` attribute (Mr. Hi 17 / Officer 17). networkx 3:
        // modularity = 0.3582347140039448.
        let q = Modularity.compute(graph, membership: truth)
        #expect(abs(q - 0.3582347140039448) < 1e-12, "got \(q)")
        // The split Newman & Girvan (2004) analyse, with member 9 (vertex 8) in the Officer faction,
        // has Q = 0.3714661406969 (they report 0.371; networkx 3 agrees to 1e-15).
        var split = truth
        let vertex8 = try #require(graph.ids.firstIndex(of: "8"))
        split[vertex8] = split[try #require(graph.ids.firstIndex(of: "33"))]
        let qSplit = Modularity.compute(graph, membership: split)
        #expect(abs(qSplit - 0.37146614069691) < 1e-12, "got \(qSplit)")
    }
}
