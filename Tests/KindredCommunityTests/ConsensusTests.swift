import KindredCore
import KindredGraph
import PropertyBased
import Testing

@testable import KindredCommunity

@Suite("consensus clustering")
struct ConsensusTests {
    /// Groups of `size` vertices, each vertex with `inside` edges into its group and `outside` random
    /// ones: with many outside edges the groups are weak and single seeded runs disagree.
    static func weakGroups(vertices: Int, size: Int, inside: Int, outside: Int, seed: UInt64) -> Graph {
        var rng = SeededGenerator(seed: seed)
        var sources: [UInt32] = []
        var targets: [UInt32] = []
        for v in 0..<vertices {
            let group = v / size
            for k in 0..<(inside + outside) {
                let u = k < inside ? min(vertices - 1, group * size + Int(rng.next() % UInt64(size))) : Int(rng.next() % UInt64(vertices))
                guard u != v else { continue }
                sources.append(UInt32(v))
                targets.append(UInt32(u))
            }
        }
        return Graph(vertexCount: vertices, sources: sources, targets: targets, weights: [])
    }

    @Test("one run is exactly Louvain.run; runs that agree stop after one round")
    func oneRunIsPlain() {
        let graph = ParallelLouvainTests.plantedGraph(vertices: 3000, groups: 30, seed: 5)
        let options = LouvainOptions(seed: 4)
        let single = Consensus.run(graph, options: options, consensus: ConsensusOptions(runs: 1))
        #expect(single.result == Louvain.run(graph, options: options))
        #expect(single.rounds == 1)
        let clear = Consensus.run(twoCliques(), options: options, consensus: ConsensusOptions(runs: 5))
        #expect(clear.agreed && clear.rounds == 1)
        #expect(clear.result.membership == Louvain.run(twoCliques(), options: options).membership)
    }

    @Test("the voted graph: a symmetric subgraph of the original, weights w·c, nobody cut off by the vote")
    func votedGraph() async {
        await propertyCheck(count: 40, input: Gen.uint64(in: 0...UInt64.max), Gen.int(in: 2...6)) { seed, runs in
            let graph = randomGraph(seed: seed, maxVertices: 80)
            let n = graph.vertexCount
            var rng = SeededGenerator(seed: seed ^ 0xABCD)
            let memberships = (0..<runs).map { _ in (0..<n).map { _ in UInt32(rng.next() % 4) } }
            let voted = Consensus.votedGraph(graph, memberships: memberships, threshold: 0.5, threads: 2)
            #expect(voted.firstAsymmetricVertex() == nil)
            #expect(voted.vertexCount == n && voted.ids == graph.ids)
            for v in 0..<n {
                let original = Dictionary(uniqueKeysWithValues: zip(graph.neighbors(of: v), graph.neighborWeights(of: v)))
                for (u, w) in zip(voted.neighbors(of: v), voted.neighborWeights(of: v)) {
                    let together = memberships.filter { $0[v] == $0[Int(u)] }.count
                    #expect(original[u] != nil, "edge \(v)–\(u) is not in the original graph")
                    #expect(abs(w - original[u]! * Float(together) / Float(runs)) < 1e-5)
                }
                // A vertex with an edge whose ends some run put together keeps at least one edge.
                let supported = graph.neighbors(of: v).contains { u in memberships.contains { $0[v] == $0[Int(u)] } }
                if supported { #expect(!voted.neighbors(of: v).isEmpty, "vertex \(v) was cut off") }
            }
        }
    }

    @Test("the same partition at 1, 2 and 3 threads")
    func threadCountDoesNotMatter() {
        let graph = Self.weakGroups(vertices: 4000, size: 40, inside: 6, outside: 4, seed: 11)
        let consensus = ConsensusOptions(runs: 4)
        let reference = Consensus.run(graph, options: LouvainOptions(seed: 3, threads: 1), consensus: consensus)
        for threads in [2, 3] {
            let other = Consensus.run(graph, options: LouvainOptions(seed: 3, threads: threads), consensus: consensus)
            #expect(other.result.membership == reference.result.membership, "\(threads) threads")
            #expect(other.rounds == reference.rounds)
        }
        #expect(abs(reference.result.modularity - Modularity.compute(graph, membership: reference.result.membership)) < 1e-9)
    }

    @Test("weak groups: consensus partitions agree across seeds far better than single runs, at no loss of accuracy")
    func robustToSeed() {
        let graph = Self.weakGroups(vertices: 4000, size: 40, inside: 6, outside: 4, seed: 11)
        let truth = (0..<4000).map { UInt32($0 / 40) }
        func worstPair(_ memberships: [[UInt32]]) -> Double {
            var worst = 1.0
            for i in memberships.indices {
                for j in memberships.indices where j > i {
                    worst = min(worst, PartitionComparison.adjustedRandIndex(memberships[i], memberships[j]))
                }
            }
            return worst
        }
        let seeds: [UInt64] = [1, 2, 3]
        let single = seeds.map { Louvain.run(graph, options: LouvainOptions(seed: $0)).membership }
        let combined = seeds.map { Consensus.run(graph, options: LouvainOptions(seed: $0), consensus: ConsensusOptions(runs: 8)).result.membership }
        let plainARI = worstPair(single)
        let consensusARI = worstPair(combined)
        #expect(consensusARI > plainARI, "consensus \(consensusARI) vs single runs \(plainARI)")
        #expect(consensusARI >= 0.97, "consensus worst pair \(consensusARI)")
        let plainTruth = single.map { PartitionComparison.adjustedRandIndex($0, truth) }.min()!
        let consensusTruth = combined.map { PartitionComparison.adjustedRandIndex($0, truth) }.min()!
        #expect(consensusTruth >= plainTruth - 0.01, "accuracy: consensus \(consensusTruth) vs single \(plainTruth)")
    }
}

@Suite("kept shares and left-out graphs")
struct RobustnessMeasureTests {
    @Test("kept shares: 1 for the same community, lowered by a split or a merge, only included elements count")
    func keptShares() {
        let reference: [UInt32] = [0, 0, 0, 0, 1, 1, 2, 2]
        #expect(PartitionComparison.keptShares(reference: reference, other: [5, 5, 5, 5, 3, 3, 9, 9]) == [1, 1, 1])
        // Community 0 split 3 + 1; communities 1 and 2 merged into one of 4.
        let other: [UInt32] = [0, 0, 0, 1, 2, 2, 2, 2]
        #expect(PartitionComparison.keptShares(reference: reference, other: other) == [0.75, 0.5, 0.5])
        // Leaving out the split-off element: community 0 is whole again.
        let include = [true, true, true, false, true, true, true, true]
        #expect(PartitionComparison.keptShares(reference: reference, other: other, include: include) == [1, 0.5, 0.5])
    }

    @Test("leaving people out isolates them and keeps every other edge with its weight")
    func leavingOut() async {
        await propertyCheck(count: 40, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            let graph = randomGraph(seed: seed, maxVertices: 60)
            var rng = SeededGenerator(seed: seed ^ 0x55)
            let left = (0..<graph.vertexCount).map { _ in rng.next() % 5 == 0 }
            let smaller = graph.leavingOut(left)
            #expect(smaller.ids == graph.ids && smaller.firstAsymmetricVertex() == nil)
            for v in 0..<graph.vertexCount {
                let expected = zip(graph.neighbors(of: v), graph.neighborWeights(of: v)).filter { !left[v] && !left[Int($0.0)] }
                #expect(Array(smaller.neighbors(of: v)) == expected.map(\.0))
                #expect(Array(smaller.neighborWeights(of: v)) == expected.map(\.1))
            }
        }
    }
}
