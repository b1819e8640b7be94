import Foundation
import KindredCore

/// The two people file formats.
public enum PeopleFormat: String, Sendable, CaseIterable {
    case jsonl
    case csv

    /// Guesses from the file name: `.csv` (optionally `.gz`) is CSV, everything else JSON Lines.
    public static func detect(path: String) -> PeopleFormat {
        var name = path.lowercased()
        if name.hasSuffix(".gz") { name.removeLast(3) }
        return name.hasSuffix(".csv") ? .csv : .jsonl
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

/// Streams people from a JSON Lines or CSV file (or `-` for standard input) in bounded memory.
///
/// Each non-blank line is one record (after the CSV header). Records that are malformed, lack an
/// id, repeat an earlier id, or are not valid UTF-8 come out as `.quarantined` with file, line,
/// field and reason; the reader never stops on a bad record.
/// - Note: Duplicate detection keeps the set of ids seen so far (memory grows with distinct ids).
public final class PeopleReader {
    public let path: String
    public let format: PeopleFormat
    /// Records (non-blank data lines) read so far.
    public private(set) var recordsRead = 0
    private let lines: LineReader
    private var schema: PeopleCSVSchema?
    private var seen: [String: Int] = [:]

    /// Opens a people file.
    /// - Throws: `KindredError` when the file cannot be opened, is empty, or (CSV) has no usable header.
    public init(path: String, format: PeopleFormat? = nil) throws {
        self.path = path
        self.format = format ?? PeopleFormat.detect(path: path)
        lines = try LineReader(path: path)
        if self.format == .csv { schema = try PeopleReader.readHeader(lines, path: path) }
    }

    /// Reads a CSV people file's header line into its schema.
    /// - Throws: `KindredError` naming the file and line 1 when the header is missing, not UTF-8 or unusable.
    public static func readHeader(_ lines: LineReader, path: String) throws -> PeopleCSVSchema {
        guard let header = try lines.nextLine() else {
            throw KindredError.badInput("the file is empty: expected a CSV header", file: path, line: nil)
        }
        guard let text = String(validating: header, as: UTF8.self) else {
            throw KindredError.badInput("invalid UTF-8", file: path, line: 1, field: "header")
        }
        do {
            return try PeopleCSVSchema(header: text)
        } catch var error as KindredError {
            error.file = path
            error.line = 1
            throw error
        }
    }

    /// The next record, or nil at the end of the file.
    public func next() throws -> PeopleReadItem? {
        while true {
            let read: ArraySlice<UInt8>?
            do {
                read = try lines.nextLine()
            } catch let error as KindredError where lines.lastLineWasTooLong {
                recordsRead += 1
                return .quarantined(PeopleReader.tooLong(error, file: path))
            }
            guard let bytes = read else { return nil }
            if PeopleReader.isBlank(bytes) { continue }
            recordsRead += 1
            let line = lines.lineNumber
            let item = PeopleReader.parse(bytes, line: line, file: path, schema: schema)
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

    /// Up to `maximum` next records (empty at the end of the file), the same items in the same order as
    /// that many calls of `next()`, parsed in parallel on `threads` workers (the duplicate-id check stays
    /// in file order).
    public func nextBatch(_ maximum: Int, threads: Int? = nil) throws -> [PeopleReadItem] {
        enum Slot { case bytes(ArraySlice<UInt8>, line: Int), done(PeopleReadItem) }
        var slots: [Slot] = []
        while slots.count < maximum {
            let read: ArraySlice<UInt8>?
            do {
                read = try lines.nextLine()
            } catch let error as KindredError where lines.lastLineWasTooLong {
                recordsRead += 1
                slots.append(.done(.quarantined(PeopleReader.tooLong(error, file: path))))
                continue
            }
            guard let bytes = read else { break }
            if PeopleReader.isBlank(bytes) { continue }
            recordsRead += 1
            // The line reader reuses its buffer: keep a copy of the line.
            slots.append(.bytes(ArraySlice(Array(bytes)), line: lines.lineNumber))
        }
        var items = [PeopleReadItem?](repeating: nil, count: slots.count)
        let (file, schema) = (path, schema)
        let chunk = 256
        items.withUnsafeMutableBufferPointer { buffer in
            let shared = UncheckedSendable(buffer)
            ParallelRunner(threads: threads).forEach(items: (slots.count + chunk - 1) / chunk) { c, _ in
                for i in (c * chunk)..<min(slots.count, (c + 1) * chunk) {
                    switch slots[i] {
                    case .bytes(let bytes, let line): shared.value[i] = PeopleReader.parse(bytes, line: line, file: file, schema: schema)
                    case .done(let item): shared.value[i] = item
                    }
                }
            }
        }
        var out: [PeopleReadItem] = []
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
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

    /// The quarantine entry for a line the line reader skipped as too long (its content is not kept).
    public static func tooLong(_ error: KindredError, file: String) -> QuarantinedRecord {
        QuarantinedRecord(file: file, line: error.line ?? 0, field: nil, reason: error.message, raw: [])
    }

    /// True for a line of only spaces and tabs (skipped, not a record).
    public static func isBlank(_ bytes: ArraySlice<UInt8>) -> Bool { bytes.allSatisfy { $0 == 32 || $0 == 9 } }

    /// One record line parsed (JSON Lines, or a CSV row with `schema`): the person, or the record
    /// quarantined with its file, line, field and reason. Thread-safe; no duplicate-id check.
    public static func parse(_ bytes: ArraySlice<UInt8>, line: Int, file: String, schema: PeopleCSVSchema?) -> PeopleReadItem {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return .quarantined(QuarantinedRecord(file: file, line: line, field: nil, reason: "invalid UTF-8", raw: Array(bytes)))
        }
        do {
            let person = try schema.map { try $0.parse(text) } ?? PeopleJSON.parse(text)
            return .person(person, line: line)
        } catch let error as KindredError {
            return .quarantined(QuarantinedRecord(file: file, line: line, field: error.field, reason: error.message, raw: Array(bytes)))
        } catch {
            return .quarantined(QuarantinedRecord(file: file, line: line, field: nil, reason: "unreadable record", raw: Array(bytes)))
        }
    }

    /// The CSV schema read from the header (nil for JSON Lines).
    public var csvSchema: PeopleCSVSchema? { schema }

    /// Closes the file early.
    public func close() { lines.close() }
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
