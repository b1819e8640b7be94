// swift-tools-version: 6.1
// Kindred's benchmarks: a package of their own (the swift-nio convention) so the root build stays lean.
// Run: cd Benchmarks && swift package benchmark
import PackageDescription

let package = Package(
    name: "KindredBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Kindred", path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "KindredKernels",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "KindredGraph", package: "Kindred"),
                .product(name: "KindredCommunity", package: "Kindred"),
                .product(name: "KindredSimilarity", package: "Kindred"),
                .product(name: "KindredPeople", package: "Kindred"),
            ],
            path: "Benchmarks/KindredKernels",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
