import Dispatch
import FlyingFox
import FlyingSocks
import Foundation
import KindredCore
import KindredPipeline
import KindredProjection
import Synchronization

/// Where and how `kindred serve` listens.
public struct ServeListenOptions: Sendable {
    /// IPv4 address to bind (127.0.0.1 by default: reachable from this machine only).
    public var host = "127.0.0.1"
    /// TCP port (0: any free port, printed when listening).
    public var port: UInt16 = 8080
    /// Seconds a request may take once read before it is answered 500 and dropped.
    public var requestTimeout = 10.0
    /// Seconds between checks of whether the run folder's `latest` moved (0: only on SIGHUP).
    public var reloadInterval = 2.0
    /// Seconds in-flight requests get to finish on SIGTERM.
    public var shutdownGrace = 5.0
    public init() {}
}

/// The HTTP side of `kindred serve` (FlyingFox: BSD sockets, Swift concurrency): turns requests into
/// `ServeRequest`s for the router, enforces the body size limit before reading a body, reloads the model
/// when the run folder's `latest` moves or on `reload()`, and stops gracefully. Logs hold no ids or
/// paths of requests.
public final class ServeServer: Sendable {
    public let router: ServeRouter
    let location: String
    let projection: ProjectionSettings
    let options: ServeListenOptions
    let log: @Sendable (String) -> Void
    private let server: HTTPServer
    private let stopping = Atomic<Bool>(false)
    /// Requests being answered now (read, not yet written back).
    private let inFlight = RequestCounter()
    private let serving = Locked<Task<Void, any Error>?>(nil)

    /// - Parameters:
    ///   - location: what the analyst named (`kindred run`'s output folder, a run folder, or `latest`);
    ///     it is resolved again on every reload.
    ///   - log: where one-line events go (model loaded, reload failed, listening); never request contents.
    public init(
        router: ServeRouter, location: String, projection: ProjectionSettings, options: ServeListenOptions,
        log: @escaping @Sendable (String) -> Void
    ) throws {
        self.router = router
        self.location = location
        self.projection = projection
        self.options = options
        self.log = log
        let address: sockaddr_in
        do {
            address = try .inet(ip4: options.host, port: options.port)
        } catch {
            throw KindredError.usage("--host must be an IPv4 address such as 127.0.0.1 or 0.0.0.0")
        }
        let config = HTTPServer.Configuration(
            address: address, timeout: options.requestTimeout, pool: NoDelaySocketPool(HTTPServer.defaultPool()), logger: .disabled)
        let maxBody = router.settings.maxBodyBytes
        let inFlight = self.inFlight
        server = HTTPServer(config: config, handler: ClosureHTTPHandler { [router] request in
            inFlight.count.add(1, ordering: .relaxed)
            defer { inFlight.count.subtract(1, ordering: .relaxed) }
            return try await ServeServer.answer(request, router: router, maxBody: maxBody)
        })
    }

    /// Reads the body (refusing more than `maxBody` bytes) and asks the router.
    static func answer(_ request: HTTPRequest, router: ServeRouter, maxBody: Int) async throws -> HTTPResponse {
        var headers: [String: String] = [:]
        for (name, value) in request.headers { headers[name.rawValue.lowercased()] = value }
        if let declared = request.bodySequence.count, declared > maxBody {
            return http(ServeResponse.failure(ServeFailure(status: 413, message: "the request body is larger than \(maxBody) bytes", field: nil)), close: true)
        }
        var body: [UInt8] = []
        for try await chunk in request.bodySequence {
            body.append(contentsOf: chunk)
            if body.count > maxBody {
                return http(ServeResponse.failure(ServeFailure(status: 413, message: "the request body is larger than \(maxBody) bytes", field: nil)), close: true)
            }
        }
        var query: [String: String] = [:]
        for item in request.query where query[item.name] == nil { query[item.name] = item.value }
        let response = router.handle(ServeRequest(method: request.method.rawValue, path: request.path, query: query, headers: headers, body: body))
        return http(response, close: false)
    }

