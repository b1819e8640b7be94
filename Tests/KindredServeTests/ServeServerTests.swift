import Foundation
import KindredCore
import KindredProjection
import Testing
@testable import KindredServe

#if canImport(Glibc)
import Glibc
#endif

/// A server on a free loopback port for one test, stopped at the end. Nothing here blocks a thread of the
/// cooperative pool (2 threads on 2 cores): the server's tasks need them while other suites run.
private final class LiveServer: Sendable {
    let server: ServeServer
    let port: UInt16
    private let finished: Locked<Bool>

    static func start(_ router: ServeRouter, requestTimeout: Double = 60, idleTimeout: Double = 60) async throws -> LiveServer {
        var options = ServeListenOptions()
        options.port = 0
        options.requestTimeout = requestTimeout
        options.idleTimeout = idleTimeout
        options.reloadInterval = 0
        options.shutdownGrace = 2
        let server = try ServeServer(router: router, location: try SmallRun.shared.get().run, projection: ProjectionSettings(), options: options, log: { _ in })
        let address = Locked<String>("")
        let finished = Locked(false)
        Task {
            try? await server.run(ready: { text in address.withLock { $0 = text } })
            finished.withLock { $0 = true }
        }
        let deadline = ContinuousClock.now + .seconds(90)
        while address.withLock({ $0 }).isEmpty && ContinuousClock.now < deadline { try await Task.sleep(nanoseconds: 10_000_000) }
        guard let port = UInt16(address.withLock({ $0 }).split(separator: ":").last ?? "") else {
            throw KindredError(.io, "the test server did not start")
        }
        return LiveServer(server: server, port: port, finished: finished)
    }

    private init(server: ServeServer, port: UInt16, finished: Locked<Bool>) {
        self.server = server
        self.port = port
        self.finished = finished
    }

    /// Stops the server; true when `run` returned within `seconds`.
    func stop(within seconds: Double = 90) async -> Bool {
        await server.stop()
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while !finished.withLock({ $0 }) && ContinuousClock.now < deadline { try? await Task.sleep(nanoseconds: 10_000_000) }
        return finished.withLock { $0 }
    }
}

/// Runs blocking client work on a Dispatch thread, off the cooperative pool.
private func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}

/// A blocking loopback client: sends bytes, reads whole responses (Content-Length framed).
private final class Client: @unchecked Sendable {
    let fd: Int32
    private var pending: [UInt8] = []

    init(port: UInt16) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        // Generous: the whole suite runs in parallel on 2 cores, where long synchronous tests can hold both threads
        // of the cooperative pool and the server's tasks wait their turn (CI saw more than 5 s, then more than 10 s).
        var timeout = timeval(tv_sec: 90, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw KindredError(.io, "cannot connect to the test server") }
    }

    deinit { close(fd) }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// The next response's status, headers (lower-case names) and body; nil when the server closed first.
    func response() -> (status: Int, headers: [String: String], body: String)? {
        while true {
            if let end = HTTPWire.headEnd(pending[...], limit: pending.count) {
                let head = String(decoding: pending[..<end], as: UTF8.self)
                var lines = head.components(separatedBy: "\r\n").filter { !$0.isEmpty }
                let status = Int(lines.removeFirst().split(separator: " ")[1]) ?? 0
                var headers: [String: String] = [:]
                for line in lines {
                    let parts = line.split(separator: ":", maxSplits: 1)
                    headers[parts[0].lowercased()] = parts[1].trimmingCharacters(in: .whitespaces)
                }
                let length = Int(headers["content-length"] ?? "0") ?? 0
                if pending.count >= end + length {
                    let body = String(decoding: pending[end..<(end + length)], as: UTF8.self)
                    pending.removeFirst(end + length)
                    return (status, headers, body)
                }
            }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return nil }
            pending.append(contentsOf: chunk[..<count])
        }
    }

    /// Whether the server closed the connection (a read gets end of file) within the receive timeout.
    func closedByServer() -> Bool {
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, 0) == 0
    }
}

private func post(_ body: String, path: String = "/assign", connection: String? = nil) -> String {
    "POST \(path) HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
        + (connection.map { "Connection: \($0)\r\n" } ?? "") + "\r\n" + body
}

private typealias Answer = (status: Int, headers: [String: String], body: String)

