import Benchmark
@_spi(Benchmarks) import KindredCommunity
import KindredCore
import KindredGraph
import KindredPeople
import KindredSimilarity

/// A planted-partition graph: `communities` groups, each vertex with `inside` random neighbours in its
/// group and `outside` elsewhere. Seeded, so every run measures the same graph.
func plantedGraph(vertices: Int, communities: Int, inside: Int, outside: Int, seed: UInt64) -> Graph {
    var rng = SeededGenerator(seed: seed)
    var sources: [UInt32] = []
    var targets: [UInt32] = []
    let size = vertices / communities
    for v in 0..<vertices {
        let group = v / size
        for _ in 0..<inside {
            let u = min(vertices - 1, group * size + Int(rng.next() % UInt64(size)))
            if u != v { sources.append(UInt32(v)); targets.append(UInt32(u)) }
        }
        for _ in 0..<outside {
            let u = Int(rng.next() % UInt64(vertices))
            if u != v { sources.append(UInt32(v)); targets.append(UInt32(u)) }
        }
    }
    return Graph(vertexCount: vertices, sources: sources, targets: targets, weights: [Float](repeating: 1, count: sources.count))
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration.maxDuration = .seconds(5)
    Benchmark.defaultConfiguration.metrics = [.wallClock, .mallocCountTotal, .peakMemoryResident]

    let graph = plantedGraph(vertices: 200_000, communities: 200, inside: 8, outside: 2, seed: 1)
    for threads in [1, 2] {
        Benchmark("Leiden planted 200k, \(threads) thread(s)") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(Louvain.run(graph, options: LouvainOptions(seed: 1, threads: threads)))
            }
        }
        Benchmark("Move phase (level 0) planted 200k, \(threads) thread(s)") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(LouvainKernels.movePhase(graph, threads: threads))
            }
        }
        Benchmark("Refinement (rounds 1 and 2) planted 200k, \(threads) thread(s)") { benchmark in
            let input = LouvainKernels.refinementInput(graph, threads: threads)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(LouvainKernels.refine(graph, community: input.community, count: input.count, rounds: 1, threads: threads))
                blackHole(LouvainKernels.refine(graph, community: input.community, count: input.count, rounds: 2, threads: threads))
            }
        }
        Benchmark("Aggregation by 2,000 groups, planted 200k, \(threads) thread(s)") { benchmark in
            let membership = (0..<graph.vertexCount).map { UInt32($0 % 2000) }
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(LouvainKernels.aggregate(graph, membership: membership, count: 2000, threads: threads))
            }
        }
    }

    Benchmark("Modularity 100k") { benchmark in
        let membership = (0..<graph.vertexCount).map { UInt32($0 / 1000) }
        for _ in benchmark.scaledIterations {
            blackHole(Modularity.compute(graph, membership: membership))
        }
    }

    Benchmark("Sparse exact k-NN, 20k synthetic people, k=15") { benchmark in
        let catalog = try OccupationCatalog.loadJSON(path: "../datasets/occupations.json")
        let generator = try SyntheticPeople(catalog: catalog, options: SynthOptions())
        let people = (0..<20_000).map { generator.record(at: $0).person }
        var vectorizer = PeopleVectorizer()
        let vectors = vectorizer.fitTransform(people)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(SparseKNN.neighbors(of: vectors, k: 15))
        }
    }
}
