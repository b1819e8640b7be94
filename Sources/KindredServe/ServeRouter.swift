import Foundation
import KindredClean
import KindredCore
import KindredPeople
import KindredPipeline
import KindredProjection

/// One HTTP request as the router sees it (the server library's request, body read).
public struct ServeRequest: Sendable {
    public var method: String
    /// The path without the query (`/similar/k3c…`).
    public var path: String
    public var query: [String: String]
    /// Header names in lower case.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:], body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }
}

/// One HTTP answer: status, content type and body.
public struct ServeResponse: Sendable, Equatable {
    public var status: Int
    public var contentType: String
    public var body: String

    public init(status: Int, contentType: String = "application/json", body: String) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    /// `{"error":…, "field":…}` with `status`.
    public static func failure(_ f: ServeFailure) -> ServeResponse {
        var j = JSONText()
        j.add("error", f.message)
        if let field = f.field { j.add("field", field) } else { j.addNull("field") }
        return ServeResponse(status: f.status, body: j.text)
    }
}

/// Limits and access of `kindred serve`.
public struct ServeSettings: Sendable {
    /// Bearer token every route but `/healthz` requires (nil: no token).
    public var token: String?
    /// Largest request body accepted (bytes); larger gets 413.
    public var maxBodyBytes = 1 << 20
    /// Most people in one `/assign` request; more gets 413.
    public var maxBatch = 1_000
    /// Most neighbours `/similar` lists.
    public var maxTop = 100
    /// The run's key, to clean raw records and look up the analyst's own ids (nil: cleaned records only).
    public var pseudonymizer: Pseudonymizer?
    public init() {}
}

/// The routes of `kindred serve`, free of sockets: a request in, a response out. The model it answers
/// from can be swapped at any time (`replace`); a request uses the model that was current when it began.
///
/// Routes: `POST /assign` (one person as a JSON object, or a JSON array of them; `?cleaned=1` for
/// `kindred clean` output) → cluster, confidence, second cluster, reason; `GET /similar/{id}?top=N&explain=1`
/// → nearest people and why; `GET /clusters` → profiles; `GET /healthz`; `GET /metrics` (Prometheus text).
public final class ServeRouter: Sendable {
    public let settings: ServeSettings
    public let metrics = ServeMetrics()
    private let current: Locked<ServeModel>

    public init(model: ServeModel, settings: ServeSettings) {
        self.settings = settings
        current = Locked(model)
        metrics.modelLoaded(model)
    }

    /// The model requests are answered from now.
    public var model: ServeModel { current.withLock { $0 } }

    /// Makes `model` the one new requests use (requests in flight finish on the old one).
    public func replace(with model: ServeModel) {
        current.withLock { $0 = model }
        metrics.modelLoaded(model)
    }

    /// Answers one request, and counts it in the metrics under its route (never its path: ids stay out).
    public func handle(_ request: ServeRequest) -> ServeResponse {
        let started = ContinuousClock.now
        let (route, response) = route(request)
        let elapsed = started.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        metrics.record(route: route, status: response.status, seconds: seconds)
        return response
    }

    private func route(_ request: ServeRequest) -> (String, ServeResponse) {
        let path = request.path
        if path == "/healthz" {
            guard request.method == "GET" || request.method == "HEAD" else { return ("/healthz", methodNotAllowed("GET")) }
            let m = model
            return ("/healthz", ServeResponse(status: 200, body: "{\"status\":\"ok\",\"run\":\(JSONText.quote(m.runKey))}"))
        }
        let routeName: String
        switch path {
        case "/assign": routeName = "/assign"
        case "/clusters": routeName = "/clusters"
        case "/metrics": routeName = "/metrics"
        default: routeName = path.hasPrefix("/similar/") ? "/similar/{id}" : "other"
        }
        if let token = settings.token {
            guard let given = request.headers["authorization"], given.hasPrefix("Bearer "),
                Self.constantTimeEqual(Array(given.utf8.dropFirst(7)), Array(token.utf8))
            else {
                return (routeName, .failure(ServeFailure(status: 401, message: "a bearer token is required (Authorization: Bearer TOKEN)", field: "Authorization")))
            }
        }
        do {
            switch routeName {
            case "/assign":
                guard request.method == "POST" else { return (routeName, methodNotAllowed("POST")) }
                return (routeName, try assign(request))
            case "/clusters":
                guard request.method == "GET" else { return (routeName, methodNotAllowed("GET")) }
                return (routeName, ServeResponse(status: 200, body: model.clustersJSON))
            case "/metrics":
                guard request.method == "GET" else { return (routeName, methodNotAllowed("GET")) }
                return (routeName, ServeResponse(status: 200, contentType: "text/plain; version=0.0.4", body: metrics.text()))
            case "/similar/{id}":
                guard request.method == "GET" else { return (routeName, methodNotAllowed("GET")) }
                return (routeName, try similar(request))
            default:
                return (routeName, .failure(ServeFailure(
                    status: 404, message: "no such route (POST /assign, GET /similar/{id}, GET /clusters, GET /healthz, GET /metrics)", field: nil)))
            }
        } catch let failure as ServeFailure {
            return (routeName, .failure(failure))
        } catch let error as KindredError {
            let status = error.code == .badInput || error.code == .usage ? (error.field == "id" ? 404 : 400) : 500
            return (routeName, .failure(ServeFailure(status: status, message: error.message, field: error.field)))
        } catch {
            return (routeName, .failure(ServeFailure(status: 500, message: "internal error", field: nil)))
        }
    }

