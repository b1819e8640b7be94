import KindredCore

/// Plain-text edge lists: one undirected edge `u v [w]` per line.
///
/// Format:
/// - fields separated by spaces or tabs (any number);
/// - `#` starts a comment that runs to the end of the line (a whole line or trailing), so ids
///   cannot contain `#`; blank lines are ignored;
/// - ids are arbitrary tokens, numbered 0, 1, … in order of first appearance; `Graph.ids` keeps the
///   tokens as read (`"007"` and `"7"` are different vertices);
/// - the weight defaults to 1 and must be a finite, non-negative number (a decimal, exponent or hex
///   float as Swift's `Double(_:)` reads it) that fits a `Float`;
/// - parallel edges (either direction) merge according to a `DuplicateEdgePolicy`.
///
/// ```text
/// # people who worked together, weight = years
/// alice bob 3
/// bob   carol        # weight 1
/// ```
public enum EdgeListFormat {
    /// Reads an edge list from a file (`.gz` is decompressed; `-` is standard input).
    ///
    /// Lines are parsed as bytes, without building a `String` per token (only once per new vertex
    /// id that is not a plain decimal number).
    ///
    /// - Parameters:
    ///   - path: The file to read.
    ///   - duplicates: How parallel edges merge (default: weights summed).
    /// - Returns: The graph; an empty file gives an empty graph.
    /// - Throws: `KindredError` `.io` naming the file when it cannot be read; `.badInput` with file,
    ///   line and field for a line with one token, more than three tokens, a non-numeric, negative, NaN,
    ///   infinite or out-of-range weight, or invalid UTF-8.
    /// - Complexity: O(L + E log d) for L bytes and E edges.
    public static func read(path: String, duplicates: DuplicateEdgePolicy = .sum) throws -> Graph {
        let reader = try LineReader(path: path)
        defer { reader.close() }
        var parser = EdgeListParser(sourceName: path)
        while let line = try reader.nextLine() {
            let number = reader.lineNumber
            try line.withUnsafeBufferPointer { try parser.parse(line: $0, lineNumber: number) }
        }
        return try EdgeListFormat.finite(parser.makeGraph(duplicates: duplicates), source: path)
    }

    /// Parses edge-list lines already in memory (for tests and small inputs).
    ///
    /// - Parameters:
    ///   - lines: The lines, without line endings; line numbers in errors count from 1.
    ///   - sourceName: The name used as `file` in errors.
    ///   - duplicates: How parallel edges merge (default: weights summed).
    /// - Returns: The graph.
    /// - Throws: `KindredError` (`.badInput`) as `read(path:duplicates:)` does.
    /// - Complexity: O(L + E log d).
    /// The graph, unless merging repeated edges made a weight infinite (each weight was finite; their sum
    /// passed Float32's largest value): then a bad-input error naming the two vertices (found by fuzzing).
    static func finite(_ graph: Graph, source: String) throws -> Graph {
        for v in 0..<graph.vertexCount {
            for e in graph.offsets[v]..<graph.offsets[v + 1] where !graph.weights[e].isFinite {
                throw KindredError.badInput(
                    "the weights of the repeated edge between vertices \(v + 1) and \(Int(graph.targets[e]) + 1) (in order of appearance) add up past the largest 32-bit float",
                    file: source, line: nil, field: "weight")
            }
        }
        return graph
    }

    public static func parse(
        lines: some Sequence<String>, sourceName: String, duplicates: DuplicateEdgePolicy = .sum
    ) throws -> Graph {
        var parser = EdgeListParser(sourceName: sourceName)
        var number = 0
        for var line in lines {
            number += 1
            let current = number
            try line.withUTF8 { try parser.parse(line: $0, lineNumber: current) }
        }
        return try EdgeListFormat.finite(parser.makeGraph(duplicates: duplicates), source: sourceName)
    }

