import Foundation
import KindredCore

/// The people file formats.
public enum PeopleFormat: String, Sendable, CaseIterable {
    /// JSON Lines: one JSON object per line.
    case jsonl
    /// A JSON array of objects (`[ {…}, {…} ]`), on one line or pretty-printed over many.
    case json
    /// CSV with a header row and an `id` column (fields separated by `,`, `;` or a tab).
    case csv

    /// What the people reader accepts, for error messages.
    public static let expectation =
        "expected JSON Lines (one object per line) or a JSON array of objects, or CSV with an id column (separated by ',', ';' or tab; .gz allowed)"

    /// Guesses from the file name alone: `.csv`/`.tsv` (optionally `.gz`) is CSV, `.json` a JSON array,
    /// everything else JSON Lines. `sniff` looks at the content as well.
    public static func detect(path: String) -> PeopleFormat {
        var name = path.lowercased()
        if name.hasSuffix(".gz") { name.removeLast(3) }
        if name.hasSuffix(".csv") || name.hasSuffix(".tsv") { return .csv }
        return name.hasSuffix(".json") ? .json : .jsonl
    }

    /// The format of a file from its name and first bytes: a `.csv`/`.tsv` name is CSV; otherwise the
    /// first character that is not white space decides: `[` a JSON array, `{` JSON Lines, anything else
    /// CSV when the first line is a header with an `id` column, else JSON Lines (whose records will then
    /// be quarantined as malformed JSON).
    public static func sniff(path: String, firstBytes: ArraySlice<UInt8>) -> PeopleFormat {
        if detect(path: path) == .csv { return .csv }
        guard let first = firstBytes.first(where: { !($0 == 32 || $0 == 9 || $0 == 10 || $0 == 13) }) else { return detect(path: path) }
        if first == UInt8(ascii: "[") { return .json }
        if first == UInt8(ascii: "{") { return .jsonl }
        let line = firstBytes.prefix { $0 != 10 && $0 != 13 }
        if let text = String(validating: line, as: UTF8.self), (try? PeopleCSVSchema.detect(header: text)) != nil { return .csv }
        return .jsonl
    }
}

/// How to read a people file; every setting has a sensible default.
public struct PeopleReadOptions: Sendable {
    /// The format; nil: from the name and content (`PeopleFormat.sniff`).
    public var format: PeopleFormat?
    /// CSV field separator; nil: the first of `,`, `;`, tab that gives the header an `id` column.
    public var delimiter: Character?
    /// How ambiguous dates such as `03/04/2019` are read (default month first).
    public var dateOrder: DateOrder = .mdy

    public init(format: PeopleFormat? = nil, delimiter: Character? = nil, dateOrder: DateOrder = .mdy) {
        self.format = format
        self.delimiter = delimiter
        self.dateOrder = dateOrder
    }

    /// A delimiter as written in a flag or config: `,`, `;`, `tab` or `\t` (also `comma`, `semicolon`).
    public static func delimiter(named name: String) -> Character? {
        switch name.lowercased() {
        case ",", "comma": return ","
        case ";", "semicolon": return ";"
        case "\t", "\\t", "tab": return "\t"
        default: return nil
        }
    }
}

/// A record that could not be used, with where it came from and why. Nothing is dropped silently:
/// every rejected record becomes one of these and is written to the quarantine file.
public struct QuarantinedRecord: Sendable, Equatable {
    public var file: String
    public var line: Int
    public var field: String?
    public var reason: String
    /// The record's bytes exactly as read.
    public var raw: [UInt8]

    public init(file: String, line: Int, field: String?, reason: String, raw: [UInt8]) {
        self.file = file
        self.line = line
        self.field = field
        self.reason = reason
        self.raw = raw
    }

    /// The problem as a one-line message without the record's content (safe for logs).
    public var message: String {
        KindredError.badInput(reason, file: file, line: line, field: field).description
    }

    /// One JSON line for the quarantine file: file, line, field, reason, and the record (as text when
    /// it is valid UTF-8, else base64 in `record_base64`).
    public var jsonLine: String {
        var json = JSONText()
        json.add("file", file)
        json.add("line", line)
        if let field { json.add("field", field) } else { json.addNull("field") }
        json.add("reason", reason)
        if let text = String(validating: raw, as: UTF8.self) {
            json.add("record", text)
        } else {
            json.add("record_base64", Data(raw).base64EncodedString())
        }
        return json.text
    }
}

/// One item read from a people file: a usable person or a quarantined record.
public enum PeopleReadItem: Sendable {
    case person(Person, line: Int)
    case quarantined(QuarantinedRecord)
}

