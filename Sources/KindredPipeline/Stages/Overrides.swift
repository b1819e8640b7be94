import Foundation
import KindredClean
import KindredCore
import KindredPeople

/// An analyst's overrides: `raw,canonical[,occupation]` CSV rows (with that header) that win over
/// every other mapping. A value matches a row when it equals the row's raw text, or has the same
/// normalised key (case, punctuation and spacing ignored). When no occupation is given and the
/// canonical text is a catalogue title, the row takes that title's occupation.
public struct Overrides: Sendable {
    private var exact: [String: CanonicalMatch] = [:]
    private var normalised: [String: CanonicalMatch] = [:]

    public init() {}

    /// Number of rows.
    public var count: Int { exact.count }

    /// Adds a row.
    public mutating func add(raw: String, canonical: String, occupation: String?) {
        let match = CanonicalMatch(canonical: canonical, occupation: occupation, seniority: nil, confidence: 1, method: .override)
        exact[raw] = match
        let key = TextNormalizer.key(raw)
        if normalised[key] == nil { normalised[key] = match }
    }

    /// The override for a value, if any.
    public func match(_ value: String) -> CanonicalMatch? {
        if exact.isEmpty { return nil }
        return exact[value] ?? normalised[TextNormalizer.key(value)]
    }

    /// Reads an overrides file.
    /// - Throws: `KindredError` naming the file, line and field (never the value).
    public static func load(path: String, catalog: OccupationCatalog) throws -> Overrides {
        let reader = try LineReader(path: path)
        defer { reader.close() }
        return try parse(next: { try reader.nextString() }, lineNumber: { reader.lineNumber }, source: path, catalog: catalog)
    }

    /// Reads overrides kept as text (a model's `overrides.csv`); errors name `source`.
    public static func parse(text: String, source: String, catalog: OccupationCatalog) throws -> Overrides {
        let body = text.hasPrefix("\u{FEFF}") ? text.dropFirst() : Substring(text)  // as LineReader skips a byte-order mark
        var lines = body.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
        }
        if lines.last == "" { lines.removeLast() }
        var number = 0
        return try parse(
            next: {
                guard number < lines.count else { return nil }
                number += 1
                return lines[number - 1]
            }, lineNumber: { number }, source: source, catalog: catalog)
    }

    private static func parse(
        next: () throws -> String?, lineNumber: () -> Int, source path: String, catalog: OccupationCatalog
    ) throws -> Overrides {
        guard let header = try next() else {
            throw KindredError.badInput("the overrides file is empty (expected a header raw,canonical)", file: path, line: 1)
        }
        let columns = try CSV.fields(of: header).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let rawColumn = columns.firstIndex(of: "raw"), let canonicalColumn = columns.firstIndex(of: "canonical") else {
            throw KindredError.badInput("the header must name the columns raw and canonical", file: path, line: 1, field: "header")
        }
        let occupationColumn = columns.firstIndex(of: "occupation")
        var byTitle: [String: String] = [:]
        for occupation in catalog.occupations where byTitle[TextNormalizer.key(occupation.title)] == nil {
            byTitle[TextNormalizer.key(occupation.title)] = occupation.id
        }
        var overrides = Overrides()
        while let line = try next() {
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let fields: [String]
            do { fields = try CSV.fields(of: line) } catch {
                throw KindredError.badInput("malformed CSV row", file: path, line: lineNumber())
            }
            guard fields.count == columns.count else {
                throw KindredError.badInput("expected \(columns.count) columns, found \(fields.count)", file: path, line: lineNumber())
            }
            let raw = fields[rawColumn]
            let canonical = fields[canonicalColumn].trimmingCharacters(in: .whitespaces)
            guard !TextNormalizer.key(raw).isEmpty else {
                throw KindredError.badInput("empty raw value", file: path, line: lineNumber(), field: "raw")
            }
            guard !canonical.isEmpty else {
                throw KindredError.badInput("empty canonical value", file: path, line: lineNumber(), field: "canonical")
            }
            var occupation = occupationColumn.map { fields[$0].trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
            if let given = occupation, catalog.indexByID[given] == nil {
                throw KindredError.badInput("unknown occupation id (not in the catalogue)", file: path, line: lineNumber(), field: "occupation")
            }
            if occupation == nil { occupation = byTitle[TextNormalizer.key(canonical)] }
            overrides.add(raw: raw, canonical: canonical, occupation: occupation)
        }
        return overrides
    }
}

/// Quarantine records without personal data: the record's identifier fields (`id`, `name`, `email`,
/// `phone`, `birth_year`) are replaced by `"[redacted]"` and free text is masked (`PrivacyMask`);
/// a record that is not a JSON object is withheld. The file and line still point at the original. `kindred clean --show-values` keeps records as read.
enum Redaction {
    static let identifierFields = ["id", "name", "email", "phone", "birth_year"]

    static func redact(_ record: QuarantinedRecord) -> QuarantinedRecord {
        var out = record
        if record.raw.isEmpty { return out }  // nothing was kept (a line skipped as too long)
        guard let text = String(validating: record.raw, as: UTF8.self) else {
            out.raw = Array("[not valid UTF-8: \(record.raw.count) bytes withheld]".utf8)
            return out
        }
        if let data = text.data(using: .utf8), var object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] {
            var own: [String: String] = [:]
            for field in ["name", "email", "phone"] { if let v = object[field] as? String { own[field] = v } }
            let mask = PrivacyMask(name: own["name"], email: own["email"], phone: own["phone"])
            for field in identifierFields where object[field] != nil && !(object[field] is NSNull) { object[field] = "[redacted]" }
            func scrub(_ value: Any) -> Any {
                if let s = value as? String { return s == "[redacted]" ? s : mask.mask(s).text }
                if let a = value as? [Any] { return a.map(scrub) }
                if let d = value as? [String: Any] { return d.mapValues(scrub) }
                return value
            }
            object = object.mapValues(scrub)
            if let json = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
                out.raw = Array(json)
                return out
            }
        }
        // Not a JSON object (a CSV row or malformed JSON): nothing tells identifiers from the rest, so
        // the content is withheld; file and line point at it.
        out.raw = Array("[record withheld: \(record.raw.count) bytes; see the file and line, or rerun with --show-values]".utf8)
        return out
    }
}
