import KindredCommunity
import KindredCore
import KindredGraph
import PropertyBased
import Testing

@Suite("Louvain")
struct LouvainTests {
    @Test("two 5-cliques joined by one edge give the two cliques")
    func twoCliquesSplit() {
        let result = Louvain.run(twoCliques())
        #expect(result.membership == [0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
        #expect(result.communityCount == 2)
        // Q = 20/21 − 1/2 (see ModularityTests.twoCliquesByHand).
        #expect(abs(result.modularity - (20.0 / 21.0 - 0.5)) < 1e-12)
        #expect(result.levels.last == result.membership)
    }

    @Test("karate club: Louvain reaches at least 0.41 (optimum 0.4198)", TestData.needed)
    func karate() throws {
        let graph = try EdgeListFormat.read(path: try TestData.path("karate.edges"))
        let result = Louvain.run(graph)
        #expect(result.modularity >= 0.41, "Q = \(result.modularity)")
        #expect(result.modularity <= 0.41979 + 1e-9)  // cannot beat the proven optimum 0.419790
        #expect((3...5).contains(result.communityCount))
    }

    @Test("the same seed gives the same result; the result does not depend on anything else")
    func determinism() {
        for seed: UInt64 in [0, 1, 99] {
            let graph = randomGraph(seed: seed + 1000, maxVertices: 200)
            let options = LouvainOptions(seed: seed)
            let first = Louvain.run(graph, options: options)
            let second = Louvain.run(graph, options: options)
            #expect(first == second, "seed \(seed)")
        }
        // Golden value for a fixed case, so that an accidental change of the visiting order shows.
        let result = Louvain.run(twoCliques(), options: LouvainOptions(seed: 7))
        #expect(result.membership == [0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    }

    @Test("isolated vertices stay alone; self-loops are handled")
    func isolatedAndSelfLoops() {
        // Triangle 0-1-2, triangle 3-4-5 each with self-loops, bridge 2-3, isolated 6 and 7 (7 has
        // only a self-loop).
        let g = Graph(
            vertexCount: 8,
            sources: [0, 1, 0, 3, 4, 3, 2, 0, 4, 7],
            targets: [1, 2, 2, 4, 5, 5, 3, 0, 4, 7],
            weights: [1, 1, 1, 1, 1, 1, 1, 2, 2, 5])
        let result = Louvain.run(g)
        let m = result.membership
        #expect(m[0] == m[1] && m[1] == m[2])
        #expect(m[3] == m[4] && m[4] == m[5])
        #expect(m[0] != m[3])
        #expect(Set([m[0], m[3], m[6], m[7]]).count == 4)
        #expect(result.communityCount == 4)
        #expect(abs(result.modularity - Modularity.compute(g, membership: m)) < 1e-12)
    }

    @Test("the empty graph and a graph without edges")
    func emptyGraphs() {
        let empty = Louvain.run(Graph(vertexCount: 0, sources: [], targets: [], weights: []))
        #expect(empty.membership.isEmpty)
        #expect(empty.communityCount == 0)
        #expect(empty.modularity == 0)
        #expect(empty.levels == [[]])
        let isolated = Louvain.run(Graph(vertexCount: 3, sources: [], targets: [], weights: []))
        #expect(isolated.membership == [0, 1, 2])
        #expect(isolated.communityCount == 3)
        #expect(isolated.modularity == 0)
    }

    @Test("resolution: higher γ gives more communities, γ = 0 one per component")
    func resolution() {
        let g = twoCliques()
        #expect(Louvain.run(g, options: LouvainOptions(resolution: 0)).communityCount == 1)
        #expect(Louvain.run(g, options: LouvainOptions(resolution: 8)).communityCount > 2)
    }

    @Test("on random graphs: reported Q is Modularity.compute of the membership, Q never drops below the singletons' or from one level to the next, and labels are renumbered by size")
    func properties() async {
        await propertyCheck(count: 80, input: Gen.uint64(), Gen.uint64(in: 0...3)) { graphSeed, seed in
            let g = randomGraph(seed: graphSeed)
            let result = Louvain.run(g, options: LouvainOptions(seed: seed))
            let n = g.vertexCount
            #expect(result.membership.count == n)
            #expect(abs(result.modularity - Modularity.compute(g, membership: result.membership)) < 1e-12)
            let singletons = (0..<UInt32(n)).map { $0 }
            let singletonQ = Modularity.compute(g, membership: singletons)
            #expect(result.modularity >= singletonQ - 1e-12)
            #expect(result.levels.last == result.membership)
            var previous = singletonQ
            for level in result.levels {
                let q = Modularity.compute(g, membership: level)
                #expect(q >= previous - 1e-9, "modularity decreased between levels")
                previous = q
            }
            let sizes = Partition.sizes(result.membership)
            #expect(sizes.count == result.communityCount)
            #expect(sizes == sizes.sorted(by: >))
            #expect(Partition.renumberedBySize(result.membership).membership == result.membership)
        }
    }

    @Test("after the first level no vertex can gain by moving to a neighbouring community")
    func firstLevelIsLocallyOptimal() {
        // Only the first level is a local optimum for single-vertex moves: after aggregation,
        // vertices move only together (the weakness the Leiden algorithm addresses). With
        // tolerance 0 the level runs until a pass over every vertex moves nothing.
        for graphSeed: UInt64 in 0..<15 {
            let g = randomGraph(seed: graphSeed, maxVertices: 40)
            var options = LouvainOptions(minimumGain: 0)
            options.initialTolerance = 0
            let result = Louvain.run(g, options: options)
            var membership = result.levels[0]
            let q0 = Modularity.compute(g, membership: membership)
            for v in 0..<g.vertexCount {
                let own = membership[v]
                for label in Set(g.neighbors(of: v).map { membership[Int($0)] }) where label != own {
                    membership[v] = label
                    let q = Modularity.compute(g, membership: membership)
                    #expect(q <= q0 + 1e-12, "graph \(graphSeed): moving \(v) gains \(q - q0)")
                }
                membership[v] = own
            }
        }
    }

    @Test("LFR benchmark (10k vertices, μ = 0.3): NMI against the planted communities ≥ 0.9", TestData.needed)
    func lfr() throws {
        let graph = try EdgeListFormat.read(path: try TestData.path("lfr10k_mu0.3.edges.gz"))
        #expect(graph.vertexCount == 10_000)
        let truth = try TestData.labels("lfr10k_mu0.3.labels.gz", for: graph)
        let result = Louvain.run(graph)
        let nmi = PartitionComparison.normalizedMutualInformation(result.membership, truth)
        #expect(nmi >= 0.9, "NMI = \(nmi)")
        #expect(result.modularity >= 0.6)
    }
}
