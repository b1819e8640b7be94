import Foundation
import KindredCore

/// Converts people to and from Kindred's JSON Lines format (one JSON object per line).
///
/// Raw input: `{"id":…, "name":…, "email":…, "phone":…, "location":…, "skills":[…],
/// "positions":[{"title":…, "company":…, "start":"YYYY-MM", "end":"YYYY-MM"|null}]}`; dates may be written
/// in any form `YearMonth.reading` accepts (`Mar 2019`, `03/2019`, `2019`, `present`, …): one it cannot
/// read is treated as missing and flagged on the position, never a reason to quarantine the person.
/// Clean output adds `skills_raw`, and per position `title_raw`, `occupation`, `seniority`,
/// `confidence`, `end_inferred` and `end_present`. Unknown keys are ignored.
public enum PeopleJSON {
    /// Parses one line into a person.
    /// - Parameter dateOrder: how to read ambiguous dates such as `03/04/2019`.
    /// - Throws: `KindredError` (`.badInput`) with the field at fault; the caller adds file and line.
    public static func parse(_ line: String, dateOrder: DateOrder = .mdy) throws -> Person {
        var line = line
        return try line.withUTF8 { try parse(bytes: $0, dateOrder: dateOrder) }
    }

    /// Parses one line's UTF-8 bytes into a person.
    public static func parse(bytes: UnsafeBufferPointer<UInt8>, dateOrder: DateOrder = .mdy) throws -> Person {
        guard let value = JSONValue.parse(bytes) else {
            throw KindredError.badInput("malformed JSON", file: nil, line: nil)
        }
        guard case .object = value else {
            throw KindredError.badInput("expected a JSON object", file: nil, line: nil)
        }
        return try person(from: value, dateOrder: dateOrder)
    }

    static func optionalString(_ record: JSONValue, _ key: String, path: @autoclosure () -> String? = nil) throws -> String? {
        switch record[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw KindredError.badInput("expected a string", file: nil, line: nil, field: path() ?? key)
        }
    }

    /// A position's date cell as text: a string, or a number for a year alone (`2019`); nil when absent.
    static func dateText(_ record: JSONValue, _ key: String, path: @autoclosure () -> String) throws -> String? {
        switch record[key] {
        case nil, .null?: return nil
        case .string(let text)?:
            let trimmed = text.trimmingSpaces()
            return trimmed.isEmpty ? nil : trimmed
        case .number(_, let text)?: return text
        default: throw KindredError.badInput("expected a date as a string", file: nil, line: nil, field: path())
        }
    }