@Suite("kindred serve over real sockets", .serialized)
struct ServeServerTests {
    @Test("keep-alive and pipelining: two requests in one write get two answers in order, equal to the router's own")
    func pipelined() async throws {
        let router = try router()
        let live = try await LiveServer.start(router)
        let person = String(try String(contentsOfFile: try SmallRun.shared.get().newPeople, encoding: .utf8).split(separator: "\n")[0])
        let expected = router.handle(ServeRequest(method: "POST", path: "/assign", body: Array(person.utf8)))
        let port = live.port
        let (first, second, third, closed) = try await blocking { () -> (Answer?, Answer?, Answer?, Bool) in
            let client = try Client(port: port)
            client.send(post(person) + "GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
            let first = client.response()
            let second = client.response()
            // The same connection keeps answering, and `Connection: close` is honoured.
            client.send(post(person, connection: "close"))
            let third = client.response()
            return (first, second, third, client.closedByServer())
        }
        #expect(first?.status == 200)
        #expect(first?.body == expected.body)
        #expect(first?.headers["connection"] == "keep-alive")
        #expect(second?.status == 200)
        #expect(second?.body.contains("\"run\"") == true)
        #expect(third?.body == expected.body)
        #expect(third?.headers["connection"] == "close")
        #expect(closed)
        #expect(await live.stop())
    }

    @Test("Expect: 100-continue gets an interim 100 before the body is sent, then the answer")
    func expectContinue() async throws {
        let router = try router()
        let live = try await LiveServer.start(router)
        let person = String(try String(contentsOfFile: try SmallRun.shared.get().newPeople, encoding: .utf8).split(separator: "\n")[1])
        let expected = router.handle(ServeRequest(method: "POST", path: "/assign", body: Array(person.utf8)))
        let port = live.port
        let (interim, answer) = try await blocking { () -> (Answer?, Answer?) in
            let client = try Client(port: port)
            client.send("POST /assign HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\nContent-Length: \(person.utf8.count)\r\n\r\n")
            let interim = client.response()
            client.send(person)
            return (interim, client.response())
        }
        #expect(interim?.status == 100)
        #expect(answer?.status == 200)
        #expect(answer?.body == expected.body)
        #expect(await live.stop())
    }

    @Test("unframeable requests get their status as JSON and the connection closed; a declared body over --max-body is refused before it is sent")
    func refusals() async throws {
        let live = try await LiveServer.start(try router(maxBody: 1_000))
        let port = live.port
        for (request, status, closes) in [
            ("GARBAGE\r\n\r\n", 400, true),
            ("POST /assign HTTP/1.1\r\nContent-Length: 5000\r\n\r\n", 413, true),
            ("POST /assign HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501, true),
            ("GET /similar/%zz HTTP/1.1\r\n\r\n", 400, false),
        ] {
            let (answer, closed) = try await blocking { () -> (Answer?, Bool) in
                let client = try Client(port: port)
                client.send(request)
                let answer = client.response()
                return (answer, closes ? client.closedByServer() : false)
            }
            #expect(answer?.status == status, "\(request.debugDescription)")
            #expect(answer?.body.hasPrefix("{\"error\"") == true)
            #expect(closed == closes)
        }
        #expect(await live.stop())
    }

    @Test("a client that starts a request and stalls gets 408 after --request-timeout; an idle connection is closed after the idle timeout")
    func slowClients() async throws {
        let live = try await LiveServer.start(try router(), requestTimeout: 0.3, idleTimeout: 0.5)
        let port = live.port
        let (slowStatus, idleClosed, idleSeconds) = try await blocking { () -> (Int?, Bool, Double) in
            let slow = try Client(port: port)
            slow.send("POST /assign HTTP/1.1\r\nContent-Length: 10\r\n\r\n{\"a\"")
            let status = slow.response()?.status
            let idle = try Client(port: port)
            let start = Date()
            return (status, idle.closedByServer(), Date().timeIntervalSince(start))
        }
        #expect(slowStatus == 408)
        #expect(idleClosed)
        #expect(idleSeconds < 45)  // the idle timeout (0.5 s) closed it, not the 60 s default
        #expect(await live.stop())
    }

    @Test("stop ends run promptly with idle keep-alive connections open, and no new connection is answered after it")
    func stopWithIdleConnections() async throws {
        let live = try await LiveServer.start(try router())
        let port = live.port
        let (clients, statuses) = try await blocking { () -> ([Client], [Int?]) in
            let clients = try (0..<5).map { _ in try Client(port: port) }
            var statuses: [Int?] = []
            for client in clients {
                client.send("GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
                statuses.append(client.response()?.status)
            }
            return (clients, statuses)
        }
        #expect(statuses == Array(repeating: 200, count: 5))
        // The idle connections would hold a server that waited for them for their 60 s idle timeout.
        let start = ContinuousClock.now
        #expect(await live.stop(within: 45))
        #expect(ContinuousClock.now - start < .seconds(45))
        let closed = try await blocking { clients.map { $0.closedByServer() } }
        #expect(closed == Array(repeating: true, count: 5))
        let refused = try await blocking { (try? Client(port: port)) == nil }
        #expect(refused)
    }
}
