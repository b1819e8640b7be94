#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KindredCore
import KindredGraph
import KindredTestSupport
import Testing

/// The project's shared evaluation data: `../shared/data` beside the repository (never copied in).
enum TestData {
    /// `repo/../shared/data`, where repo is three levels above this file (symlinks resolved, so the
    /// path is right also when the test folder is linked into another package).
    static func folder(filePath: String = #filePath) -> String {
        var resolved = filePath
        if let real = realpath(filePath, nil) {
            resolved = String(cString: real)
            free(real)
        }
        var parts = resolved.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // File.swift, KindredCommunityTests, Tests
        return parts.joined(separator: "/") + "/../shared/data"
    }

    /// The trait of tests that read the shared data: skipped, saying why, where it is absent.
    static var needed: Testing.ConditionTrait { Paths.sharedDataNeeded }

    /// The path of a data file; records a failure when it is missing (tests that need it carry `needed`).
    static func path(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let path = folder() + "/" + name
        try #require(access(path, R_OK) == 0, "missing shared data file \(path)", sourceLocation: sourceLocation)
        return path
    }

    /// Reads `vertex label` lines and returns the label of each vertex of `graph` (by id).
    static func labels(_ name: String, for graph: Graph, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> [UInt32]
    {
        let reader = try LineReader(path: try path(name, sourceLocation: sourceLocation))
        var byId: [String: UInt32] = [:]
        while let line = try reader.nextString() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count == 2, let label = UInt32(fields[1]) else { continue }
            byId[String(fields[0])] = label
        }
        return try graph.ids.map { id in try #require(byId[id], "no label for vertex \(id)") }
    }
}

/// Two 5-cliques {0…4} and {5…9} joined by the edge {4, 5}.
func twoCliques() -> Graph {
    var sources: [UInt32] = []
    var targets: [UInt32] = []
    for base: UInt32 in [0, 5] {
        for i in 0..<UInt32(5) {
            for j in (i + 1)..<UInt32(5) {
                sources.append(base + i)
                targets.append(base + j)
            }
        }
    }
    sources.append(4)
    targets.append(5)
    return Graph(vertexCount: 10, sources: sources, targets: targets, weights: [Float](repeating: 1, count: sources.count))
}

/// A random graph from a seed: n in 0..<maxVertices, a few dense groups plus noise edges, some
/// self-loops and parallel edges, weights 1 or random.
func randomGraph(seed: UInt64, maxVertices: Int = 60) -> Graph {
    var rng = SeededGenerator(seed: seed)
    let n = Int(rng.next() % UInt64(maxVertices))
    guard n > 0 else { return Graph(vertexCount: 0, sources: [], targets: [], weights: []) }
    let groups = 1 + Int(rng.next() % 5)
    let edges = Int(rng.next() % UInt64(4 * n + 1))
    let weighted = rng.next() % 2 == 0
    var sources: [UInt32] = []
    var targets: [UInt32] = []
    var weights: [Float] = []
    for _ in 0..<edges {
        let u = Int(rng.next() % UInt64(n))
        var v = Int(rng.next() % UInt64(n))
        if rng.next() % 4 != 0 {
            // Mostly inside u's group (vertices with the same index modulo `groups`).
            v = (v / groups) * groups + u % groups
            if v >= n { v = u }
        }
        sources.append(UInt32(u))
        targets.append(UInt32(v))
        weights.append(weighted ? Float(1 + rng.next() % 16) / 4 : 1)
    }
    return Graph(vertexCount: n, sources: sources, targets: targets, weights: weights)
}
