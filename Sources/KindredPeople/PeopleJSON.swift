import Foundation
import KindredCore

/// Converts people to and from Kindred's JSON Lines format (one JSON object per line).
///
/// Raw input: `{"id":…, "name":…, "email":…, "phone":…, "location":…, "skills":[…],
/// "positions":[{"title":…, "company":…, "start":"YYYY-MM", "end":"YYYY-MM"|null}]}`.
/// Clean output adds `skills_raw`, and per position `title_raw`, `occupation`, `seniority`,
/// `confidence` and `end_inferred`. Unknown keys are ignored.
public enum PeopleJSON {
    /// Parses one line into a person.
    /// - Throws: `KindredError` (`.badInput`) with the field at fault; the caller adds file and line.
    public static func parse(_ line: String) throws -> Person {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(line.utf8), options: [])
        } catch {
            throw KindredError.badInput("malformed JSON", file: nil, line: nil)
        }
        guard let record = object as? [String: Any] else {
            throw KindredError.badInput("expected a JSON object", file: nil, line: nil)
        }
        return try person(from: record)
    }

    static func optionalString(_ record: [String: Any], _ key: String, path: String? = nil) throws -> String? {
        guard let value = record[key], !(value is NSNull) else { return nil }
        if let text = value as? String { return text }
        throw KindredError.badInput("expected a string", file: nil, line: nil, field: path ?? key)
    }

    static func date(_ record: [String: Any], _ key: String, path: String) throws -> YearMonth? {
        guard let text = try optionalString(record, key, path: path) else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return nil }
        guard let month = YearMonth(parsing: trimmed) else {
            throw KindredError.badInput("expected a date YYYY-MM", file: nil, line: nil, field: path)
        }
        return month
    }

    static func stringList(_ value: Any?, path: String) throws -> [String]? {
        guard let value, !(value is NSNull) else { return nil }
        if let text = value as? String {
            return text.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        guard let array = value as? [Any] else {
            throw KindredError.badInput("expected a list of strings", file: nil, line: nil, field: path)
        }
        var out: [String] = []
        out.reserveCapacity(array.count)
        for (index, element) in array.enumerated() {
            guard let text = element as? String else {
                throw KindredError.badInput("expected a string", file: nil, line: nil, field: "\(path)[\(index)]")
            }
            out.append(text)
        }
        return out
    }

    static func person(from record: [String: Any]) throws -> Person {
        let id: String
        switch record["id"] {
        case let text as String: id = text
        case let number as NSNumber where !(number is Bool) && CFGetTypeIDHelper.isNumber(number): id = number.stringValue
        case nil, is NSNull: throw KindredError.badInput("missing id", file: nil, line: nil, field: "id")
        default: throw KindredError.badInput("expected a string or number", file: nil, line: nil, field: "id")
        }
        if id.trimmingCharacters(in: .whitespaces).isEmpty {
            throw KindredError.badInput("empty id", file: nil, line: nil, field: "id")
        }
        var person = Person(id: id)
        person.name = try optionalString(record, "name")
        person.email = try optionalString(record, "email")
        person.phone = try optionalString(record, "phone")
        person.location = try optionalString(record, "location")
        switch record["birth_year"] {
        case nil, is NSNull: break
        case let number as NSNumber where CFGetTypeIDHelper.isNumber(number) && number.doubleValue == number.doubleValue.rounded():
            person.birthYear = number.intValue
        case let text as String where Int(text.trimmingCharacters(in: .whitespaces)) != nil:
            person.birthYear = Int(text.trimmingCharacters(in: .whitespaces))
        case let text as String where text.trimmingCharacters(in: .whitespaces).isEmpty: break
        default: throw KindredError.badInput("expected a year", file: nil, line: nil, field: "birth_year")
        }
        if let year = person.birthYear, !(1850...2100).contains(year) {
            throw KindredError.badInput("year of birth out of range 1850–2100", file: nil, line: nil, field: "birth_year")
        }
        person.skills = try stringList(record["skills"], path: "skills") ?? []
        person.rawSkills = try stringList(record["skills_raw"], path: "skills_raw")
        person.dateIssues = try stringList(record["date_issues"], path: "date_issues") ?? []
        if let positions = record["positions"], !(positions is NSNull) {
            guard let array = positions as? [Any] else {
                throw KindredError.badInput("expected a list of positions", file: nil, line: nil, field: "positions")
            }
            for (index, element) in array.enumerated() {
                let path = "positions[\(index)]"
                guard let item = element as? [String: Any] else {
                    throw KindredError.badInput("expected an object", file: nil, line: nil, field: path)
                }
                guard let title = try optionalString(item, "title", path: path + ".title"),
                    !title.trimmingCharacters(in: .whitespaces).isEmpty
                else {
                    throw KindredError.badInput("missing title", file: nil, line: nil, field: path + ".title")
                }
                var position = Position(title: title)
                position.rawTitle = try optionalString(item, "title_raw", path: path + ".title_raw")
                position.occupation = try optionalString(item, "occupation", path: path + ".occupation")
                position.seniority = try optionalString(item, "seniority", path: path + ".seniority")
                if let confidence = item["confidence"] as? NSNumber { position.confidence = confidence.doubleValue }
                position.company = try optionalString(item, "company", path: path + ".company")
                position.start = try date(item, "start", path: path + ".start")
                position.end = try date(item, "end", path: path + ".end")
                position.endInferred = (item["end_inferred"] as? Bool) ?? false
                position.startImputed = (item["start_imputed"] as? Bool) ?? false
                position.endImputed = (item["end_imputed"] as? Bool) ?? false
                position.titleMatch = try optionalString(item, "title_match", path: path + ".title_match")
                position.dateIssues = try stringList(item["date_issues"], path: path + ".date_issues") ?? []
                person.positions.append(position)
            }
        }
        return person
    }

    /// One JSON line (no newline) for a person; keys in a fixed order, absent values left out.
    public static func line(for person: Person) -> String {
        var json = JSONText()
        json.add("id", person.id)
        if let name = person.name { json.add("name", name) }
        if let email = person.email { json.add("email", email) }
        if let phone = person.phone { json.add("phone", phone) }
        if let location = person.location { json.add("location", location) }
        json.add("skills", raw: JSONText.array(person.skills))
        if let raw = person.rawSkills { json.add("skills_raw", raw: JSONText.array(raw)) }
        let positions = person.positions.map { position -> String in
            var item = JSONText()
            item.add("title", position.title)
            if let raw = position.rawTitle { item.add("title_raw", raw) }
            if let occupation = position.occupation { item.add("occupation", occupation) }
            if let seniority = position.seniority { item.add("seniority", seniority) }
            if let confidence = position.confidence { item.add("confidence", confidence, digits: 3) }
            if let company = position.company { item.add("company", company) }
            if let start = position.start { item.add("start", start.description) } else { item.addNull("start") }
            if let end = position.end { item.add("end", end.description) } else { item.addNull("end") }
            if position.endInferred { item.add("end_inferred", true) }
            if position.startImputed { item.add("start_imputed", true) }
            if position.endImputed { item.add("end_imputed", true) }
            if let method = position.titleMatch { item.add("title_match", method) }
            if !position.dateIssues.isEmpty { item.add("date_issues", raw: JSONText.array(position.dateIssues)) }
            return item.text
        }
        json.add("positions", raw: "[" + positions.joined(separator: ",") + "]")
        if !person.dateIssues.isEmpty { json.add("date_issues", raw: JSONText.array(person.dateIssues)) }
        return json.text
    }
}

/// Tells JSON numbers from JSON booleans, which Foundation on Linux both hands out as NSNumber.
enum CFGetTypeIDHelper {
    static func isNumber(_ number: NSNumber) -> Bool {
        let type = String(cString: number.objCType)
        return type != "c" && type != "B"
    }
}
