// swift-tools-version: 6.1
// Kindred's libFuzzer harnesses: a package of their own (like Benchmarks/) so the root build never compiles them.
// Build and run: scripts/fuzz (see Tests/Fuzz/README.md). Each harness is built with
//   swift build -c release --sanitize=fuzzer --sanitize=address
// and exports LLVMFuzzerTestOneInput; libFuzzer supplies main.
import PackageDescription

/// One executable per parser; each links FuzzSupport and the Kindred libraries it exercises.
func harness(_ name: String, _ products: [String]) -> Target {
    .executableTarget(
        name: name,
        dependencies: ["FuzzSupport"] + products.map { .product(name: $0, package: "Kindred") },
        path: "Sources/\(name)"
    )
}

let package = Package(
    name: "KindredFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Kindred", path: "../.."),
    ],
    targets: [
        // Temporary files in memory (/dev/shm), line splitting, FNV-1a, invariant failures.
        .target(name: "FuzzSupport", path: "Sources/FuzzSupport"),
        harness("fuzz-people-jsonl", ["KindredPeople"]),
        harness("fuzz-people-csv", ["KindredPeople"]),
        harness("fuzz-edge-list", ["KindredGraph"]),
        harness("fuzz-kgraph", ["KindredGraph"]),
        harness("fuzz-model", ["KindredPipeline", "KindredPeople", "KindredProjection", "KindredClean"]),
        harness("fuzz-config", ["KindredPipeline"]),
        // Not a fuzzer: writes the generated seed corpora and the model fixture, then exits (see its file).
        harness("fuzz-seeds", ["KindredPipeline", "KindredGraph", "KindredPeople"]),
    ],
    swiftLanguageModes: [.v6]
)
