import KindredCore

/// Cuts a JSON array (`[ {…}, {…} ]`) into its elements as the bytes stream in, without parsing them
/// and without holding more than one element: the array may be one line of gigabytes or pretty-printed
/// over millions of lines. Each element comes out with the line it starts on.
///
/// It tracks only strings (with escapes) and bracket depth, so a malformed element is still cut out on
/// its own and quarantined by the parser, and the elements after it are read. Lenient where it costs
/// nothing: extra commas are skipped, and a missing comma between two complete elements is tolerated.
/// An element longer than the line limit, an array that is not closed, or text after the array each
/// become one quarantined record.
/// - Note: An element whose brackets do not balance (`{"skills": [}`) runs on until they do, so it may
///   take the elements after it into the same quarantined record; such files are rare (exporters write
///   balanced JSON), and nothing is lost: the record names the line it starts on.
struct JSONArraySplitter {
    let path: String
    let maximumLength: Int

    private enum Stage { case beforeArray, betweenElements, inElement, afterArray, finished }
    private var stage = Stage.beforeArray
    /// The line of the byte being looked at (1-based).
    private var line = 1
    private var element: [UInt8] = []
    private var elementLine = 0
    private var elementTooLong = false
    private var depth = 0
    private var inString = false
    private var escaped = false
    /// The element's outermost brackets have closed: a new value may only follow after a comma.
    private var complete = false
    /// Unread bytes of the current chunk (a copy: the line reader reuses its buffer).
    private var chunk: [UInt8] = []
    private var position = 0
    /// Where the current element's bytes in `chunk` begin (-1: none in this chunk yet).
    private var segmentStart = -1

    init(path: String, maximumLength: Int) {
        self.path = path
        self.maximumLength = maximumLength
    }

    /// The next element (or a record quarantined in its place), or nil after the array.
    mutating func next(_ reader: LineReader) throws -> PeopleRawRecord? {
        while true {
            if position == chunk.count {
                guard let more = try reader.nextChunk() else { return finish() }
                chunk.removeAll(keepingCapacity: true)
                chunk.append(contentsOf: more)
                position = 0
            }
            if let record = scan() { return record }
        }
    }

    /// Scans the current chunk until an element is complete (returned) or the chunk is used up (nil).
    private mutating func scan() -> PeopleRawRecord? {
        let n = chunk.count
        var i = position
        segmentStart = stage == .inElement ? i : -1
        defer { position = i }
        while i < n {
            let b = chunk[i]
            switch stage {
            case .beforeArray:
                if b == 10 { line += 1 } else if b == UInt8(ascii: "[") { stage = .betweenElements } else if !isSpace(b) {
                    stage = .finished
                    return .skipped(problem("expected a JSON array starting with '['", line: line))
                }
                i += 1
            case .betweenElements:
                if b == 10 {
                    line += 1
                } else if b == UInt8(ascii: "]") {
                    stage = .afterArray
                } else if b != UInt8(ascii: ",") && !isSpace(b) {
                    startElement()
                    segmentStart = i
                    continue
                }
                i += 1
            case .inElement:
                if inString {
                    if escaped {
                        escaped = false
                    } else if b == UInt8(ascii: "\\") {
                        escaped = true
                    } else if b == UInt8(ascii: "\"") {
                        inString = false
                    } else if b == 10 {
                        line += 1
                    }
                    i += 1
                    continue
                }
                switch b {
                case UInt8(ascii: "\""):
                    if complete { return endElement(at: i, then: .inElement) }
                    inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    if complete { return endElement(at: i, then: .inElement) }
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if depth == 0 && b == UInt8(ascii: "]") {
                        let record = endElement(at: i, then: .afterArray)
                        i += 1
                        return record
                    }
                    if depth > 0 {
                        depth -= 1
                        if depth == 0 { complete = true }
                    }
                case UInt8(ascii: ","):
                    if depth == 0 {
                        let record = endElement(at: i, then: .betweenElements)
                        i += 1
                        return record
                    }
                case 10:
                    line += 1
                default:
                    if complete && !isSpace(b) { return endElement(at: i, then: .inElement) }
                }
                i += 1
            case .afterArray:
                if b == 10 {
                    line += 1
                } else if !isSpace(b) {
                    stage = .finished
                    return .skipped(problem("text after the end of the JSON array (only white space may follow ']')", line: line))
                }
                i += 1
            case .finished:
                i = n
            }
        }
        keep(upTo: n)
        return nil
    }

    /// Adds the element's bytes from `segmentStart` up to `upTo` (dropping them once it is too long).
    private mutating func keep(upTo: Int) {
        if segmentStart >= 0 && upTo > segmentStart && !elementTooLong {
            if element.count + (upTo - segmentStart) > maximumLength {
                elementTooLong = true
                element.removeAll()
            } else {
                element.append(contentsOf: chunk[segmentStart..<upTo])
            }
        }
        segmentStart = -1
    }

    private mutating func startElement() {
        stage = .inElement
        element.removeAll(keepingCapacity: element.capacity <= 1 << 20)
        elementLine = line
        elementTooLong = false
        depth = 0
        inString = false
        escaped = false
        complete = false
    }

    /// Ends the element before byte `i`; `then` is the stage after it (`.inElement`: a new element
    /// starts at `i`, after a missing comma).
    private mutating func endElement(at i: Int, then next: Stage) -> PeopleRawRecord {
        keep(upTo: i)
        let record = emit()
        if next == .inElement {
            startElement()
        } else {
            stage = next
        }
        return record
    }

    private mutating func emit() -> PeopleRawRecord {
        if elementTooLong {
            return .skipped(
                problem(
                    "record is longer than the limit of \(maximumLength >> 20) MiB; it was skipped, not read", line: elementLine))
        }
        while let last = element.last, isSpace(last) || last == 10 { element.removeLast() }
        return .record(element[...], line: elementLine)
    }

    /// At the end of the input: the last element when the array was cut off, a record for the missing
    /// `]`, then nil.
    private mutating func finish() -> PeopleRawRecord? {
        switch stage {
        case .inElement:
            // The element is read as it stands (cut off: the parser will most likely reject it).
            let record = emit()
            stage = .betweenElements
            return record
        case .betweenElements:
            stage = .finished
            return .skipped(problem("the JSON array is not closed: no ']' before the end of the file (cut off?)", line: line))
        case .beforeArray, .afterArray, .finished:
            stage = .finished
            return nil
        }
    }

    private func problem(_ reason: String, line: Int) -> QuarantinedRecord {
        QuarantinedRecord(file: path, line: line, field: nil, reason: reason, raw: [])
    }

    private func isSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 || b == 13 || b == 10 }
}