    private func methodNotAllowed(_ allowed: String) -> ServeResponse {
        .failure(ServeFailure(status: 405, message: "method not allowed (use \(allowed))", field: nil))
    }

    /// `POST /assign`: a JSON object (one person) → one result object; a JSON array → an array of them.
    private func assign(_ request: ServeRequest) throws -> ServeResponse {
        guard request.body.count <= settings.maxBodyBytes else {
            throw ServeFailure(status: 413, message: "the request body is larger than \(settings.maxBodyBytes) bytes", field: nil)
        }
        let cleaned = ["1", "true", "yes"].contains(request.query["cleaned"]?.lowercased() ?? "")
        let m = model
        if !cleaned && !m.acceptsRawRecords {
            throw ServeFailure(
                status: 400, message: "this server was started without the run's key, so it takes cleaned records only (?cleaned=1)", field: nil)
        }
        guard let value = request.body.withUnsafeBufferPointer({ JSONValue.parse($0) }) else {
            throw ServeFailure(status: 400, message: "the body is not valid JSON (one person as an object, or an array of them)", field: nil)
        }
        let records: [JSONValue]
        let single: Bool
        switch value {
        case .object: (records, single) = ([value], true)
        case .array(let items): (records, single) = (items, false)
        default: throw ServeFailure(status: 400, message: "expected a JSON object (one person) or an array of them", field: nil)
        }
        guard records.count <= settings.maxBatch else {
            throw ServeFailure(status: 413, message: "more than \(settings.maxBatch) people in one request", field: nil)
        }
        var people: [Person] = []
        people.reserveCapacity(records.count)
        for (i, record) in records.enumerated() {
            let at = single ? "" : "[\(i)]."
            guard case .object = record else { throw ServeFailure(status: 400, message: "expected a JSON object", field: single ? nil : "[\(i)]") }
            do {
                people.append(try PeopleJSON.person(from: record))
            } catch let error as KindredError {
                throw ServeFailure(status: 400, message: error.message, field: error.field.map { at + $0 } ?? (single ? nil : "[\(i)]"))
            }
        }
        let results = m.assign(people, cleaned: cleaned).map { Self.resultJSON(id: $0.id, $0.assignment) }
        return ServeResponse(status: 200, body: single ? results[0] : "[" + results.joined(separator: ",") + "]")
    }

    /// One assignment as JSON, with the numbers written exactly as `kindred project` writes them in its CSV.
    public static func resultJSON(id: String, _ a: Assignment) -> String {
        var j = JSONText()
        j.add("id", id)
        if let c = a.cluster {
            j.add("cluster", Int(c))
            j.add("confidence", raw: ProjectStage.fixed4(a.confidence))
            if let s = a.second { j.add("second_cluster", Int(s)) } else { j.addNull("second_cluster") }
            j.addNull("reason")
        } else {
            j.addNull("cluster")
            j.addNull("confidence")
            j.addNull("second_cluster")
            j.add("reason", a.reason?.rawValue ?? "")
        }
        return j.text
    }

    /// `GET /similar/{id}?top=N&explain=1`.
    private func similar(_ request: ServeRequest) throws -> ServeResponse {
        let id = String(request.path.dropFirst("/similar/".count)).removingPercentEncoding ?? ""
        guard !id.isEmpty, !id.contains("/") else { throw ServeFailure(status: 400, message: "give one id: /similar/{id}", field: "id") }
        var top = 10
        if let text = request.query["top"] {
            guard let n = Int(text), n >= 1, n <= settings.maxTop else {
                throw ServeFailure(status: 400, message: "top must be a whole number from 1 to \(settings.maxTop)", field: "top")
            }
            top = n
        }
        let explain = ["1", "true", "yes"].contains(request.query["explain"]?.lowercased() ?? "")
        let answer = try model.similar(id: id, top: top, pseudonymizer: settings.pseudonymizer)
        return ServeResponse(status: 200, body: answer.json(explain: explain))
    }

    /// Compares two byte strings in time that depends on their lengths only.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
