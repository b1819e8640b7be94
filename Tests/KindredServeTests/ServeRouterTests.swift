import Dispatch
import Foundation
import KindredClean
import KindredCore
import KindredPeople
import KindredPipeline
import KindredProjection
import KindredTestSupport
import Testing
@testable import KindredServe

/// A run made once by the real pipeline (in process) on 200 generated people, and 60 more people it never saw.
struct SmallRun {
    let folder: TemporaryFolder
    var run: String { folder.file("run") }
    var newPeople: String { folder.file("new.jsonl") }

    static let shared: Result<SmallRun, any Error> = Result {
        let folder = try TemporaryFolder(prefix: "kindred-serve-tests")
        let generator = try SyntheticPeople(catalog: try OccupationCatalog.load(path: Paths.bundledCatalog), options: SynthOptions())
        let lines = (0..<260).map { generator.record(at: $0).line }
        try AtomicFileWriter.write(lines.prefix(200).joined(separator: "\n") + "\n", to: folder.file("people.jsonl"))
        try AtomicFileWriter.write(lines.suffix(60).joined(separator: "\n") + "\n", to: folder.file("new.jsonl"))
        try FileManager.default.createDirectory(atPath: folder.file("run"), withIntermediateDirectories: true)
        var config = RunConfig()
        config.input = folder.file("people.jsonl")
        config.demoKey = true
        config.seed = 4
        config.graph.k = 5
        config.graph.dimensions = 8
        config.sampleSize = 150
        config.projection.k = 5
        config.stabilitySeeds = 0
        config.typicalMembers = 1
        config.asOf = YearMonth(year: 2026, month: 1)
        _ = try PipelineRun.run(
            config, into: folder.file("run"), previous: nil, runKey: "serve-tests", environment: [:], configHash: "serve-tests",
            inputSHA256: "feed")
        return SmallRun(folder: folder)
    }
}

func router(token: String? = nil, key: Bool = true, maxBatch: Int = 1_000, maxBody: Int = 1 << 20) throws -> ServeRouter {
    var settings = ServeSettings()
    settings.token = token
    settings.maxBatch = maxBatch
    settings.maxBodyBytes = maxBody
    settings.pseudonymizer = key ? Pseudonymizer.demo() : nil
    let model = try ServeModel.load(try SmallRun.shared.get().run, projection: ProjectionSettings(), pseudonymizer: settings.pseudonymizer)
    return ServeRouter(model: model, settings: settings)
}

private func post(_ router: ServeRouter, _ body: String, query: [String: String] = [:], headers: [String: String] = [:]) -> ServeResponse {
    router.handle(ServeRequest(method: "POST", path: "/assign", query: query, headers: headers, body: Array(body.utf8)))
}

private func get(_ router: ServeRouter, _ path: String, query: [String: String] = [:], headers: [String: String] = [:]) -> ServeResponse {
    router.handle(ServeRequest(method: "GET", path: path, query: query, headers: headers))
}

private func object(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}

/// `kindred project`'s CSV row for an answer of the service (the same columns, the same number formatting).
private func csvRow(_ json: [String: Any]) -> String {
    func text(_ key: String) -> String {
        switch json[key] {
        case let n as NSNumber where key == "confidence": return String(format: "%.4f", n.doubleValue)
        case let n as NSNumber: return n.stringValue
        case let s as String: return s
        default: return ""
        }
    }
    let cluster = json["cluster"] is NSNull ? "unassigned" : text("cluster")
    return [text("id"), cluster, text("confidence"), text("second_cluster"), text("reason")].joined(separator: ",")
}

