import Dispatch
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
    /// Seconds a client has, once a request has started, to send all of it (else 408 and the connection closes).
    public var requestTimeout = 10.0
    /// Seconds a keep-alive connection may stay idle between requests before it is closed.
    public var idleTimeout = 60.0
    /// Largest request head (request line and headers), bytes (else 431).
    public var maxHeadBytes = 16_384
    /// Seconds between checks of whether the run folder's `latest` moved (0: only on SIGHUP).
    public var reloadInterval = 2.0
    /// Seconds in-flight requests get to finish on SIGTERM.
    public var shutdownGrace = 5.0
    public init() {}
}

/// The HTTP side of `kindred serve`, on FlyingSocks (BSD sockets and epoll, from the FlyingFox package; its
/// HTTP module is not used because it imports FoundationNetworking, which would make the static release need
/// libcurl). `HTTPWire` frames the requests; each connection is one task that reads a request, asks the
/// router and writes the whole answer in one write. Keep-alive and pipelining are served; a client that
/// starts a request gets `requestTimeout` seconds to send all of it (else 408 and the connection closes); an
/// idle connection closes after `idleTimeout`. Reloads the model when the run folder's `latest` moves or on
/// `reload()`, and stops gracefully. Logs hold no ids or paths of requests.
public final class ServeServer: Sendable {
    public let router: ServeRouter
    let location: String
    let projection: ProjectionSettings
    let options: ServeListenOptions
    let log: @Sendable (String) -> Void
    private let address: sockaddr_in
    private let stopping = Atomic<Bool>(false)
    /// Requests being answered now (head read, answer not yet written).
    private let inFlight = RequestCounter()
    private let serving = Locked<Task<Void, any Error>?>(nil)
    private let listener = Locked<Socket?>(nil)

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
        do {
            address = try .inet(ip4: options.host, port: options.port)
        } catch {
            throw KindredError.usage("--host must be an IPv4 address such as 127.0.0.1 or 0.0.0.0")
        }
    }

    /// Serves until `stop()`; `ready` gets the address once listening.
    public func run(ready: @escaping @Sendable (String) -> Void) async throws {
        let watcher = Task { [weak self] in
            guard let interval = self?.options.reloadInterval, interval > 0 else { return }
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
                self?.reloadIfMoved()
            }
        }
        defer { watcher.cancel() }
        let pool: SocketPool<ePoll> = .ePoll()
        try await pool.prepare()
        let socket = try Socket(domain: AF_INET, type: .stream)
        try socket.setValue(true, for: .localAddressReuse)
        Self.noDelay(socket)
        do {
            try socket.bind(to: address)
            try socket.listen()
        } catch {
            try? socket.close()
            throw KindredError(.io, "cannot listen on \(options.host):\(options.port): \(error)")
        }
        listener.withLock { $0 = socket }
        if case .ip4(let host, let port) = try socket.sockname() { ready("\(host):\(port)") }
        let task = Task {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await pool.run() }
                let accepting = try AsyncSocket(socket: socket, pool: pool)
                do {
                    for try await connection in accepting.sockets {
                        group.addTask { await self.serve(connection) }
                    }
                } catch where self.stopping.load(ordering: .acquiring) {
                    // `stop` shut the listening socket down: accept fails, and no new connection is taken.
                }
                try? socket.close()
            }
        }
        serving.withLock { $0 = task }
        if stopping.load(ordering: .acquiring) { task.cancel() }
        do {
            try await task.value
        } catch where stopping.load(ordering: .acquiring) {
            // Cancelling the connections and the socket pool ends it with an error: the stop asked for.
        }
    }

    /// Stops taking connections, waits for the requests in flight (at most `shutdownGrace` seconds), then
    /// closes the connections left (idle keep-alive ones) and ends `run`.
    public func stop() async {
        stopping.store(true, ordering: .releasing)
        if let socket = listener.withLock({ $0 }) { _ = shutdown(socket.file.rawValue, Int32(SHUT_RDWR)) }
        let deadline = ContinuousClock.now + .milliseconds(Int(options.shutdownGrace * 1000))
        while inFlight.count.load(ordering: .relaxed) > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(nanoseconds: 5_000_000)
        }
        serving.withLock { $0 }?.cancel()
    }

    /// Answers the requests of one connection until the client closes it, asks to close it, goes quiet for
    /// `idleTimeout`, sends a request that cannot be framed, or the server stops.
    func serve(_ connection: AsyncSocket) async {
        Self.noDelay(connection.socket)
        defer { try? connection.close() }
        let limits = (head: options.maxHeadBytes, body: router.settings.maxBodyBytes)
        var buffer: [UInt8] = []
        while !Task.isCancelled {
            // The next request's first bytes (they may already be here, pipelined).
            if buffer.isEmpty {
                guard let bytes = await Self.read(connection, within: options.idleTimeout) else { return }
                buffer.append(contentsOf: bytes)
            }
            let deadline = ContinuousClock.now + .milliseconds(Int(options.requestTimeout * 1000))
            var parsed = HTTPWire.parseHead(buffer[...], maxHeadBytes: limits.head, maxBodyBytes: limits.body)
            while parsed == .needMore {
                guard let bytes = await Self.read(connection, until: deadline) else {
                    await refuse(HTTPWire.Refusal(status: 408, message: "the request was not sent within \(options.requestTimeout) s"), on: connection)
                    return
                }
                buffer.append(contentsOf: bytes)
                parsed = HTTPWire.parseHead(buffer[...], maxHeadBytes: limits.head, maxBodyBytes: limits.body)
            }
            guard case .head(let head) = parsed else {
                if case .refused(let refusal) = parsed { await refuse(refusal, on: connection) }
                return
            }
            let total = head.length + head.bodyLength
            if buffer.count < total, head.minorVersion >= 1, head.headers["expect"]?.lowercased() == "100-continue" {
                // curl asks before sending a body over 1 KiB and would otherwise wait a second for this.
                guard await Self.write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8), to: connection) else { return }
            }
            while buffer.count < total {
                guard let bytes = await Self.read(connection, until: deadline) else {
                    await refuse(HTTPWire.Refusal(status: 408, message: "the request body was not sent within \(options.requestTimeout) s"), on: connection)
                    return
                }
                buffer.append(contentsOf: bytes)
            }
            inFlight.count.add(1, ordering: .relaxed)
            let keepAlive = head.keepAlive && !stopping.load(ordering: .acquiring)
            let response: ServeResponse
            if let (path, query) = HTTPWire.splitTarget(head.target) {
                response = router.handle(ServeRequest(
                    method: head.method, path: path, query: query, headers: head.headers,
                    body: Array(buffer[head.length..<total])))
            } else {
                response = .failure(ServeFailure(status: 400, message: "the request target has a malformed %-escape", field: nil))
            }
            let written = await Self.send(response, keepAlive: keepAlive, to: connection)
            inFlight.count.subtract(1, ordering: .relaxed)
            guard written, keepAlive else { return }
            buffer.removeFirst(total)
            // A busy client's next request is often already here, and reads and writes then never suspend:
            // without a yield one connection would keep a thread of the cooperative pool (2 on 2 cores) and
            // the others would wait (p99 355 ms at 50 clients, measured).
            await Task.yield()
        }
    }

    /// Answers a request that cannot be served (the router's JSON error shape) and counts it in the metrics.
    func refuse(_ refusal: HTTPWire.Refusal, on connection: AsyncSocket) async {
        router.metrics.record(route: "unframed", status: refusal.status, seconds: 0)
        _ = await Self.send(.failure(ServeFailure(status: refusal.status, message: refusal.message, field: nil)), keepAlive: false, to: connection)
    }

    /// Writes a router answer as one HTTP response; false when the connection failed.
    static func send(_ response: ServeResponse, keepAlive: Bool, to connection: AsyncSocket) async -> Bool {
        await write(
            HTTPWire.response(status: response.status, contentType: response.contentType, body: Array(response.body.utf8), keepAlive: keepAlive),
            to: connection)
    }

    /// Bytes from the connection, or nil when it closed, failed, or nothing came within `seconds`.
    static func read(_ connection: AsyncSocket, within seconds: Double) async -> [UInt8]? {
        await read(connection, until: ContinuousClock.now + .milliseconds(Int(seconds * 1000)))
    }

    /// Bytes from the connection, or nil when it closed, failed, or nothing came before `deadline`.
    static func read(_ connection: AsyncSocket, until deadline: ContinuousClock.Instant) async -> [UInt8]? {
        // Most reads find bytes waiting: no timer is needed for them.
        do {
            return try connection.socket.read(atMost: 16_384)
        } catch SocketError.blocked {
        } catch {
            return nil
        }
        guard deadline > ContinuousClock.now else { return nil }
        return await withTaskGroup(of: [UInt8]?.self) { group in
            group.addTask { try? await connection.read(atMost: 16_384) }
            group.addTask {
                try? await Task.sleep(until: deadline, clock: .continuous)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// Writes all of `bytes`; false when the connection failed.
    static func write(_ bytes: [UInt8], to connection: AsyncSocket) async -> Bool {
        do {
            try await connection.write(Data(bytes))
            return true
        } catch {
            return false
        }
    }

    /// Turns Nagle's algorithm off (accepted sockets inherit it from the listening one on Linux; set on both).
    static func noDelay(_ socket: Socket) {
        var on: Int32 = 1
        _ = setsockopt(socket.file.rawValue, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
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

/// Requests being answered, shared by the handler and `stop`.
final class RequestCounter: Sendable {
    let count = Atomic<Int>(0)
}
