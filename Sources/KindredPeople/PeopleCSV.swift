import Foundation
import KindredCore

/// Reads people from CSV: a header row, then one row per person.
///
/// Columns (case-insensitive; order free; unknown columns ignored): `id` (required), `name`, `email`,
/// `phone`, `location`, `birth_year`, `skills`, and the job history as aligned lists `titles`, `companies`,
/// `starts`, `ends` (or a single `title` column). List fields are separated by `;`.
public struct PeopleCSVSchema: Sendable {
    var columns: [String: Int]
    let width: Int

    /// Reads the header line.
    /// - Throws: `KindredError` when there is no `id` column (field names the header).
    public init(header: String) throws {
        let names = try CSV.fields(of: header).map { $0.trimmingSpaces().lowercased() }
        var columns: [String: Int] = [:]
        for (index, name) in names.enumerated() where columns[name] == nil {
            columns[name] = index
        }
        guard columns["id"] != nil else {
            throw KindredError.badInput("the header has no 'id' column", file: nil, line: 1, field: "header")
        }
        self.columns = columns
        width = names.count
    }

    /// Parses one data row.
    public func parse(_ line: String) throws -> Person {
        let fields = try CSV.fields(of: line)
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
            return fields[index].split(separator: ";", omittingEmptySubsequences: false)
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
        let companies = list("companies")
        let starts = list("starts")
        let ends = list("ends")
        for (index, title) in titles.enumerated() {
            guard !title.isEmpty else {
                throw KindredError.badInput("empty title", file: nil, line: nil, field: "titles[\(index)]")
            }
            var position = Position(title: title)
            if index < companies.count, !companies[index].isEmpty { position.company = companies[index] }
            if index < starts.count, !starts[index].isEmpty {
                guard let start = YearMonth(parsing: starts[index]) else {
                    throw KindredError.badInput("expected a date YYYY-MM", file: nil, line: nil, field: "starts[\(index)]")
                }
                position.start = start
            }
            if index < ends.count, !ends[index].isEmpty {
                guard let end = YearMonth(parsing: ends[index]) else {
                    throw KindredError.badInput("expected a date YYYY-MM", file: nil, line: nil, field: "ends[\(index)]")
                }
                position.end = end
            }
            person.positions.append(position)
        }
        return person
    }
}