@Suite("kindred serve: routes")
struct ServeRouterTests {
    @Test("POST /assign answers every person exactly as `kindred project` does (same cluster, confidence, second cluster, reason), one at a time and in a batch",
          arguments: [ProjectionMethod.vote, .centroid])
    func sameAnswersAsProject(method: ProjectionMethod) throws {
        let small = try SmallRun.shared.get()
        var request = ProjectRequest(input: small.newPeople, output: small.folder.file("projected-\(method.rawValue).csv"))
        request.projection = ProjectionSettings(method: method, k: ProjectionSettings().k, probes: ProjectionSettings().probes)
        request.threads = 2
        let model = try ClusterModel.load(try ModelLocation.resolve(small.run, part: .clusters))
        let outcome = try ProjectStage.run(request, model: model, pseudonymizer: Pseudonymizer.demo())
        #expect(outcome.read == 60 && outcome.reconciles)
        let expected = try String(contentsOfFile: request.output, encoding: .utf8).split(separator: "\n").dropFirst().map(String.init)

        var settings = ServeSettings()
        settings.pseudonymizer = Pseudonymizer.demo()
        let serve = ServeRouter(
            model: try ServeModel.load(small.run, projection: ProjectionSettings(method: method, k: ProjectionSettings().k, probes: ProjectionSettings().probes), pseudonymizer: Pseudonymizer.demo()),
            settings: settings)
        let records = try String(contentsOfFile: small.newPeople, encoding: .utf8).split(separator: "\n").map(String.init)
        var single: [String] = []
        for record in records {
            let response = post(serve, record)
            #expect(response.status == 200)
            single.append(csvRow(try object(response.body)))
        }
        #expect(single == expected)
        let batch = post(serve, "[" + records.joined(separator: ",") + "]")
        #expect(batch.status == 200)
        let answers = try #require(try JSONSerialization.jsonObject(with: Data(batch.body.utf8)) as? [[String: Any]])
        #expect(answers.map(csvRow) == expected)
    }

    @Test("answers do not depend on how many requests run at once (workers borrow cleaners and scratch from a pool)")
    func concurrentAnswersAreTheSame() throws {
        let serve = try router()
        let records = try String(contentsOfFile: try SmallRun.shared.get().newPeople, encoding: .utf8).split(separator: "\n").map(String.init)
        let sequential = records.map { post(serve, $0).body }
        let results = UncheckedResults(count: records.count)
        DispatchQueue.concurrentPerform(iterations: records.count) { i in results.set(i, post(serve, records[i]).body) }
        #expect(results.values == sequential)
    }

