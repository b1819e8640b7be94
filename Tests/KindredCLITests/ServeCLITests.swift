import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `kindred serve` over real loopback sockets, as its own process (the built binary): the server keeps its own
/// threads, so the answers do not wait for threads of this test process, which the rest of the suite keeps busy.
@Suite("kindred serve over real sockets (the binary)", .serialized)
struct ServeCLITests {
    static let fixture = Result { try ClusteredRun.make(people: 300, synthSeed: 5, runSeed: 1) }

    /// The first person of the fixture's people file, as sent to POST /assign.
    static func person() throws -> String {
        String(try String(contentsOfFile: try fixture.get().p("people.jsonl"), encoding: .utf8).split(separator: "\n")[0])
    }

    @Test("keep-alive and pipelining: two requests in one write get two answers in order, the connection keeps answering, `Connection: close` is honoured")
    func pipelined() throws {
        let server = try ServeProcess.start(["--demo-key"])
        defer { server.stopHard() }
        let person = try Self.person()
        let client = try HTTPClient(port: server.port)
        client.send(post(person) + "GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        let first = client.response()
        let second = client.response()
        client.send(post(person, connection: "close"))
        let third = client.response()
        #expect(first?.status == 200)
        #expect(first?.headers["connection"] == "keep-alive")
        #expect(first?.body.hasPrefix("{\"id\":\"k") == true && first?.body.contains("\"cluster\":") == true, "\(first?.body ?? "")")
        #expect(second?.status == 200)
        #expect(second?.body.contains("\"status\":\"ok\"") == true, "\(second?.body ?? "")")
        #expect(third?.body == first?.body)
        #expect(third?.headers["connection"] == "close")
        #expect(client.closedByServer())
    }

    @Test("unframeable requests get their status as JSON and the connection closed; a declared body over --max-body is refused before it is sent")
    func refusals() throws {
        let server = try ServeProcess.start(["--demo-key", "--max-body", "1000"])
        defer { server.stopHard() }
        for (request, status, closes) in [
            ("GARBAGE\r\n\r\n", 400, true),
            ("POST /assign HTTP/1.1\r\nContent-Length: 5000\r\n\r\n", 413, true),
            ("POST /assign HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501, true),
            ("GET /similar/%zz HTTP/1.1\r\n\r\n", 400, false),
        ] {
            let client = try HTTPClient(port: server.port)
            client.send(request)
            let answer = client.response()
            #expect(answer?.status == status, "\(request.debugDescription)")
            #expect(answer?.body.hasPrefix("{\"error\"") == true)
            if closes { #expect(client.closedByServer(), "\(request.debugDescription)") }
        }
    }

    @Test("Expect: 100-continue gets an interim 100 before the body is sent, then the answer")
    func expectContinue() throws {
        let server = try ServeProcess.start(["--demo-key"])
        defer { server.stopHard() }
        let person = try Self.person()
        let client = try HTTPClient(port: server.port)
        client.send("POST /assign HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\nContent-Length: \(person.utf8.count)\r\n\r\n")
        let interim = client.response()
        client.send(person)
        let answer = client.response()
        #expect(interim?.status == 100)
        #expect(answer?.status == 200)
        #expect(answer?.body.contains("\"cluster\":") == true)
    }

    @Test("a client that starts a request and stalls gets 408 after --request-timeout; an idle connection closes after --idle-timeout")
    func slowClients() throws {
        let server = try ServeProcess.start(["--demo-key", "--request-timeout", "0.3", "--idle-timeout", "0.5"])
        defer { server.stopHard() }
        let slow = try HTTPClient(port: server.port)
        slow.send("POST /assign HTTP/1.1\r\nContent-Length: 10\r\n\r\n{\"a\"")
        #expect(slow.response()?.status == 408)
        let idle = try HTTPClient(port: server.port)
        let start = Date()
        #expect(idle.closedByServer())
        #expect(Date().timeIntervalSince(start) < 30)  // the idle timeout (0.5 s) closed it, not the 60 s default
    }

    @Test("SIGTERM with idle keep-alive connections open: exit 0 without waiting for them, and the port then refuses")
    func sigtermWithIdleConnections() throws {
        let server = try ServeProcess.start(["--demo-key", "--shutdown-grace", "2"])
        let clients = try (0..<5).map { _ in try HTTPClient(port: server.port) }
        for client in clients {
            client.send("GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
            #expect(client.response()?.status == 200)
        }
        let start = Date()
        kill(server.process.processIdentifier, SIGTERM)
        server.process.waitUntilExit()
        // The idle connections would hold a server that waited for them for their 60 s idle timeout.
        #expect(Date().timeIntervalSince(start) < 45)
        #expect(server.process.terminationStatus == 0, "\(server.log())")
        for client in clients { #expect(client.closedByServer()) }
        #expect((try? HTTPClient(port: server.port)) == nil)
        #expect(server.log().contains("stopped"))
    }
}

/// `kindred serve --port 0` on the fixture's run, started and read from its log until it listens.
private final class ServeProcess {
    let process = Process()
    let logFile: URL
    private(set) var port: UInt16 = 0

    static func start(_ arguments: [String]) throws -> ServeProcess {
        let server = try ServeProcess(arguments)
        let deadline = Date().addingTimeInterval(120)
        while server.process.isRunning && Date() < deadline {
            if let range = server.log().range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression),
               let port = UInt16(server.log()[range].split(separator: ":").last ?? "") {
                server.port = port
                return server
            }
            usleep(20_000)
        }
        server.stopHard()
        throw ClusteredRun.Failure.failed("kindred serve did not start: \(server.log())")
    }

    private init(_ arguments: [String]) throws {
        let folder = try CLI.temporaryFolder()
        logFile = folder.appendingPathComponent("serve.log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        process.executableURL = CLI.binary
        process.arguments = ["serve", "--model", try ServeCLITests.fixture.get().p("run"), "--port", "0", "--reload-interval", "0"] + arguments
        var env = ProcessInfo.processInfo.environment
        for key in env.keys where key.hasPrefix("KINDRED_") { env.removeValue(forKey: key) }
        env["HOME"] = CLI.emptyHome.path
        process.environment = env
        process.currentDirectoryURL = folder
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: logFile)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    func log() -> String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    func stopHard() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// A blocking loopback client: sends bytes, reads whole responses (Content-Length framed).
private final class HTTPClient {
    let fd: Int32
    private var pending: [UInt8] = []

    init(port: UInt16) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw ClusteredRun.Failure.failed("cannot connect to port \(port)")
        }
    }

    deinit { close(fd) }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// The next response's status, headers (lower-case names) and body; nil when the server closed first.
    func response() -> (status: Int, headers: [String: String], body: String)? {
        let blank: [UInt8] = [13, 10, 13, 10]
        while true {
            if let end = (0..<max(0, pending.count - 3)).first(where: { Array(pending[$0..<($0 + 4)]) == blank }).map({ $0 + 4 }) {
                var lines = String(decoding: pending[..<end], as: UTF8.self).components(separatedBy: "\r\n").filter { !$0.isEmpty }
                let status = Int(lines.removeFirst().split(separator: " ")[1]) ?? 0
                var headers: [String: String] = [:]
                for line in lines {
                    let parts = line.split(separator: ":", maxSplits: 1)
                    headers[parts[0].lowercased()] = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
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

private func post(_ body: String, connection: String? = nil) -> String {
    "POST /assign HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
        + (connection.map { "Connection: \($0)\r\n" } ?? "") + "\r\n" + body
}
