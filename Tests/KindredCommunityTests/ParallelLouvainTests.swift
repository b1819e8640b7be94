import KindredCore
import KindredGraph
import PropertyBased
import Testing

@testable import KindredCommunity

/// The parallel engine: results independent of the thread count, connected Leiden communities, exact
/// incremental gains, warm starts.
@Suite("parallel Louvain/Leiden")
struct ParallelLouvainTests {
    /// A larger planted graph so that colour classes span many parallel chunks (> 2048 vertices).
    static func plantedGraph(vertices: Int, groups: Int, seed: UInt64) -> Graph {
        var rng = SeededGenerator(seed: seed)
        var sources: [UInt32] = []
        var targets: [UInt32] = []
        var weights: [Float] = []
        let size = vertices / groups
        for v in 0..<vertices {
            for k in 0..<6 {
                let inside = k < 5
                let u = inside ? min(vertices - 1, (v / size) * size + Int(rng.next() % UInt64(size))) : Int(rng.next() % UInt64(vertices))
                sources.append(UInt32(v))
                targets.append(UInt32(u))
                weights.append(Float(1 + rng.next() % 4) / 2)
            }
        }
        return Graph(vertexCount: vertices, sources: sources, targets: targets, weights: weights)
    }

    @Test("the same partition at 1, 2, 3, 4 and 8 threads (random graphs, both algorithms)")
    func threadCountDoesNotMatter() async {
        await propertyCheck(count: 40, input: Gen.uint64(in: 0...UInt64.max), Gen.uint64(in: 0...1000)) { graphSeed, seed in
            let graph = randomGraph(seed: graphSeed, maxVertices: 120)
            for algorithm in CommunityAlgorithm.allCases {
                let reference = Louvain.run(graph, options: LouvainOptions(algorithm: algorithm, seed: seed, threads: 1))
                for threads in [2, 3, 4, 8] {
                    let other = Louvain.run(graph, options: LouvainOptions(algorithm: algorithm, seed: seed, threads: threads))
                    #expect(other == reference, "\(algorithm), \(threads) threads")
                }
            }
        }
    }

    @Test("the same partition at any thread count on a 20,000-vertex graph that runs in parallel chunks")
    func threadCountDoesNotMatterAtScale() {
        let graph = Self.plantedGraph(vertices: 20_000, groups: 40, seed: 3)
        for algorithm in CommunityAlgorithm.allCases {
            let reference = Louvain.run(graph, options: LouvainOptions(algorithm: algorithm, seed: 9, threads: 1))
            #expect(reference.communityCount > 1)
            for threads in [2, 3, 8] {
                let other = Louvain.run(graph, options: LouvainOptions(algorithm: algorithm, seed: 9, threads: threads))
                #expect(other.membership == reference.membership, "\(algorithm), \(threads) threads")
                #expect(other.modularity == reference.modularity)
            }
            let again = Louvain.run(graph, options: LouvainOptions(algorithm: algorithm, seed: 9, threads: 2))
            #expect(again == reference, "two runs agree")
        }
    }

    @Test("Leiden: every community is connected (checked independently), on random graphs")
    func leidenCommunitiesAreConnected() async {
        await propertyCheck(count: 60, input: Gen.uint64(in: 0...UInt64.max)) { graphSeed in
            let graph = randomGraph(seed: graphSeed, maxVertices: 150)
            let result = Louvain.run(graph, options: LouvainOptions(algorithm: .leiden, seed: graphSeed % 97))
            #expect(result.disconnectedCommunities == 0)
            #expect(CommunityConnectivity.disconnectedCount(graph, membership: result.membership) == 0)
            #expect(abs(result.modularity - Modularity.compute(graph, membership: result.membership)) < 1e-9)
        }
    }

    @Test("the disconnected count finds a community split in two")
    func disconnectedCountCanFail() {
        // Path 0-1-2-3; community {0, 3} is disconnected, {1, 2} is connected.
        let graph = Graph(vertexCount: 4, sources: [0, 1, 2], targets: [1, 2, 3], weights: [1, 1, 1])
        #expect(CommunityConnectivity.disconnectedCount(graph, membership: [0, 1, 1, 0]) == 1)
        #expect(CommunityConnectivity.disconnectedCount(graph, membership: [0, 0, 1, 1]) == 0)
    }