    static func stringList(_ value: JSONValue?, path: @autoclosure () -> String) throws -> [String]? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?:
            return text.split(separator: ";").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
        case .array(let array)?:
            var out: [String] = []
            out.reserveCapacity(array.count)
            for (index, element) in array.enumerated() {
                guard case .string(let text) = element else {
                    throw KindredError.badInput("expected a string", file: nil, line: nil, field: "\(path())[\(index)]")
                }
                out.append(text)
            }
            return out
        default:
            throw KindredError.badInput("expected a list of strings", file: nil, line: nil, field: path())
        }
    }

    /// A JSON number used as an id: integers as written, others by value.
    static func idText(_ value: Double, _ text: String) -> String {
        if text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "-") }) { return text }
        if value == value.rounded() && abs(value) < 1e15 { return String(Int(value)) }
        return String(value)
    }

    public static func person(from record: JSONValue, dateOrder: DateOrder = .mdy) throws -> Person {
        let id: String
        switch record["id"] {
        case .string(let text)?: id = text
        case .number(let value, let text)?: id = idText(value, text)
        case nil, .null?: throw KindredError.badInput("missing id", file: nil, line: nil, field: "id")
        default: throw KindredError.badInput("expected a string or number", file: nil, line: nil, field: "id")
        }
        if id.trimmingSpaces().isEmpty {
            throw KindredError.badInput("empty id", file: nil, line: nil, field: "id")
        }
        var person = Person(id: id)
        person.name = try optionalString(record, "name")
        person.email = try optionalString(record, "email")
        person.phone = try optionalString(record, "phone")
        person.location = try optionalString(record, "location")
        switch record["birth_year"] {
        case nil, .null?: break
        case .number(let value, _)? where value == value.rounded() && abs(value) < 1e9:
            person.birthYear = Int(value)
        case .string(let text)? where Int(text.trimmingSpaces()) != nil:
            person.birthYear = Int(text.trimmingSpaces())
        case .string(let text)? where text.trimmingSpaces().isEmpty: break
        default: throw KindredError.badInput("expected a year", file: nil, line: nil, field: "birth_year")
        }
        if let year = person.birthYear, !(1850...2100).contains(year) {
            throw KindredError.badInput("year of birth out of range 1850–2100", file: nil, line: nil, field: "birth_year")
        }
        person.skills = try stringList(record["skills"], path: "skills") ?? []
        person.rawSkills = try stringList(record["skills_raw"], path: "skills_raw")
        person.dateIssues = try stringList(record["date_issues"], path: "date_issues") ?? []
        switch record["positions"] {
        case nil, .null?: break
        case .array(let array)?:
            person.positions.reserveCapacity(array.count)
            for (index, item) in array.enumerated() {
                guard case .object = item else {
                    throw KindredError.badInput("expected an object", file: nil, line: nil, field: "positions[\(index)]")
                }
                // Field paths are only made for an error message.
                func path(_ key: String) -> String { "positions[\(index)]." + key }
                guard let title = try optionalString(item, "title", path: path("title")),
                    !title.trimmingSpaces().isEmpty
                else {
                    throw KindredError.badInput("missing title", file: nil, line: nil, field: path("title"))
                }
                var position = Position(title: title)
                position.rawTitle = try optionalString(item, "title_raw", path: path("title_raw"))
                position.occupation = try optionalString(item, "occupation", path: path("occupation"))
                position.seniority = try optionalString(item, "seniority", path: path("seniority"))
                if case .number(let confidence, _)? = item["confidence"] { position.confidence = confidence }
                position.company = try optionalString(item, "company", path: path("company"))
                if let text = try dateText(item, "start", path: path("start")) { position.readStart(text, order: dateOrder) }
                if let text = try dateText(item, "end", path: path("end")) { position.readEnd(text, order: dateOrder) }
                func flag(_ key: String) -> Bool { if case .bool(true)? = item[key] { return true } else { return false } }
                position.endInferred = flag("end_inferred")
                position.startImputed = flag("start_imputed")
                position.endImputed = flag("end_imputed")
                position.endIsPresent = position.endIsPresent || flag("end_present")
                position.titleMatch = try optionalString(item, "title_match", path: path("title_match"))
                for issue in try stringList(item["date_issues"], path: path("date_issues")) ?? [] where !position.dateIssues.contains(issue) {
                    position.dateIssues.append(issue)
                }
                person.positions.append(position)
            }
        default:
            throw KindredError.badInput("expected a list of positions", file: nil, line: nil, field: "positions")
        }
        return person
    }

    /// One JSON line (no newline) for a person; keys in a fixed order, absent values left out.
    public static func line(for person: Person) -> String {
        String(decoding: lineBytes(for: person), as: UTF8.self)
    }

    /// `line(for:)` as UTF-8 bytes, written without intermediate strings.
    public static func lineBytes(for person: Person) -> [UInt8] {
        var json = JSONBytes(capacity: 1024)
        write(person, to: &json)
        return json.bytes
    }

    /// Writes the person's JSON object (`line(for:)`) into `json`.
    public static func write(_ person: Person, to json: inout JSONBytes) {
        json.openObject()
        json.key("id"); json.string(person.id)
        if let name = person.name { json.key("name"); json.string(name) }
        if let email = person.email { json.key("email"); json.string(email) }
        if let phone = person.phone { json.key("phone"); json.string(phone) }
        if let location = person.location { json.key("location"); json.string(location) }
        json.key("skills"); json.strings(person.skills)
        if let raw = person.rawSkills { json.key("skills_raw"); json.strings(raw) }
        json.key("positions")
        json.openArray()
        for position in person.positions {
            json.openObject()
            json.key("title"); json.string(position.title)
            if let raw = position.rawTitle { json.key("title_raw"); json.string(raw) }
            if let occupation = position.occupation { json.key("occupation"); json.string(occupation) }
            if let seniority = position.seniority { json.key("seniority"); json.string(seniority) }
            if let confidence = position.confidence { json.key("confidence"); json.raw(JSONText.number(confidence, digits: 3)) }
            if let company = position.company { json.key("company"); json.string(company) }
            json.key("start"); date(position.start, to: &json)
            json.key("end"); date(position.end, to: &json)
            if position.endInferred { json.key("end_inferred"); json.raw("true") }
            if position.startImputed { json.key("start_imputed"); json.raw("true") }
            if position.endImputed { json.key("end_imputed"); json.raw("true") }
            if position.endIsPresent { json.key("end_present"); json.raw("true") }
            if let method = position.titleMatch { json.key("title_match"); json.string(method) }
            if !position.dateIssues.isEmpty { json.key("date_issues"); json.strings(position.dateIssues) }
            json.closeObject()
        }
        json.closeArray()
        if !person.dateIssues.isEmpty { json.key("date_issues"); json.strings(person.dateIssues) }
        json.closeObject()
    }

    /// A month as `"YYYY-MM"` (`YearMonth.description`), or null.
    private static func date(_ month: YearMonth?, to json: inout JSONBytes) {
        guard let month else { return json.raw("null") }
        guard (1000...9999).contains(month.year), (1...12).contains(month.month) else { return json.string(month.description) }
        let (y, m) = (month.year, month.month)
        let text: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (
            0x22, UInt8(48 + y / 1000), UInt8(48 + y / 100 % 10), UInt8(48 + y / 10 % 10), UInt8(48 + y % 10),
            0x2D, UInt8(48 + m / 10), UInt8(48 + m % 10), 0x22)
        withUnsafeBytes(of: text) { json.raw(bytes: $0) }
    }
}
