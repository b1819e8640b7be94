import Foundation

/// HTTP/1.1 framing for `kindred serve`, free of sockets: reads one request's head and body length from the
/// bytes received so far, and writes a response. It accepts what a JSON API needs and refuses the rest with
/// the status that says why: `Content-Length` bodies only (a `Transfer-Encoding` is answered 501), a head of
/// at most `maxHeadBytes`, a body of at most `maxBodyBytes` (413, judged from the declared length before any
/// body byte is read), no line folding, no bare line feeds in the request line.
public enum HTTPWire {
    /// A parsed request head.
    public struct Head: Sendable, Equatable {
        public var method: String
        /// The request target as sent (`/similar/abc?top=5`).
        public var target: String
        /// 0 for HTTP/1.0, 1 for HTTP/1.1.
        public var minorVersion: Int
        /// Header names in lower case, values trimmed; a repeated header keeps its first value.
        public var headers: [String: String]
        /// Bytes of the head, blank line included.
        public var length: Int
        /// Body bytes that follow the head.
        public var bodyLength: Int

        /// Whether the connection stays open after the answer (HTTP/1.1 unless `Connection: close`,
        /// HTTP/1.0 only with `Connection: keep-alive`).
        public var keepAlive: Bool {
            let connection = headers["connection"]?.lowercased() ?? ""
            let tokens = connection.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            return minorVersion >= 1 ? !tokens.contains("close") : tokens.contains("keep-alive")
        }
    }

    /// A request that cannot be answered: the status and a message naming what was wrong (never the request's
    /// contents). The connection is closed after it is sent.
    public struct Refusal: Error, Sendable, Equatable {
        public var status: Int
        public var message: String
    }

    /// What the bytes received so far hold.
    public enum HeadParse: Sendable, Equatable {
        /// The head is not complete yet.
        case needMore
        case head(Head)
        case refused(Refusal)
    }

    /// Reads a request head from the start of `bytes`.
    public static func parseHead(_ bytes: ArraySlice<UInt8>, maxHeadBytes: Int, maxBodyBytes: Int) -> HeadParse {
        guard let end = headEnd(bytes, limit: maxHeadBytes) else {
            if bytes.count > maxHeadBytes {
                return .refused(Refusal(status: 431, message: "the request head is longer than \(maxHeadBytes) bytes"))
            }
            return .needMore
        }
        let headBytes = bytes[bytes.startIndex..<(bytes.startIndex + end)]
        guard let text = String(validating: headBytes, as: UTF8.self) else {
            return .refused(Refusal(status: 400, message: "the request head is not UTF-8"))
        }
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)
        // The head ends with an empty line: drop the two empty pieces after the last CRLF.
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let requestLine = lines.first else { return .refused(Refusal(status: 400, message: "empty request line")) }
        let parts = requestLine.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty,
              parts[0].allSatisfy({ $0.isASCII && ($0.isUppercase || $0 == "-" || $0 == "_") })
        else { return .refused(Refusal(status: 400, message: "malformed request line (expected METHOD TARGET HTTP/1.1)")) }
        let minor: Int
        switch parts[2] {
        case "HTTP/1.1": minor = 1
        case "HTTP/1.0": minor = 0
        default: return .refused(Refusal(status: 505, message: "only HTTP/1.0 and HTTP/1.1 are served"))
        }
        let target = String(parts[1])
        guard target.hasPrefix("/"), target.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            return .refused(Refusal(status: 400, message: "the request target must be a path starting with /"))
        }
        var headers: [String: String] = [:]
        var contentLengths: [String] = []
        for line in lines.dropFirst() {
            if line.first == " " || line.first == "\t" {
                return .refused(Refusal(status: 400, message: "folded header lines are not accepted"))
            }
            guard let colon = line.firstIndex(of: ":") else {
                return .refused(Refusal(status: 400, message: "a header line has no colon"))
            }
            let name = line[..<colon]
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "!#$%&'*+-.^_`|~".contains($0)) }) else {
                return .refused(Refusal(status: 400, message: "a header name is not a token"))
            }
            let key = name.lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
            if key == "content-length" { contentLengths.append(value) }
            if headers[key] == nil { headers[key] = value }
        }
        if headers["transfer-encoding"] != nil {
            return .refused(Refusal(status: 501, message: "Transfer-Encoding is not accepted: send the body with Content-Length"))
        }
        var bodyLength = 0
        if let declared = contentLengths.first {
            guard contentLengths.allSatisfy({ $0 == declared }), !declared.isEmpty, declared.count <= 18,
                  declared.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(declared)
            else { return .refused(Refusal(status: 400, message: "the Content-Length header is not one whole number")) }
            bodyLength = value
        }
        if bodyLength > maxBodyBytes {
            return .refused(Refusal(status: 413, message: "the request body is larger than \(maxBodyBytes) bytes"))
        }
        return .head(Head(
            method: String(parts[0]), target: target, minorVersion: minor, headers: headers, length: end, bodyLength: bodyLength))
    }

    /// Offset just past the blank line that ends the head, looking at no more than `limit` bytes.
    static func headEnd(_ bytes: ArraySlice<UInt8>, limit: Int) -> Int? {
        let count = min(bytes.count, limit)
        guard count >= 4 else { return nil }
        let start = bytes.startIndex
        var i = start
        while i + 3 < start + count {
            if bytes[i + 3] == 0x0A, bytes[i + 2] == 0x0D, bytes[i + 1] == 0x0A, bytes[i] == 0x0D { return i + 4 - start }
            i += 1
        }
        return nil
    }

    /// The path (percent-decoded) and the query's first value for each name (percent-decoded; `+` stays `+`),
    /// or nil when an escape is malformed.
    public static func splitTarget(_ target: String) -> (path: String, query: [String: String])? {
        let pieces = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        guard let path = String(pieces[0]).removingPercentEncoding else { return nil }
        var query: [String: String] = [:]
        if pieces.count == 2 {
            for item in pieces[1].split(separator: "&") {
                let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard let name = String(pair[0]).removingPercentEncoding,
                      let value = (pair.count == 2 ? String(pair[1]) : "").removingPercentEncoding
                else { return nil }
                if query[name] == nil { query[name] = value }
            }
        }
        return (path, query)
    }

    /// A whole response (head and body in one buffer, so one write sends it).
    public static func response(status: Int, contentType: String, body: [UInt8], keepAlive: Bool) -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(reason(status))\r\n"
        head += "Content-Type: \(contentType)\r\n"
        head += "Content-Length: \(body.count)\r\n"
        head += keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n"
        head += "Cache-Control: no-store\r\n\r\n"
        var bytes = Array(head.utf8)
        bytes.reserveCapacity(bytes.count + body.count)
        bytes.append(contentsOf: body)
        return bytes
    }

    /// The reason phrase sent with a status.
    public static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 413: return "Content Too Large"
        case 431: return "Request Header Fields Too Large"
        case 501: return "Not Implemented"
        case 503: return "Service Unavailable"
        case 505: return "HTTP Version Not Supported"
        default: return status < 500 ? "Client Error" : "Server Error"
        }
    }
}
