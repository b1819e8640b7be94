import Foundation
import KindredCore

/// Reads people from CSV: a header row, then one row per person.
///
/// Columns (case-insensitive; order free; unknown columns ignored): `id` (required), `name`, `email`,
/// `phone`, `location`, `birth_year`, `skills`, and the job history as aligned lists `titles`, `companies`,
/// `starts`, `ends` (or single `title`, `company`, `start`, `end` columns). List fields are separated by
/// `;` (or line breaks inside a quoted cell). Fields are separated by `delimiter`: a comma, or `;` or a tab
/// as Excel writes them in many locales (`PeopleCSVSchema.detect` finds it from the header); fields
/// holding the delimiter, a quote or a line break are quoted with quotes doubled inside.
/// Dates may be written in any form `YearMonth.reading` accepts; see `Position.readStart`.
public struct PeopleCSVSchema: Sendable {
    var columns: [String: Int]
    let width: Int
    /// The field separator: `,`, `;` or a tab.
    public let delimiter: Character
    /// How ambiguous dates such as `03/04/2019` are read.
    public var dateOrder: DateOrder = .mdy

    /// The field separators `detect` tries, in order.
    public static let delimiters: [Character] = [",", ";", "\t"]

    /// Reads the header line.
    /// - Throws: `KindredError` when there is no `id` column (field names the header).
    public init(header: String, delimiter: Character = ",") throws {
        let names = try CSV.fields(of: header, separator: delimiter).map { $0.trimmingSpaces().lowercased() }
        var columns: [String: Int] = [:]
        for (index, name) in names.enumerated() where columns[name] == nil {
            columns[name] = index
        }
        guard columns["id"] != nil else {
            let shown = delimiter == "\t" ? "tab" : "'\(delimiter)'"
            throw KindredError.badInput(
                "the header has no 'id' column (fields separated by \(shown); expected CSV with an id column, e.g. id,name,skills,titles,starts,ends)",
                file: nil, line: 1, field: "header")
        }
        self.columns = columns
        self.delimiter = delimiter
        width = names.count
    }

    /// Reads the header line, finding its delimiter: the first of `,`, `;`, tab that gives an `id` column.
    /// - Throws: `KindredError` (line 1, field `header`) when none does.
    public static func detect(header: String) throws -> PeopleCSVSchema {
        var firstError: Error?
        for delimiter in delimiters {
            do { return try PeopleCSVSchema(header: header, delimiter: delimiter) } catch { firstError = firstError ?? error }
        }
        throw firstError!
    }

    /// Parses one data row.
    public func parse(_ line: String) throws -> Person {
        let fields = try CSV.fields(of: line, separator: delimiter)
        guard fields.count == width else {
            throw KindredError.badInput("expected \(width) columns, found \(fields.count)", file: nil, line: nil)
        }
        func value(_ name: String) -> String? {
            guard let index = columns[name] else { return nil }
            let text = fields[index].trimmingSpaces()
            return text.isEmpty ? nil : text
        }
        func list(_ name: String) -> [String] {
            guard let index = columns[name] else { return [] }
            return fields[index].split(omittingEmptySubsequences: false, whereSeparator: { $0 == ";" || $0 == "\n" })
                .map { $0.trimmingSpaces() }
        }
        guard let id = value("id") else {
            throw KindredError.badInput("missing id", file: nil, line: nil, field: "id")
        }
        var person = Person(id: id, name: value("name"), email: value("email"), phone: value("phone"), location: value("location"))
        person.skills = list("skills").filter { !$0.isEmpty }
        if let year = value("birth_year").map({ $0.trimmingSpaces() }), !year.isEmpty {
            guard let parsed = Int(year), (1850...2100).contains(parsed) else {
                throw KindredError.badInput("expected a year between 1850 and 2100", file: nil, line: nil, field: "birth_year")
            }
            person.birthYear = parsed
        }
        var titles = list("titles")
        if columns["titles"] == nil, let single = value("title") { titles = [single] }
        if titles == [""] { titles = [] }
        let companies = list(columns["companies"] == nil ? "company" : "companies")
        let starts = list(columns["starts"] == nil ? "start" : "starts")
        let ends = list(columns["ends"] == nil ? "end" : "ends")
        for (index, title) in titles.enumerated() {
            guard !title.isEmpty else {
                throw KindredError.badInput("empty title", file: nil, line: nil, field: "titles[\(index)]")
            }
            var position = Position(title: title)
            if index < companies.count, !companies[index].isEmpty { position.company = companies[index] }
            if index < starts.count, !starts[index].isEmpty { position.readStart(starts[index], order: dateOrder) }
            if index < ends.count, !ends[index].isEmpty { position.readEnd(ends[index], order: dateOrder) }
            person.positions.append(position)
        }
        return person
    }
}