    /// Writes `graph` as an edge list, atomically (temporary file, fsync, rename).
    ///
    /// The first line is the comment `# kindred edge list`; then each undirected edge once, as
    /// `u v w` with the original ids and u's index ≤ v's index, in order of u then v. Integral weights
    /// below 2^24 are written without a fraction (`3`), others in Swift's shortest round-trip form, so
    /// reading the file back gives the same edges and weights. Isolated vertices have no line and are
    /// therefore not kept.
    ///
    /// - Parameters:
    ///   - graph: The graph to write.
    ///   - path: The destination; `-` writes to standard output.
    /// - Throws: `KindredError` `.io` when the file cannot be written; `.badInput` when an id cannot be
    ///   written (empty, or containing whitespace or `#`).
    /// - Complexity: O(n + E).
    public static func write(_ graph: Graph, to path: String) throws {
        let n = graph.vertexCount
        var idBytes: [[UInt8]] = []
        idBytes.reserveCapacity(n)
        for (v, id) in graph.ids.enumerated() {
            let bytes = Array(id.utf8)
            if bytes.isEmpty || bytes.contains(where: { isSeparator($0) || $0 == UInt8(ascii: "#") || $0 == 0x0A }) {
                throw KindredError(
                    .badInput, "vertex id cannot be written to an edge list: it is empty or contains whitespace or '#'",
                    file: path, field: "id of vertex \(v)")
            }
            idBytes.append(bytes)
        }
        let writer = try AtomicFileWriter(path: path)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 16 + 256)
        buffer.append(contentsOf: "# kindred edge list\n".utf8)
        for u in 0..<n {
            for e in graph.offsets[u]..<graph.offsets[u + 1] {
                let v = Int(graph.targets[e])
                if v < u { continue }
                buffer.append(contentsOf: idBytes[u])
                buffer.append(UInt8(ascii: " "))
                buffer.append(contentsOf: idBytes[v])
                buffer.append(UInt8(ascii: " "))
                buffer.append(contentsOf: formatWeight(graph.weights[e]).utf8)
                buffer.append(UInt8(ascii: "\n"))
                if buffer.count >= 1 << 16 {
                    try writer.write(bytes: buffer)
                    buffer.removeAll(keepingCapacity: true)
                }
            }
        }
        try writer.write(bytes: buffer)
        try writer.commit()
    }

    /// Formats a weight so that `Float(text)` gives it back exactly.
    static func formatWeight(_ w: Float) -> String {
        if w == w.rounded() && abs(w) < 16_777_216 { return String(Int(w)) }
        return w.description
    }

    @inline(__always)
    static func isSeparator(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0B || byte == 0x0C
    }
}

/// Incremental edge-list parser over line bytes; collects edges and numbers ids by first appearance.
///
/// Ids are numbered in two steps so that the random-access lookups run in a tight loop of their own
/// (where the CPU can overlap their cache misses) instead of inside the parsing loop:
/// 1. while parsing, each id becomes a *key*: a canonical decimal below `denseLimit` is its own value;
///    any other token (text, leading zeros, large numbers) is looked up in a dictionary and gets
///    `denseLimit + k`, k numbering such tokens by first appearance;
/// 2. `makeGraph` walks the keys in file order and gives each new key the next vertex index.
struct EdgeListParser {
    let sourceName: String
    /// Keys (see above) of the first and second endpoint of each edge; vertex indices after `makeGraph`.
    var sources: [UInt32] = []
    var targets: [UInt32] = []
    /// Edge weights, kept only once a weight other than 1 has been read (`weighted`); empty before.
    var weights: [Float] = []
    var weighted = false
    /// The largest dense key seen, or −1.
    private var largestDenseKey = -1
    /// The tokens of the non-dense ids, by k.
    private var otherIds: [String] = []
    /// k of canonical decimal ids of up to 18 digits at or above `denseLimit`.
    private var numericIndex: [UInt64: UInt32] = [:]
    /// k of every other id.
    private var textIndex: [String: UInt32] = [:]
    private static let denseLimit: UInt32 = 1 << 24

    init(sourceName: String) {
        self.sourceName = sourceName
    }

    /// Parses one line (without its line ending).
    mutating func parse(line: UnsafeBufferPointer<UInt8>, lineNumber: Int) throws {
        let hash = UInt8(ascii: "#")
        var end = 0
        var ascii = true
        let count = line.count
        while end < count {
            let byte = line[end]
            if byte == hash { break }
            if byte >= 0x80 { ascii = false }
            end += 1
        }
        if !ascii || end < count {
            // Validate the whole line (comment included) when it has non-ASCII bytes.
            var i = end
            while ascii && i < count {
                if line[i] >= 0x80 { ascii = false }
                i += 1
            }
            if !ascii && String(validating: line, as: UTF8.self) == nil {
                throw KindredError.badInput("invalid UTF-8", file: sourceName, line: lineNumber)
            }
        }
        // Tokenise the part before the comment.
        var starts = (0, 0, 0)
        var ends = (0, 0, 0)
        var tokens = 0
        var i = 0
        while i < end {
            while i < end && EdgeListFormat.isSeparator(line[i]) { i += 1 }
            if i == end { break }
            let start = i
            while i < end && !EdgeListFormat.isSeparator(line[i]) { i += 1 }
            switch tokens {
            case 0: starts.0 = start; ends.0 = i
            case 1: starts.1 = start; ends.1 = i
            case 2: starts.2 = start; ends.2 = i
            default:
                throw KindredError.badInput(
                    "too many fields: expected 'u v' or 'u v weight'", file: sourceName, line: lineNumber,
                    field: "column \(tokens + 1)")
            }
            tokens += 1
        }
        if tokens == 0 { return }
        if tokens == 1 {
            throw KindredError.badInput(
                "only one vertex: expected 'u v' or 'u v weight'", file: sourceName, line: lineNumber, field: "column 2")
        }
        var weight: Float = 1
        if tokens == 3 {
            weight = try parseWeight(UnsafeBufferPointer(rebasing: line[starts.2..<ends.2]), lineNumber: lineNumber)
        }
        let u = try vertex(UnsafeBufferPointer(rebasing: line[starts.0..<ends.0]), lineNumber: lineNumber)
        let v = try vertex(UnsafeBufferPointer(rebasing: line[starts.1..<ends.1]), lineNumber: lineNumber)
        sources.append(u)
        targets.append(v)
        // Weights are stored only once one differs from 1 (an unweighted list costs no weight array).
        if weight != 1 && !weighted {
            weighted = true
            weights = [Float](repeating: 1, count: sources.count - 1)
        }
        if weighted { weights.append(weight) }
    }

