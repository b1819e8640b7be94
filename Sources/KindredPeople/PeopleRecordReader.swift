import KindredCore

/// One raw record of a people file, before parsing.
public enum PeopleRawRecord {
    /// The record's bytes (valid until the next read) and the line it starts on.
    case record(ArraySlice<UInt8>, line: Int)
    /// A record that could not even be cut out (too long, an unclosed array): quarantined as it stands.
    case skipped(QuarantinedRecord)
}

/// Cuts a people file into records, in bounded memory: JSON Lines (a line each), a JSON array (an
/// element each, streamed byte by byte whatever the lines), or CSV (a row each, joining the lines of a
/// quoted field that holds line breaks). `PeopleReader` parses what it hands out.
public final class PeopleRecordReader {
    /// The most lines one CSV row may span (a quoted field with line breaks). A row still inside quotes
    /// after this many lines, or at the end of the file, is taken to be its first line alone (quarantined
    /// as an unterminated quoted field), and the lines after it are read again as rows of their own.
    public static let maximumLinesPerRow = 1000

    public let path: String
    /// The format being read (given, or found from the name and content).
    public let format: PeopleFormat
    /// The CSV header's schema (nil for JSON).
    public let schema: PeopleCSVSchema?
    private let lines: LineReader
    private var array: JSONArraySplitter?
    /// CSV lines read ahead while joining a row that turned out not to close: read again first.
    private var pushedBack: [PendingLine] = []
    private var joined: [UInt8] = []

    /// Opens `path` (`-`: standard input; `.gz`: decompressed) and reads the CSV header when it is CSV.
    /// - Throws: `KindredError` when the file cannot be opened or (CSV) has no header with an `id` column.
    public init(path: String, options: PeopleReadOptions = PeopleReadOptions()) throws {
        self.path = path
        lines = try LineReader(path: path)
        let format = try options.format ?? PeopleFormat.sniff(path: path, firstBytes: lines.peek(64 << 10))
        self.format = format
        switch format {
        case .csv:
            var schema = try PeopleReader.readHeader(lines, path: path, delimiter: options.delimiter)
            schema.dateOrder = options.dateOrder
            self.schema = schema
        case .json:
            schema = nil
            array = JSONArraySplitter(path: path, maximumLength: lines.maximumLineLength)
        case .jsonl:
            schema = nil
        }
    }

    /// Closes the file early.
    public func close() { lines.close() }

    /// The next record (blank lines between records skipped), or nil at the end of the file.
    /// - Throws: `KindredError` (`.io`) when reading fails.
    public func next() throws -> PeopleRawRecord? {
        if array != nil { return try array!.next(lines) }
        while true {
            guard let line = try nextLine() else { return nil }
            switch line {
            case .skipped: return line
            case .record(let bytes, let number):
                if PeopleReader.isBlank(bytes) { continue }
                guard let schema else { return line }
                return try csvRow(startingWith: bytes, line: number, separator: schema.delimiter.asciiValue ?? 44)
            }
        }
    }

    private func nextLine() throws -> PeopleRawRecord? {
        if !pushedBack.isEmpty {
            switch pushedBack.removeFirst() {
            case .line(let bytes, let line):
                joined = bytes
                return .record(joined[...], line: line)
            case .skipped(let record):
                return .skipped(record)
            }
        }
        do {
            guard let bytes = try lines.nextLine() else { return nil }
            return .record(bytes, line: lines.lineNumber)
        } catch let error as KindredError where lines.lastLineWasTooLong {
            return .skipped(PeopleReader.tooLong(error, file: path))
        }
    }

    /// The CSV row that starts with `first`: the line itself, or the lines of a quoted field joined by `\n`.
    private func csvRow(startingWith first: ArraySlice<UInt8>, line: Int, separator: UInt8) throws -> PeopleRawRecord {
        var state = CSV.QuoteState()
        state.scan(first, separator: separator)
        guard state.insideQuotes else { return .record(first, line: line) }
        let firstLine = Array(first)
        var row = firstLine
        var readAhead: [PendingLine] = []
        while state.insideQuotes && readAhead.count + 1 < PeopleRecordReader.maximumLinesPerRow && row.count <= lines.maximumLineLength {
            guard let next = try nextLine() else { break }
            guard case .record(let bytes, let number) = next else {
                // A line too long to keep ends the attempt; it is quarantined in its place.
                if case .skipped(let record) = next { readAhead.append(.skipped(record)) }
                break
            }
            readAhead.append(.line(Array(bytes), number))
            row.append(10)
            row.append(contentsOf: bytes)
            state.scan(bytes, separator: separator)
        }
        if state.insideQuotes || row.count > lines.maximumLineLength {
            // Not closed: the first line alone (the parser reports the unterminated quote), the rest read again.
            pushedBack.insert(contentsOf: readAhead, at: 0)
            joined = firstLine
        } else {
            joined = row
        }
        return .record(joined[...], line: line)
    }
}

/// A line read ahead while joining a CSV row, to be read again.
enum PendingLine {
    case line([UInt8], Int)
    case skipped(QuarantinedRecord)
}
