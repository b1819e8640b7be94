import KindredCore
import KindredGraph
import Testing

@Suite("Graph: building CSR from edges")
struct GraphBuildingTests {
    @Test("parallel edges merge by sum, max or mean, in either direction")
    func duplicatePolicies() {
        // {0,1} given three times: 1, 3 (reversed), 2; {1,2} once.
        let sources: [UInt32] = [0, 1, 0, 1]
        let targets: [UInt32] = [1, 0, 1, 2]
        let weights: [Float] = [1, 3, 2, 5]
        let expected: [(DuplicateEdgePolicy, Float)] = [(.sum, 6), (.max, 3), (.mean, 2)]
        for (policy, merged) in expected {
            let g = Graph(vertexCount: 3, sources: sources, targets: targets, weights: weights, duplicates: policy)
            #expect(g.offsets == [0, 1, 3, 4], "policy \(policy)")
            #expect(g.targets == [1, 0, 2, 1], "policy \(policy)")
            #expect(g.weights == [merged, merged, 5, 5], "policy \(policy)")
            #expect(g.edgeCount == 2)
            #expect(g.totalWeight == Double(merged) + 5)
        }
    }

    @Test("self-loops are stored once and count twice in degrees")
    func selfLoops() {
        // Edges: {0,1} w2, {1,1} w3 (given twice: merged to 6 by sum), {1,2} w1.
        let g = Graph(vertexCount: 3, sources: [0, 1, 1, 2], targets: [1, 1, 1, 1], weights: [2, 3, 3, 1])
        #expect(g.neighbors(of: 1) == [0, 1, 2])
        #expect(g.neighborWeights(of: 1) == [2, 6, 1])
        #expect(g.weightedDegree(1) == 2 + 2 * 6 + 1)
        #expect(g.weightedDegree(0) == 2)
        #expect(g.edgeCount == 3)
        #expect(g.totalWeight == 9)
        let degreeSum = (0..<3).reduce(0.0) { $0 + g.weightedDegree($1) }
        #expect(degreeSum == 2 * g.totalWeight)
    }

    @Test("isolated vertices are kept, default ids are 0…n-1, targets ascending")
    func isolatedVerticesAndIds() {
        let g = Graph(vertexCount: 6, sources: [4, 4, 0], targets: [2, 0, 2], weights: [1, 1, 1])
        #expect(g.vertexCount == 6)
        #expect(g.ids == ["0", "1", "2", "3", "4", "5"])
        #expect(g.neighbors(of: 1).isEmpty)
        #expect(g.neighbors(of: 5).isEmpty)
        #expect(g.weightedDegree(3) == 0)
        #expect(g.neighbors(of: 4) == [0, 2])
        #expect(g.neighbors(of: 2) == [0, 4])
        #expect(g.firstAsymmetricVertex() == nil)
    }

    @Test("the empty graph")
    func emptyGraph() {
        let g = Graph(vertexCount: 0, sources: [], targets: [], weights: [])
        #expect(g.vertexCount == 0)
        #expect(g.edgeCount == 0)
        #expect(g.totalWeight == 0)
        #expect(g.offsets == [0])
    }

    @Test("random graphs: symmetric, sorted, degrees add up to 2m")
    func randomInvariants() throws {
        for seed: UInt64 in 0..<30 {
            let g = randomGraph(seed: seed, maxVertices: 60)
            #expect(g.firstAsymmetricVertex() == nil, "seed \(seed)")
            for v in 0..<g.vertexCount {
                let row = Array(g.neighbors(of: v))
                #expect(row == row.sorted() && Set(row).count == row.count, "seed \(seed) vertex \(v)")
            }
            let degreeSum = (0..<g.vertexCount).reduce(0.0) { $0 + g.weightedDegree($1) }
            #expect(abs(degreeSum - 2 * g.totalWeight) <= 1e-9 * max(1, degreeSum), "seed \(seed)")
            // The validated raw initialiser accepts what the builder made.
            let copy = try Graph(offsets: g.offsets, targets: g.targets, weights: g.weights, ids: g.ids)
            #expect(copy == g)
        }
    }

    @Test("high-degree vertices: ranges sorted and parallel weights merged like a reference")
    func highDegreeMerging() {
        // Star around vertex 0 with many repeated leaves (exercises the quicksort path of the range
        // sort, with many equal keys), checked against a dictionary-based reference.
        var rng = SeededGenerator(seed: 9)
        for leaves in [2, 17, 300, 3000] {
            var sources: [UInt32] = []
            var targets: [UInt32] = []
            var weights: [Float] = []
            var reference: [UInt32: Double] = [:]
            for _ in 0..<leaves {
                let leaf = UInt32(1 + rng.next() % 40)
                let w = Float(rng.next() % 8)
                let reversed = rng.next() % 2 == 0
                sources.append(reversed ? leaf : 0)
                targets.append(reversed ? 0 : leaf)
                weights.append(w)
                reference[leaf, default: 0] += Double(w)
            }
            let g = Graph(vertexCount: 41, sources: sources, targets: targets, weights: weights)
            #expect(Array(g.neighbors(of: 0)) == reference.keys.sorted(), "leaves \(leaves)")
            #expect(g.neighborWeights(of: 0).map(Double.init) == reference.keys.sorted().map { reference[$0]! })
            #expect(g.firstAsymmetricVertex() == nil)
        }
    }

    @Test("raw CSR is validated", arguments: [
        ("offsets not starting at 0", [1, 1], [UInt32](), [Float](), ["a"]),
        ("target out of range", [0, 1], [1], [1], ["a"]),
        ("unsorted targets", [0, 2, 3, 4], [2, 1, 0, 0], [1, 1, 1, 1], ["a", "b", "c"]),
        ("negative weight", [0, 1, 2], [1, 0], [-1, -1], ["a", "b"]),
        ("NaN weight", [0, 1, 2], [1, 0], [.nan, .nan], ["a", "b"]),
        ("offsets count", [0, 0], [], [], ["a", "b"]),
        ("decreasing offsets", [0, 2, 1, 2], [1, 2], [1, 1], ["a", "b", "c"]),
    ] as [(String, [Int], [UInt32], [Float], [String])])
    func rawValidation(_ name: String, offsets: [Int], targets: [UInt32], weights: [Float], ids: [String]) {
        #expect(throws: KindredError.self, "\(name)") {
            _ = try Graph(offsets: offsets, targets: targets, weights: weights, ids: ids)
        }
    }

    #if DEBUG
    @Test("raw CSR symmetry is checked in debug builds")
    func rawSymmetry() {
        // 0 → 1 without 1 → 0.
        let error = #expect(throws: KindredError.self) {
            _ = try Graph(offsets: [0, 1, 1], targets: [1], weights: [1], ids: ["a", "b"])
        }
        #expect(error?.code == .badInput)
    }
    #endif
}