    private func parseWeight(_ token: UnsafeBufferPointer<UInt8>, lineNumber: Int) throws -> Float {
        // Fast path: up to 7 plain digits are exact in a Float.
        if token.count <= 7 {
            var value: UInt32 = 0
            var plain = true
            for byte in token {
                let digit = byte &- UInt8(ascii: "0")
                if digit > 9 {
                    plain = false
                    break
                }
                value = value * 10 + UInt32(digit)
            }
            if plain { return Float(value) }
        }
        let text = String(decoding: token, as: UTF8.self)
        guard let value = Double(text) else {
            throw KindredError.badInput("weight is not a number", file: sourceName, line: lineNumber, field: "weight")
        }
        if value.isNaN {
            throw KindredError.badInput("weight is NaN", file: sourceName, line: lineNumber, field: "weight")
        }
        if value.isInfinite {
            throw KindredError.badInput("weight is infinite", file: sourceName, line: lineNumber, field: "weight")
        }
        if value < 0 {
            throw KindredError.badInput("weight is negative", file: sourceName, line: lineNumber, field: "weight")
        }
        let single = Float(value)
        if !single.isFinite {
            throw KindredError.badInput(
                "weight is too large for a 32-bit float", file: sourceName, line: lineNumber, field: "weight")
        }
        return single == 0 ? 0 : single
    }

    /// The key of an id token (see the type's discussion).
    private mutating func vertex(_ token: UnsafeBufferPointer<UInt8>, lineNumber: Int) throws -> UInt32 {
        // Canonical decimal (no sign, no leading zero unless "0"), up to 18 digits.
        let length = token.count
        var canonical = length <= 18 && (length == 1 || token[0] != UInt8(ascii: "0"))
        var value: UInt64 = 0
        if canonical {
            for byte in token {
                let digit = byte &- UInt8(ascii: "0")
                if digit > 9 {
                    canonical = false
                    break
                }
                value = value * 10 + UInt64(digit)
            }
        }
        if canonical && value < UInt64(EdgeListParser.denseLimit) {
            if Int(value) > largestDenseKey { largestDenseKey = Int(value) }
            return UInt32(truncatingIfNeeded: value)
        }
        if canonical {
            if let known = numericIndex[value] { return EdgeListParser.denseLimit + known }
            let k = try newOtherId(token, lineNumber: lineNumber)
            numericIndex[value] = k
            return EdgeListParser.denseLimit + k
        }
        let text = String(decoding: token, as: UTF8.self)
        if let known = textIndex[text] { return EdgeListParser.denseLimit + known }
        let k = try newOtherId(token, lineNumber: lineNumber)
        textIndex[text] = k
        return EdgeListParser.denseLimit + k
    }

    private mutating func newOtherId(_ token: UnsafeBufferPointer<UInt8>, lineNumber: Int) throws -> UInt32 {
        guard otherIds.count < Int(UInt32.max - EdgeListParser.denseLimit) else {
            throw KindredError.badInput("too many distinct vertex ids", file: sourceName, line: lineNumber)
        }
        otherIds.append(String(decoding: token, as: UTF8.self))
        return UInt32(otherIds.count - 1)
    }

    /// Builds the graph from the edges read so far: numbers the keys by first appearance (endpoints in
    /// file order), then builds the CSR.
    /// - Complexity: O(E + largest dense id + E log d).
    /// Takes the edge arrays out of the parser (it is left empty), so no second copy of them stays alive.
    mutating func makeGraph(duplicates: DuplicateEdgePolicy) -> Graph {
        let denseCount = largestDenseKey + 1
        let otherCount = otherIds.count
        let limit = EdgeListParser.denseLimit
        // slot(key) = key for dense keys, denseCount + k for the others; vertexOfSlot holds index + 1.
        var vertexOfSlot = [UInt32](repeating: 0, count: denseCount + otherCount)
        var ids: [String] = []
        ids.reserveCapacity(min(denseCount + otherCount, 2 * sources.count))
        let edgeCount = sources.count
        var next: UInt32 = 0
        let others = otherIds
        var first = sources
        var second = targets
        let third = weights
        sources = []
        targets = []
        weights = []
        withMutableBuffers(&first, &second, &vertexOfSlot) { src, dst, slotVertex in
            @inline(__always)
            func index(of key: UInt32) -> UInt32 {
                let slot = key < limit ? Int(key) : denseCount + Int(key - limit)
                let known = slotVertex[slot]
                if known != 0 { return known - 1 }
                ids.append(key < limit ? String(key) : others[Int(key - limit)])
                next += 1
                slotVertex[slot] = next
                return next - 1
            }
            for e in 0..<edgeCount {
                src[e] = index(of: src[e])
                dst[e] = index(of: dst[e])
            }
        }
        return Graph(
            vertexCount: ids.count, sources: first, targets: second, weights: third, ids: ids,
            duplicates: duplicates)
    }
}
