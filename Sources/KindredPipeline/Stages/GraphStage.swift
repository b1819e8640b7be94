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
    /// What graph to build (k, metric, method, …).
    public var settings = GraphSettings()
    /// Worker threads (nil: all cores); never changes the graph.
    public var threads: Int?
    /// Also write a similarity model folder here (for `kindred similar`).
    public var model: String?
    /// Where to count people done (phases `fitting the metric`, `searching neighbours` for the sparse
    /// method, `re-ranking`). Never changes the graph.
    public var progress: ProgressCounter?

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
    public var method = SearchMethod.sparse
    public var searchSeconds = 0.0
}

/// Reads clean people, vectorises them and writes their exact k-NN similarity graph.
public enum GraphStage {
    /// Reads every person of a people file into memory.
    /// - Throws: on the first bad record, naming file, line and field (graph input should be clean output).
    public static func readPeople(path: String, threads: Int? = nil) throws -> [Person] {
        let reader = try PeopleReader(path: path)
        var people: [Person] = []
        while true {
            let batch = try reader.nextBatch(8192, threads: threads)
            if batch.isEmpty { break }
            for item in batch {
                switch item {
                case .person(let person, _): people.append(person)
                case .quarantined(let record):
                    throw KindredError.badInput(
                        record.reason + " (run `kindred clean` first; it quarantines bad records)", file: record.file, line: record.line,
                        field: record.field)
                }
            }
        }
        if people.isEmpty { throw KindredError.badInput("the file is empty: no people records", file: path, line: nil) }
        return people
    }

    /// Builds the graph in memory, with the metric, vectors and (dense methods) LSA embedding it fitted.
    public static func build(people: [Person], request: GraphRequest) throws -> BuiltGraph {
        try PeopleGraphBuilder.build(people: people, settings: request.settings, threads: request.threads, progress: request.progress)
    }

    /// Runs the stage and writes the outputs atomically.
    public static func run(_ request: GraphRequest) throws -> (GraphOutcome, Graph) {
        let started = Date()
        let people = try readPeople(path: request.input, threads: request.threads)
        let built = try build(people: people, request: request)
        let (graph, features, searchSeconds) = (built.graph, built.features, built.searchSeconds)
        try KGraphFormat.write(graph, to: request.output, kind: .peopleSimilarity)
        if let edges = request.edges { try EdgeListFormat.write(graph, to: edges) }
        var degrees: [Int] = []
        degrees.reserveCapacity(graph.vertexCount)
        for v in 0..<graph.vertexCount { degrees.append(graph.offsets[v + 1] - graph.offsets[v]) }
        let outcome = GraphOutcome(
            people: people.count, features: features, vertices: graph.vertexCount, edges: graph.edgeCount,
            minimumDegree: degrees.min() ?? 0,
            meanDegree: degrees.isEmpty ? 0 : Double(degrees.reduce(0, +)) / Double(degrees.count),
            maximumDegree: degrees.max() ?? 0, isolated: degrees.filter { $0 == 0 }.count,
            seconds: Date().timeIntervalSince(started), method: request.settings.method, searchSeconds: searchSeconds)
        if let model = request.model { try SimilarityModel.write(to: model, request: request, input: request.input) }
        return (outcome, graph)
    }
}