    static func http(_ r: ServeResponse, close: Bool) -> HTTPResponse {
        var headers: HTTPHeaders = [.contentType: r.contentType]
        if close { headers[.connection] = "close" }
        return HTTPResponse(statusCode: HTTPStatusCode(r.status, phrase: phrase(r.status)), headers: headers, body: Data(r.body.utf8))
    }

    static func phrase(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 413: return "Content Too Large"
        default: return status < 500 ? "Error" : "Internal Server Error"
        }
    }

    /// Serves until `stop()`; `ready` gets the address once listening.
    public func run(ready: @escaping @Sendable (String) -> Void) async throws {
        let server = self.server
        let watcher = Task { [weak self] in
            guard let interval = self?.options.reloadInterval, interval > 0 else { return }
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
                self?.reloadIfMoved()
            }
        }
        defer { watcher.cancel() }
        let announce = Task {
            try await server.waitUntilListening(timeout: 30)
            if let address = await server.listeningAddress, case .ip4(let host, let port) = address { ready("\(host):\(port)") }
        }
        defer { announce.cancel() }
        let task = Task { try await server.run() }
        serving.withLock { $0 = task }
        do {
            try await task.value
        } catch where stopping.load(ordering: .acquiring) {
            // Closing the listening socket, or cancelling the server, ends it with an error: the stop asked for.
        }
    }

    /// Stops listening, waits for the requests in flight (at most `shutdownGrace` seconds), then ends `run`.
    public func stop() async {
        stopping.store(true, ordering: .releasing)
        let server = self.server
        let grace = options.shutdownGrace
        let closing = Task { await server.stop(timeout: grace) }
        let deadline = ContinuousClock.now + .milliseconds(Int(grace * 1000))
        while inFlight.count.load(ordering: .relaxed) > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        // Idle keep-alive connections would hold the library's stop until its timeout: nothing is in flight now.
        serving.withLock { $0 }?.cancel()
        closing.cancel()
    }

    /// The run folder that `location` names now (`latest` resolved), or nil when it cannot be read.
    func currentRunFolder() -> String? {
        guard let folder = try? ModelLocation.resolve(location, part: .clusters) else { return nil }
        return URL(fileURLWithPath: joinPath(folder, "..")).standardized.resolvingSymlinksInPath().path
    }

    /// Loads the model again when the run folder moved.
    func reloadIfMoved() {
        guard let run = currentRunFolder(), run != router.model.runFolder else { return }
        reload()
    }

    /// Loads the model `location` names and swaps it in; on failure the current model keeps answering.
    public func reload() {
        do {
            let model = try ServeModel.load(location, projection: projection, pseudonymizer: router.settings.pseudonymizer)
            router.replace(with: model)
            log("kindred serve: model of run \(model.runKey) in use (loaded in \(String(format: "%.2f", model.loadSeconds)) s)")
        } catch {
            router.metrics.reloadFailed()
            log("kindred serve: reload failed, the previous model keeps answering: \(error)")
        }
    }
}

/// The server library's socket pool, with Nagle's algorithm turned off on every socket it waits on (the
/// listening socket, whose accepted sockets inherit it on Linux, and each connection). The library writes
/// a response's head and body separately; with Nagle on, the body waits for the client's delayed ACK
/// (40 ms on Linux) and a one-person answer took 44 ms instead of well under one.
struct NoDelaySocketPool: AsyncSocketPool {
    let base: any AsyncSocketPool

    init(_ base: any AsyncSocketPool) { self.base = base }

    func prepare() async throws { try await base.prepare() }

    func run() async throws { try await base.run() }

    func suspendSocket(_ socket: Socket, untilReadyFor events: Socket.Events) async throws {
        var on: Int32 = 1
        _ = setsockopt(socket.file.rawValue, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        try await base.suspendSocket(socket, untilReadyFor: events)
    }
}

/// Requests being answered, shared by the handler and `stop`.
final class RequestCounter: Sendable {
    let count = Atomic<Int>(0)
}
