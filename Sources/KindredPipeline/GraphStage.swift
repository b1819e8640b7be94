import Foundation
import KindredCore
import KindredGraph
import KindredPeople
import KindredSimilarity

/// What `kindred graph` is asked to do.
public struct GraphRequest: Sendable {
    public var input: String
    public var output: String
    /// Also write the graph as an edge list here.
    public var edges: String?
    public var k = 15
    public var minimumSimilarity: Float = 0.0
    public var weights = MetricWeights()
    public var symmetrization = Symmetrization.max

    public init(input: String, output: String) {
        self.input = input
        self.output = output
    }
}

/// The k-NN graph that was built and its degree statistics.
public struct GraphOutcome: Sendable {
    public var people: Int
    public var features: Int
    public var vertices: Int
    public var edges: Int
    public var minimumDegree: Int
    public var meanDegree: Double
    public var maximumDegree: Int
    public var isolated: Int
    public var seconds: Double
}

/// Reads clean people, vectorises them and writes their exact k-NN similarity graph.
public enum GraphStage {
    /// Reads every person of a people file into memory.
    /// - Throws: on the first bad record, naming file, line and field (graph input should be clean output).
    public static func readPeople(path: String) throws -> [Person] {
        let reader = try PeopleReader(path: path)
        var people: [Person] = []
        while let item = try reader.next() {
            switch item {
            case .person(let person, _): people.append(person)
            case .quarantined(let record):
                throw KindredError.badInput(record.reason + " (run `kindred clean` first; it quarantines bad records)", file: record.file, line: record.line, field: record.field)
            }
        }
        if people.isEmpty { throw KindredError.badInput("the file is empty: no people records", file: path, line: nil) }
        return people
    }

    /// Builds the graph in memory; also returns the vocabulary size.
    public static func build(people: [Person], request: GraphRequest) throws -> (graph: Graph, features: Int) {
        guard request.k >= 1 else { throw KindredError.usage("--k must be at least 1") }
        var vectorizer = PeopleVectorizer(weights: request.weights)
        let vectors = vectorizer.fitTransform(people)
        let table = SparseKNN.neighbors(of: vectors, k: request.k, minimumSimilarity: request.minimumSimilarity)
        let graph = KNNGraphBuilder.graph(from: table, ids: people.map(\.id), symmetrization: request.symmetrization)
        return (graph, vectorizer.vocabulary.count)
    }

    /// Runs the stage and writes the outputs atomically.
    public static func run(_ request: GraphRequest) throws -> (GraphOutcome, Graph) {
        let started = Date()
        let people = try readPeople(path: request.input)
        let (graph, features) = try build(people: people, request: request)
        try KGraphFormat.write(graph, to: request.output)
        if let edges = request.edges { try EdgeListFormat.write(graph, to: edges) }
        var degrees: [Int] = []
        degrees.reserveCapacity(graph.vertexCount)
        for v in 0..<graph.vertexCount { degrees.append(graph.offsets[v + 1] - graph.offsets[v]) }
        let outcome = GraphOutcome(
            people: people.count, features: features, vertices: graph.vertexCount, edges: graph.edgeCount,
            minimumDegree: degrees.min() ?? 0,
            meanDegree: degrees.isEmpty ? 0 : Double(degrees.reduce(0, +)) / Double(degrees.count),
            maximumDegree: degrees.max() ?? 0, isolated: degrees.filter { $0 == 0 }.count,
            seconds: Date().timeIntervalSince(started))
        return (outcome, graph)
    }
}