    @Test("bad JSON and bad fields are 400 naming the field (with the person's place in a batch); nothing is echoed")
    func badRequests() throws {
        let serve = try router()
        let notJSON = post(serve, "{\"id\": \"secret-id-123\", ")
        #expect(notJSON.status == 400 && !notJSON.body.contains("secret-id-123"))
        let skills = try object(post(serve, #"{"id":"a","skills":5}"#).body)
        #expect(skills["field"] as? String == "skills")
        let nested = post(serve, #"[{"id":"a"},{"id":"b","positions":[{"title":7}]}]"#)
        #expect(nested.status == 400)
        #expect(try object(nested.body)["field"] as? String == "[1].positions[0].title")
        #expect(post(serve, "42").status == 400)
        #expect(post(serve, "[1]").status == 400)
        #expect(get(serve, "/assign").status == 405)
        #expect(get(serve, "/nothing").status == 404)
    }

    @Test("a batch over --max-batch or a body over --max-body is 413")
    func limits() throws {
        let serve = try router(maxBatch: 2, maxBody: 200)
        #expect(post(serve, #"[{"id":"a"},{"id":"b"},{"id":"c"}]"#).status == 413)
        #expect(post(serve, "[" + String(repeating: #"{"id":"a"},"#, count: 30) + #"{"id":"z"}]"#).status == 413)
        #expect(post(serve, #"[{"id":"a"},{"id":"b"}]"#).status == 200)
    }

    @Test("with a token, every route but /healthz needs `Authorization: Bearer TOKEN`")
    func token() throws {
        let serve = try router(token: "s3cret")
        #expect(get(serve, "/healthz").status == 200)
        #expect(get(serve, "/clusters").status == 401)
        #expect(get(serve, "/clusters", headers: ["authorization": "Bearer wrong!"]).status == 401)
        #expect(get(serve, "/clusters", headers: ["authorization": "Bearer s3cret"]).status == 200)
        #expect(post(serve, #"{"id":"a"}"#, headers: ["authorization": "Bearer s3cret"]).status == 200)
        #expect(get(serve, "/metrics").status == 401)
    }

    @Test("without the run's key, raw records are refused (400) and cleaned ones are assigned")
    func cleanedOnlyWithoutKey() throws {
        let serve = try router(key: false)
        #expect(post(serve, #"{"id":"a","skills":["python"]}"#).status == 400)
        let clean = try String(contentsOfFile: try SmallRun.shared.get().run + "/clean.jsonl", encoding: .utf8).split(separator: "\n")[0]
        let answer = post(serve, String(clean), query: ["cleaned": "1"])
        #expect(answer.status == 200)
        #expect(try object(answer.body)["cluster"] is NSNumber)
    }

    @Test("GET /similar/ID answers as `kindred similar --json`; an unknown id is 404 on field id without echoing it")
    func similar() throws {
        let small = try SmallRun.shared.get()
        let serve = try router()
        let id = String(try String(contentsOfFile: small.run + "/clusters.csv", encoding: .utf8).split(separator: "\n")[1].split(separator: ",")[0])
        let answer = get(serve, "/similar/" + id, query: ["top": "3", "explain": "1"])
        #expect(answer.status == 200)
        #expect(answer.body == (try SimilarQuery.run(model: small.run, id: id, top: 3)).json(explain: true))
        let unknown = get(serve, "/similar/person-4711")
        #expect(unknown.status == 404 && !unknown.body.contains("person-4711"))
        #expect(try object(unknown.body)["field"] as? String == "id")
        #expect(get(serve, "/similar/" + id, query: ["top": "0"]).status == 400)
    }

    @Test("GET /clusters lists every profile; /metrics counts requests by route (no ids), in Prometheus text")
    func clustersAndMetrics() throws {
        let serve = try router()
        let clusters = try object(get(serve, "/clusters").body)
        #expect((clusters["clusters"] as? [Any])?.count == serve.model.model.profiles.count)
        _ = get(serve, "/similar/k0123456789abcdef01234567")
        _ = post(serve, #"{"id":"a"}"#)
        let metrics = get(serve, "/metrics")
        #expect(metrics.contentType.hasPrefix("text/plain"))
        #expect(metrics.body.contains(#"kindred_requests_total{route="/assign",status="200"} 1"#))
        #expect(metrics.body.contains(#"kindred_requests_total{route="/similar/{id}",status="404"} 1"#))
        #expect(!metrics.body.contains("k0123456789abcdef01234567"))
        #expect(metrics.body.contains("kindred_model_info{run=\"\(serve.model.runKey)\"} 1"))
    }

    @Test("a model swapped in answers new requests; the reload is counted")
    func replace() throws {
        let serve = try router()
        let other = try ServeModel.load(try SmallRun.shared.get().run, projection: ProjectionSettings(method: .centroid, k: 15, probes: 0), pseudonymizer: Pseudonymizer.demo())
        serve.replace(with: other)
        #expect(serve.model === other)
        #expect(get(serve, "/metrics").body.contains("kindred_model_reloads_total 1"))
    }
}

/// Results written by concurrent iterations, each to its own slot.
private final class UncheckedResults: @unchecked Sendable {
    private var storage: [String]
    private let lock = NSLock()
    init(count: Int) { storage = Array(repeating: "", count: count) }
    func set(_ i: Int, _ value: String) { lock.lock(); storage[i] = value; lock.unlock() }
    var values: [String] { lock.lock(); defer { lock.unlock() }; return storage }
}
