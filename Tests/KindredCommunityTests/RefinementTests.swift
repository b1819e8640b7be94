import KindredCore
import KindredGraph
import PropertyBased
import Testing

@testable import KindredCommunity

/// Leiden's refinement (both rounds), the small per-vertex weight table and the polishing round.
@Suite("refinement, weight table and polishing")
struct RefinementTests {
    /// The communities of one move phase from singletons on `graph`, compacted, with their totals.
    static func moved(_ graph: Graph, seed: UInt64) -> (level: LevelGraph, community: [UInt32], count: Int, total: [Double]) {
        let level = LevelGraph(graph)
        let phase = Louvain.moveVertices(
            level, classes: Louvain.colorClasses(level), seed: seed, levelIndex: 0, initial: nil, fixed: nil,
            twoM: 2 * graph.totalWeight, resolution: 1, maxPasses: 100, tolerance: 1e-7, runner: ParallelRunner(threads: 1))
        let (community, count) = Louvain.compactLabels(phase.community)
        var total = [Double](repeating: 0, count: count)
        for v in 0..<level.vertexCount { total[Int(community[v])] += level.degrees[v] }
        return (level, community, count, total)
    }

    /// True when the vertices carrying each label induce a connected subgraph of `graph`.
    static func everyGroupConnected(_ graph: Graph, label: [UInt32]) -> Bool {
        CommunityConnectivity.disconnectedCount(graph, membership: label) == 0
    }

    @Test("both rounds: every sub-community is connected and lies inside one community; round 2 only merges")
    func subCommunitiesAreConnectedAndNested() async {
        await propertyCheck(count: 60, input: Gen.uint64(in: 0...UInt64.max)) { graphSeed in
            let graph = randomGraph(seed: graphSeed, maxVertices: 150)
            guard graph.totalWeight > 0 else { return }
            let (level, community, count, total) = Self.moved(graph, seed: graphSeed % 13)
            let twoM = 2 * graph.totalWeight
            var results: [[UInt32]] = []
            for rounds in [1, 2] {
                for threads in [1, 3] {
                    let refined = Louvain.refine(
                        level, community: community, communityCount: count, total: total, twoM: twoM, resolution: 1,
                        rounds: rounds, runner: ParallelRunner(threads: threads))
                    #expect(Self.everyGroupConnected(graph, label: refined), "rounds \(rounds)")
                    for v in 0..<graph.vertexCount {
                        #expect(community[Int(refined[v])] == community[v], "sub-community inside its community")
                    }
                    if threads == 1 { results.append(refined) } else { #expect(refined == results.last, "thread count") }
                }
            }
            // Round 2 only merges round-1 sub-communities: vertices together after round 1 stay together.
            let (one, oneCount) = Louvain.compactLabels(results[0])
            let (two, twoCount) = Louvain.compactLabels(results[1])
            #expect(twoCount <= oneCount)
            var image = [UInt32](repeating: UInt32.max, count: oneCount)
            for v in 0..<graph.vertexCount {
                let a = Int(one[v])
                if image[a] == UInt32.max { image[a] = two[v] }
                #expect(image[a] == two[v], "a round-1 sub-community is split by round 2")
            }
        }
    }

    @Test("round 2 leaves less than half as many sub-communities on a planted graph")
    func secondRoundCoarsens() {
        let graph = ParallelLouvainTests.plantedGraph(vertices: 6000, groups: 30, seed: 11)
        let (level, community, count, total) = Self.moved(graph, seed: 1)
        let counts = [1, 2].map { rounds in
            Louvain.compactLabels(
                Louvain.refine(
                    level, community: community, communityCount: count, total: total, twoM: 2 * graph.totalWeight, resolution: 1,
                    rounds: rounds, runner: ParallelRunner(threads: 2))
            ).count
        }
        #expect(counts[1] * 2 < counts[0], "\(counts)")
        #expect(counts[1] >= count)
    }

    @Test("the small weight table sums like a dictionary, with colliding keys, and empties itself")
    func smallTableSums() async {
        let table = SmallWeightTable()
        defer { table.deallocate() }
        await propertyCheck(count: 200, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var rng = SeededGenerator(seed: seed)
            let entries = Int(rng.next() % UInt64(SmallWeightTable.maxEntries + 1))
            // Keys from a small range collide in the table's hash often.
            let range = 1 + rng.next() % 300
            var expected: [UInt32: Double] = [:]
            var order: [UInt32] = []
            var used = 0
            for _ in 0..<entries {
                let key = UInt32(truncatingIfNeeded: (rng.next() % range) << (rng.next() % 2 == 0 ? 0 : 8))
                let weight = Double(rng.next() % 8) / 2
                if expected[key] == nil { order.append(key) }
                expected[key, default: 0] += weight
                table.add(key, weight, used: &used)
            }
            #expect(used == expected.count)
            #expect((0..<used).map { table.keys[Int(table.slots[$0])] } == order, "first-touched order")
            for (key, weight) in expected { #expect(table.value(of: key) == weight) }
            #expect(table.value(of: UInt32.max - 1) == 0)
            table.clear(used: used)
            #expect((0..<SmallWeightTable.capacity).allSatisfy { table.keys[$0] == UInt32.max })
        }
    }

    @Test("polishing never lowers modularity, keeps Leiden communities connected, and is thread-independent")
    func polishing() async {
        await propertyCheck(count: 40, input: Gen.uint64(in: 0...UInt64.max)) { graphSeed in
            let graph = randomGraph(seed: graphSeed, maxVertices: 150)
            for algorithm in CommunityAlgorithm.allCases {
                var plain = LouvainOptions(algorithm: algorithm, seed: graphSeed % 7, threads: 1)
                plain.polish = false
                var polished = plain
                polished.polish = true
                let without = Louvain.run(graph, options: plain)
                let with = Louvain.run(graph, options: polished)
                #expect(with.modularity >= without.modularity - 1e-12, "\(algorithm)")
                if algorithm == .leiden { #expect(Self.everyGroupConnected(graph, label: with.membership)) }
                polished.threads = 4
                #expect(Louvain.run(graph, options: polished) == with)
            }
        }
    }

    @Test("polishing raises modularity on a planted graph, and the level trace describes the levels")
    func polishingHelpsAndIsTraced() {
        let graph = ParallelLouvainTests.plantedGraph(vertices: 20_000, groups: 200, seed: 4)
        var plain = LouvainOptions(seed: 2, threads: 2)
        plain.polish = false
        let without = Louvain.run(graph, options: plain)
        let with = Louvain.run(graph, options: LouvainOptions(seed: 2, threads: 2))
        #expect(with.modularity >= without.modularity)
        #expect(with.levelTrace.count > without.levelTrace.count, "the polishing levels are traced")
        let first = with.levelTrace[0]
        #expect(first.vertices == graph.vertexCount && first.entries == graph.targets.count)
        #expect(first.communities <= first.vertices && first.refined >= first.communities)
        // The second level works on the first level's sub-communities.
        #expect(with.levelTrace[1].vertices == first.refined)
    }
}
