// swift-tools-version: 6.1
// Kindred: a graph-analytics engine for people similarity.
// One target per stage; see docs/ARCHITECTURE.md.
import PackageDescription

let mathLib: [LinkerSetting] = [.linkedLibrary("m", .when(platforms: [.linux]))]

let package = Package(
    name: "Kindred",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kindred", targets: ["kindred"]),
        .library(name: "KindredGraph", targets: ["KindredGraph"]),
        .library(name: "KindredCommunity", targets: ["KindredCommunity"]),
        .library(name: "KindredPeople", targets: ["KindredPeople"]),
        .library(name: "KindredClean", targets: ["KindredClean"]),
        .library(name: "KindredSimilarity", targets: ["KindredSimilarity"]),
        .library(name: "KindredProjection", targets: ["KindredProjection"]),
        .library(name: "KindredPipeline", targets: ["KindredPipeline"]),
    ],
    // Exact versions: Kindred is an application, and two builds a month apart must use the same code. Package.resolved
    // is not committed (the package mirror's commit ids are not upstream's); scripts/update-deps moves a pin.
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "3.12.3"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", exact: "0.6.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", exact: "2.0.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", exact: "7.10.0"),
        // The HTTP server of `kindred serve`: BSD sockets and Swift concurrency, no other dependency (builds in seconds,
        // where a SwiftNIO stack would add minutes to each of CI's five builds).
        .package(url: "https://github.com/swhitty/FlyingFox.git", exact: "0.27.1"),
    ],
    targets: [
        // OpenBLAS, through pkg-config "openblas" (not "blas", which follows Debian's alternatives).
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // Shared plumbing: input errors with file/line/field, line reading, atomic writes, seeded RNG.
        .target(name: "KindredCore", linkerSettings: mathLib),
        // CSR graph, builders, edge-list and .kgraph I/O.
        .target(name: "KindredGraph", dependencies: ["KindredCore"], linkerSettings: mathLib),
        // Louvain, modularity, NMI/ARI. No files, no people.
        .target(name: "KindredCommunity", dependencies: ["KindredGraph", "KindredCore"], linkerSettings: mathLib),
        // Person model, occupation catalogue, streaming readers/writers, synthetic people.
        .target(name: "KindredPeople", dependencies: ["KindredCore"], linkerSettings: mathLib),
        // Normalisation, canonical titles/skills, date inference, pseudonyms.
        .target(
            name: "KindredClean",
            dependencies: ["KindredPeople", "KindredCore", .product(name: "Crypto", package: "swift-crypto")],
            linkerSettings: mathLib
        ),
        // Feature vectors and exact k-NN graphs (sparse index; sgemm tiles through OpenBLAS).
        .target(
            name: "KindredSimilarity",
            dependencies: ["KindredPeople", "KindredClean", "KindredGraph", "KindredCore", "CBLAS"],
            linkerSettings: mathLib
        ),
        // Out-of-sample people onto a clustered sample: nearest centroid or k-NN vote (sgemm tiles). No I/O.
        .target(
            name: "KindredProjection",
            dependencies: ["KindredSimilarity", "KindredPeople", "KindredCore", "CBLAS"],
            linkerSettings: mathLib
        ),
        // Per-cluster summaries, the self-contained HTML report (inline SVG) and its 2-D map. No I/O.
        .target(name: "KindredReport", dependencies: ["KindredCore"], linkerSettings: mathLib),
        // Config (TOML + environment), the end-to-end run, refresh (stable ids, diff), run catalog (SQLite), lock.
        .target(
            name: "KindredPipeline",
            dependencies: [
                "KindredCore", "KindredGraph", "KindredCommunity", "KindredPeople", "KindredClean",
                "KindredSimilarity", "KindredProjection", "KindredReport", .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "GRDB", package: "GRDB.swift"),
            ],
            linkerSettings: mathLib
        ),
        // `kindred serve`: the model loaded once, routes free of sockets (ServeRouter), HTTP framing of our own (HTTPWire)
        // on FlyingSocks (FlyingFox's HTTP module imports FoundationNetworking, which needs libcurl in a static build).
        .target(
            name: "KindredServe",
            dependencies: [
                "KindredPipeline", "KindredCore", "KindredPeople", "KindredClean", "KindredProjection", "KindredReport",
                .product(name: "FlyingSocks", package: "FlyingFox"),
            ],
            linkerSettings: mathLib
        ),
        // The CLI: parses arguments, calls the library, prints.
        .executableTarget(
            name: "kindred",
            dependencies: [
                "KindredPipeline", "KindredCore", "KindredGraph", "KindredCommunity", "KindredPeople",
                "KindredClean", "KindredSimilarity", "KindredProjection", "KindredReport", "KindredServe",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Helpers shared by the test targets only (paths, the ../shared/data trait, temporary folders).
        .target(name: "KindredTestSupport", dependencies: ["KindredCore"], path: "Tests/KindredTestSupport"),
        .testTarget(
            name: "KindredGraphTests",
            dependencies: [
                "KindredGraph", "KindredCore", "KindredTestSupport", .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "KindredCommunityTests",
            dependencies: [
                "KindredCommunity", "KindredGraph", "KindredCore", "KindredTestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "KindredPeopleTests",
            dependencies: [
                "KindredPeople", "KindredCore", "KindredTestSupport", .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "KindredCoreTests",
            dependencies: ["KindredCore", "KindredTestSupport", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(name: "KindredCleanTests", dependencies: ["KindredClean", "KindredPeople", "KindredCore", "KindredTestSupport"]),
        .testTarget(
            name: "KindredSimilarityTests",
            dependencies: ["KindredSimilarity", "KindredPeople", "KindredGraph", "KindredCore"]
        ),
        .testTarget(
            name: "KindredProjectionTests",
            dependencies: [
                "KindredProjection", "KindredSimilarity", "KindredPeople", "KindredCore",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "KindredPipelineTests",
            dependencies: [
                "KindredPipeline", "KindredCore", "KindredPeople", "KindredClean", "KindredSimilarity", "KindredProjection",
                "KindredCommunity", "KindredGraph", "KindredTestSupport", .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(name: "KindredReportTests", dependencies: ["KindredReport", .product(name: "PropertyBased", package: "swift-property-based")]),
        .testTarget(
            name: "KindredServeTests",
            dependencies: [
                "KindredServe", "KindredPipeline", "KindredCore", "KindredPeople", "KindredProjection", "KindredTestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "KindredCLITests",
            dependencies: ["kindred", "KindredCore", "KindredTestSupport"],
            exclude: ["Golden"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
