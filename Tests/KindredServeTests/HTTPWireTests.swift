import Foundation
import PropertyBased
import Testing
@testable import KindredServe

private func parse(_ text: String, maxHead: Int = 16_384, maxBody: Int = 1 << 20) -> HTTPWire.HeadParse {
    HTTPWire.parseHead(Array(text.utf8)[...], maxHeadBytes: maxHead, maxBodyBytes: maxBody)
}

private func refusedStatus(_ parse: HTTPWire.HeadParse) -> Int? {
    if case .refused(let refusal) = parse { return refusal.status }
    return nil
}

@Suite("HTTP framing of kindred serve")
struct HTTPWireTests {
    @Test("a request head gives method, target, version, lower-case headers, head length and body length")
    func parsesHead() throws {
        let text = "POST /assign?cleaned=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\nX-Two: a\r\nx-two: b\r\n\r\n{\"a\":1}"
        guard case .head(let head) = parse(text) else { Issue.record("not parsed: \(parse(text))"); return }
        #expect(head.method == "POST")
        #expect(head.target == "/assign?cleaned=1")
        #expect(head.minorVersion == 1)
        #expect(head.headers == ["host": "x", "content-length": "7", "x-two": "a"])
        #expect(head.length == text.utf8.count - 7)
        #expect(head.bodyLength == 7)
        #expect(head.keepAlive)
    }

    @Test("keep-alive: HTTP/1.1 unless Connection: close; HTTP/1.0 only with Connection: keep-alive")
    func keepAlive() {
        func alive(_ version: String, _ connection: String?) -> Bool? {
            let header = connection.map { "Connection: \($0)\r\n" } ?? ""
            guard case .head(let head) = parse("GET / \(version)\r\n\(header)\r\n") else { return nil }
            return head.keepAlive
        }
        #expect(alive("HTTP/1.1", nil) == true)
        #expect(alive("HTTP/1.1", "Close") == false)
        #expect(alive("HTTP/1.1", "keep-alive, close") == false)
        #expect(alive("HTTP/1.0", nil) == false)
        #expect(alive("HTTP/1.0", "keep-alive") == true)
    }

    @Test("what cannot be framed safely is refused with the status that says why")
    func refusals() {
        #expect(refusedStatus(parse("POST /assign HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")) == 501)
        #expect(refusedStatus(parse("POST /assign HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n")) == 400)
        #expect(refusedStatus(parse("POST /assign HTTP/1.1\r\nContent-Length: -3\r\n\r\n")) == 400)
        #expect(refusedStatus(parse("POST /assign HTTP/1.1\r\nContent-Length: 3x\r\n\r\n")) == 400)
        #expect(refusedStatus(parse("POST /assign HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n")) == 400)
        #expect(refusedStatus(parse("POST /assign HTTP/1.1\r\nContent-Length: 2000\r\n\r\n", maxBody: 1999)) == 413)
        #expect(refusedStatus(parse("GET /\(String(repeating: "a", count: 200)) HTTP/1.1\r\n", maxHead: 100)) == 431)
        #expect(refusedStatus(parse("GET / HTTP/2.0\r\n\r\n")) == 505)
        #expect(refusedStatus(parse("GET / HTTP/1.1\r\nA: b\r\n  folded\r\n\r\n")) == 400)
        #expect(refusedStatus(parse("GET / HTTP/1.1\r\nno colon here\r\n\r\n")) == 400)
        #expect(refusedStatus(parse("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n")) == 400)
        #expect(refusedStatus(parse("GET http://example.com/ HTTP/1.1\r\n\r\n")) == 400)
        #expect(refusedStatus(parse("get / HTTP/1.1\r\n\r\n")) == 400)
        #expect(refusedStatus(parse("GET  / HTTP/1.1\r\n\r\n")) == 400)
        #expect(refusedStatus(parse("GET /\u{e9} HTTP/1.1\r\n\r\n")) == 400)
        #expect(refusedStatus(HTTPWire.parseHead([0x47, 0x45, 0x54, 0x20, 0xFF, 0x0D, 0x0A, 0x0D, 0x0A][...], maxHeadBytes: 100, maxBodyBytes: 10)) == 400)
    }

    @Test("a head split anywhere needs more bytes until its blank line arrives, then parses as when whole (pipelined requests too)")
    func splitAnywhere() async {
        let first = "POST /assign HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"
        let stream = Array((first + "GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n").utf8)
        let headLength = first.utf8.count - 2
        guard case .head(let whole) = HTTPWire.parseHead(stream[...], maxHeadBytes: 1000, maxBodyBytes: 100) else {
            Issue.record("the stream does not parse")
            return
        }
        #expect(whole.length == headLength)
        await propertyCheck(count: 100, input: Gen.int(in: 0...(stream.count))) { cut in
            let parsed = HTTPWire.parseHead(stream[..<cut], maxHeadBytes: 1000, maxBodyBytes: 100)
            if cut < headLength { #expect(parsed == .needMore) } else { #expect(parsed == .head(whole)) }
            // The second request, once the first is consumed.
            let rest = stream[(first.utf8.count)...]
            let end = rest.startIndex + min(max(0, cut - first.utf8.count), rest.count)
            let second = HTTPWire.parseHead(rest[..<end], maxHeadBytes: 1000, maxBodyBytes: 100)
            if end == rest.endIndex {
                guard case .head(let head) = second else { Issue.record("second request not parsed"); return }
                #expect(head.method == "GET" && head.target == "/healthz" && head.bodyLength == 0)
            } else {
                #expect(second == .needMore)
            }
        }
    }

    @Test("any bytes at all give needMore, a refusal (4xx/5xx), or a head inside what was received — never a crash")
    func anyBytes() async {
        let alphabet: [UInt8] = Array("GET POST /a?b=%zz HTTP/1.1\r\n: Content-Length 0123456789 Transfer-Encoding".utf8) + [0, 0xFF, 0x0A, 0x0D]
        await propertyCheck(count: 300, input: Gen<UInt8?>.element(of: alphabet).map { $0! }.array(of: 0...120), Gen.int(in: 4...80)) { bytes, maxHead in
            switch HTTPWire.parseHead(bytes[...], maxHeadBytes: maxHead, maxBodyBytes: 50) {
            case .needMore: #expect(bytes.count <= maxHead)
            case .refused(let refusal): #expect((400...599).contains(refusal.status))
            case .head(let head):
                #expect(head.length <= min(bytes.count, maxHead))
                #expect(head.bodyLength >= 0 && head.bodyLength <= 50)
            }
        }
    }

    @Test("the target splits into a percent-decoded path and query (first value wins); a bad escape is nil")
    func targets() {
        let split = HTTPWire.splitTarget("/similar/a%20b?top=5&explain=1&top=9&flag")
        #expect(split?.path == "/similar/a b")
        #expect(split?.query == ["top": "5", "explain": "1", "flag": ""])
        #expect(HTTPWire.splitTarget("/x?a=%zz") == nil)
        #expect(HTTPWire.splitTarget("/%") == nil)
        #expect(HTTPWire.splitTarget("/healthz")?.query == [:])
    }

    @Test("a response is one buffer: status line, type, length, connection, no-store, then the body")
    func response() {
        let bytes = HTTPWire.response(status: 413, contentType: "application/json", body: Array("{}".utf8), keepAlive: false)
        #expect(String(decoding: bytes, as: UTF8.self) == "HTTP/1.1 413 Content Too Large\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n{}")
    }
}