/// Streams people from a JSON Lines, JSON array or CSV file (or `-` for standard input; `.gz`
/// decompressed) in bounded memory.
///
/// Each record is one non-blank line (JSON Lines), one element of the array (JSON; line numbers are the
/// lines the elements start on), or one row after the header (CSV; a quoted field may hold line breaks,
/// the row's line is its first). Records that are malformed, lack an id, repeat an earlier id, or are not
/// valid UTF-8 come out as `.quarantined` with file, line, field and reason; the reader never stops on a
/// bad record. Dates it cannot read do not quarantine a person: they are flagged on the position.
/// - Note: Duplicate detection keeps the set of ids seen so far (memory grows with distinct ids).
public final class PeopleReader {
    public let path: String
    public let format: PeopleFormat
    /// Records read so far (every one of them is returned as a person or a quarantined record).
    public private(set) var recordsRead = 0
    private let records: PeopleRecordReader
    private let dateOrder: DateOrder
    private var seen: [String: Int] = [:]

    /// Opens a people file.
    /// - Throws: `KindredError` when the file cannot be opened, is empty, or (CSV) has no usable header.
    public convenience init(path: String, format: PeopleFormat? = nil) throws {
        try self.init(path: path, options: PeopleReadOptions(format: format))
    }

    /// Opens a people file with explicit reading options.
    /// - Throws: `KindredError` when the file cannot be opened, is empty, or (CSV) has no usable header.
    public init(path: String, options: PeopleReadOptions) throws {
        self.path = path
        records = try PeopleRecordReader(path: path, options: options)
        format = records.format
        dateOrder = options.dateOrder
    }

    /// Reads a CSV people file's header line into its schema (delimiter found from the header, or given).
    /// - Throws: `KindredError` naming the file and line 1 when the header is missing, not UTF-8 or unusable.
    public static func readHeader(_ lines: LineReader, path: String, delimiter: Character? = nil) throws -> PeopleCSVSchema {
        guard let header = try lines.nextLine() else {
            throw KindredError.badInput("the file is empty: expected a CSV header", file: path, line: nil)
        }
        guard let text = String(validating: header, as: UTF8.self) else {
            throw KindredError.badInput("invalid UTF-8", file: path, line: 1, field: "header")
        }
        do {
            if let delimiter { return try PeopleCSVSchema(header: text, delimiter: delimiter) }
            return try PeopleCSVSchema.detect(header: text)
        } catch var error as KindredError {
            error.file = path
            error.line = 1
            throw error
        }
    }

    /// The next record, or nil at the end of the file.
    public func next() throws -> PeopleReadItem? {
        guard let record = try records.next() else { return nil }
        recordsRead += 1
        switch record {
        case .skipped(let quarantined):
            return .quarantined(quarantined)
        case .record(let bytes, let line):
            let item = PeopleReader.parse(bytes, line: line, file: path, schema: records.schema, dateOrder: dateOrder)
            if case .person(let person, _) = item {
                if let first = seen[person.id] {
                    return .quarantined(
                        QuarantinedRecord(
                            file: path, line: line, field: "id", reason: "duplicate id (first seen on line \(first))",
                            raw: Array(bytes)))
                }
                seen[person.id] = line
            }
            return item
        }
    }

    /// One record read for a batch: its bytes (a copy) and line, or the line the record reader skipped.
    private enum BatchRecord { case bytes(ArraySlice<UInt8>, line: Int), skipped(QuarantinedRecord) }

    /// `make` of each record, in their order, worked out on `threads` workers in chunks of 256.
    private static func inParallel<T>(_ slots: [BatchRecord], threads: Int?, _ make: @escaping @Sendable (BatchRecord) -> T?) -> [T?] {
        var out = [T?](repeating: nil, count: slots.count)
        let chunk = 256
        out.withUnsafeMutableBufferPointer { buffer in
            let shared = UncheckedSendable(buffer)
            ParallelRunner(threads: threads).forEach(items: (slots.count + chunk - 1) / chunk) { c, _ in
                for i in (c * chunk)..<min(slots.count, (c + 1) * chunk) { shared.value[i] = make(slots[i]) }
            }
        }
        return out
    }

    /// Up to `maximum` next records, counted in `recordsRead`.
    private func nextRecords(_ maximum: Int) throws -> [BatchRecord] {
        var slots: [BatchRecord] = []
        while slots.count < maximum, let record = try records.next() {
            recordsRead += 1
            switch record {
            case .skipped(let quarantined): slots.append(.skipped(quarantined))
            // The record reader reuses its buffer: keep a copy of the record.
            case .record(let bytes, let line): slots.append(.bytes(ArraySlice(Array(bytes)), line: line))
            }
        }
        return slots
    }