    @Test("incremental move gains equal modularity recomputed from scratch (with γ and self-loops)")
    func gainsMatchRecomputation() async {
        await propertyCheck(count: 200, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var rng = SeededGenerator(seed: seed)
            var graph = randomGraph(seed: seed, maxVertices: 40)
            guard graph.vertexCount >= 2, graph.totalWeight > 0 else { return }
            // Add a self-loop to a random vertex.
            let loopVertex = UInt32(rng.next() % UInt64(graph.vertexCount))
            var sources: [UInt32] = [loopVertex]
            var targets: [UInt32] = [loopVertex]
            var weights: [Float] = [1.5]
            for v in 0..<graph.vertexCount {
                for e in graph.offsets[v]..<graph.offsets[v + 1] where Int(graph.targets[e]) > v {
                    sources.append(UInt32(v))
                    targets.append(graph.targets[e])
                    weights.append(graph.weights[e])
                }
            }
            graph = Graph(vertexCount: graph.vertexCount, sources: sources, targets: targets, weights: weights)
            let n = graph.vertexCount
            let resolution = [0.5, 1.0, 2.0][Int(rng.next() % 3)]
            // A random starting partition with community ids that are vertex ids.
            let initial = (0..<n).map { _ in UInt32(rng.next() % UInt64(n)) }
            let v = Int(rng.next() % UInt64(n))
            let level = LevelGraph(graph)
            let classes = Groups(offsets: [0, 1], members: [UInt32(v)])
            let before = Modularity.compute(graph, membership: initial, resolution: resolution)
            let moved = Louvain.moveVertices(
                level, classes: classes, seed: 0, levelIndex: 0, initial: initial, fixed: nil, twoM: 2 * graph.totalWeight,
                resolution: resolution, maxPasses: 1, tolerance: 0, runner: ParallelRunner(threads: 1))
            let after = Modularity.compute(graph, membership: moved.community, resolution: resolution)
            #expect(abs(moved.modularityGain - (after - before)) < 1e-9, "gain \(moved.modularityGain) vs \(after - before)")
            #expect(after >= before - 1e-12, "a move never lowers modularity")
        }
    }

    @Test("warm start: fixed vertices keep their community, a new vertex joins its neighbours")
    func warmStart() {
        // Two 5-cliques (0–4, 5–9) and vertex 10 attached to 0, 1 and 2.
        var sources: [UInt32] = []
        var targets: [UInt32] = []
        for base in [0, 5] {
            for i in 0..<5 { for j in (i + 1)..<5 { sources.append(UInt32(base + i)); targets.append(UInt32(base + j)) } }
        }
        sources += [4, 10, 10, 10]
        targets += [5, 0, 1, 2]
        let graph = Graph(vertexCount: 11, sources: sources, targets: targets, weights: [Float](repeating: 1, count: sources.count))
        for algorithm in CommunityAlgorithm.allCases {
            // Known people keep their previous communities (7 and 3); vertex 10 is new.
            var options = LouvainOptions(algorithm: algorithm)
            options.initialMembership = [7, 7, 7, 7, 7, 3, 3, 3, 3, 3, UInt32.max]
            let result = Louvain.run(graph, options: options)
            let a = result.membership[0]
            #expect((0..<5).allSatisfy { result.membership[$0] == a })
            #expect((5..<10).allSatisfy { result.membership[$0] != a })
            #expect(result.membership[10] == a, "the new vertex joins the clique it is attached to")
            // A bad starting point held fixed: everything in one community stays so.
            var fixedOptions = LouvainOptions(algorithm: algorithm)
            fixedOptions.initialMembership = [UInt32](repeating: 0, count: 11)
            fixedOptions.fixed = [Bool](repeating: true, count: 11)
            #expect(Louvain.run(graph, options: fixedOptions).communityCount == 1)
            // The same start, not fixed: Leiden's refinement splits it into the two cliques. (Louvain
            // cannot: no single vertex gains by leaving, which is the weakness refinement addresses.)
            var freeOptions = LouvainOptions(algorithm: algorithm)
            freeOptions.initialMembership = [UInt32](repeating: 0, count: 11)
            if algorithm == .leiden {
                #expect(Louvain.run(graph, options: freeOptions).communityCount == 2)
            }
        }
    }

    @Test("higher resolution gives at least as many communities on a planted graph")
    func resolution() {
        let graph = Self.plantedGraph(vertices: 3000, groups: 30, seed: 5)
        let counts = [0.25, 1.0, 4.0].map { Louvain.run(graph, options: LouvainOptions(resolution: $0, seed: 1)).communityCount }
        #expect(counts[0] <= counts[1] && counts[1] <= counts[2], "\(counts)")
        #expect(counts[0] < counts[2])
    }
}