    /// Up to `maximum` next records (empty at the end of the file), the same items in the same order as
    /// that many calls of `next()`, parsed in parallel on `threads` workers (the duplicate-id check stays
    /// in file order).
    public func nextBatch(_ maximum: Int, threads: Int? = nil) throws -> [PeopleReadItem] {
        let slots = try nextRecords(maximum)
        let (file, schema, dateOrder) = (path, records.schema, dateOrder)
        var items: [PeopleReadItem?] = PeopleReader.inParallel(slots, threads: threads) { slot in
            switch slot {
            case .bytes(let bytes, let line): PeopleReader.parse(bytes, line: line, file: file, schema: schema, dateOrder: dateOrder)
            case .skipped(let record): .quarantined(record)
            }
        }
        var out: [PeopleReadItem] = []
        out.reserveCapacity(items.count)
        for i in items.indices {
            // Moved out of its slot, not copied (a copy would retain every string of the person).
            let item = items[i].take()
            if case .person(let person, let line)? = item, case .bytes(let bytes, _) = slots[i] {
                if let first = seen[person.id] {
                    out.append(
                        .quarantined(
                            QuarantinedRecord(
                                file: path, line: line, field: "id", reason: "duplicate id (first seen on line \(first))", raw: Array(bytes))))
                    continue
                }
                seen[person.id] = line
            }
            out.append(item!)
        }
        return out
    }

    /// What `transform` makes of the people of the next `maximum` records (none read: the end of the
    /// file), in file order: `nextBatch`'s people (quarantined records and repeated ids left out, the
    /// same ids remembered), each transformed by the worker that parsed it, where the person is let go
    /// (for a pass that needs a little of each person: no person is copied or freed on the caller's thread).
    /// Returns the records read and the values.
    public func nextBatchValues<T>(
        _ maximum: Int, threads: Int? = nil, _ transform: @escaping @Sendable (Person) -> T
    ) throws -> (records: Int, values: [T]) {
        let slots = try nextRecords(maximum)
        let (file, schema, dateOrder) = (path, records.schema, dateOrder)
        var parsed: [(id: String, line: Int, value: T)?] = PeopleReader.inParallel(slots, threads: threads) { slot in
            guard case .bytes(let bytes, let line) = slot,
                case .person(let person, _) = PeopleReader.parse(bytes, line: line, file: file, schema: schema, dateOrder: dateOrder)
            else { return nil }
            return (person.id, line, transform(person))
        }
        var values: [T] = []
        values.reserveCapacity(parsed.count)
        for i in parsed.indices {
            guard let one = parsed[i].take() else { continue }
            if seen[one.id] != nil { continue }
            seen[one.id] = one.line
            values.append(one.value)
        }
        return (slots.count, values)
    }

    /// The quarantine entry for a line the line reader skipped as too long (its content is not kept).
    public static func tooLong(_ error: KindredError, file: String) -> QuarantinedRecord {
        QuarantinedRecord(file: file, line: error.line ?? 0, field: nil, reason: error.message, raw: [])
    }

    /// True for a line of only spaces and tabs (skipped, not a record).
    public static func isBlank(_ bytes: ArraySlice<UInt8>) -> Bool { bytes.allSatisfy { $0 == 32 || $0 == 9 } }

    /// One record parsed (a JSON object, or a CSV row with `schema`): the person, or the record
    /// quarantined with its file, line, field and reason. Thread-safe; no duplicate-id check.
    public static func parse(
        _ bytes: ArraySlice<UInt8>, line: Int, file: String, schema: PeopleCSVSchema?, dateOrder: DateOrder = .mdy
    ) -> PeopleReadItem {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return .quarantined(QuarantinedRecord(file: file, line: line, field: nil, reason: "invalid UTF-8", raw: Array(bytes)))
        }
        do {
            let person: Person
            if var schema {
                schema.dateOrder = dateOrder
                person = try schema.parse(text)
            } else {
                person = try PeopleJSON.parse(text, dateOrder: dateOrder)
            }
            return .person(person, line: line)
        } catch let error as KindredError {
            return .quarantined(QuarantinedRecord(file: file, line: line, field: error.field, reason: error.message, raw: Array(bytes)))
        } catch {
            return .quarantined(QuarantinedRecord(file: file, line: line, field: nil, reason: "unreadable record", raw: Array(bytes)))
        }
    }

    /// The CSV schema read from the header (nil for JSON).
    public var csvSchema: PeopleCSVSchema? { records.schema }

    /// Closes the file early.
    public func close() { records.close() }
}

/// Writes quarantined records as JSON Lines, atomically, readable by the owner only (mode 0600).
public final class QuarantineWriter {
    private let writer: AtomicFileWriter
    /// Entries written so far.
    public private(set) var count = 0

    public init(path: String) throws {
        writer = try AtomicFileWriter(path: path, mode: 0o600)
    }

    public func append(_ record: QuarantinedRecord) throws {
        try writer.write(record.jsonLine + "\n")
        count += 1
    }

    public func commit() throws { try writer.commit() }
}
