import Foundation
import KindredCore

/// Reads ESCO's CSV export (https://esco.ec.europa.eu/en/use-esco/download, "CSV", any language)
/// into a catalogue: one occupation per ESCO occupation, its alternative and hidden labels as
/// variants, its essential then optional skills (when `occupationSkillRelations_*.csv` and
/// `skills_*.csv` are there), the other occupations of its ISCO-08 unit group as related ones, and
/// its ISCO-08 major group as family.
///
/// The files are found in a folder by their header columns (not their names), so any language's
/// export works: occupations (`conceptUri`, `preferredLabel`, `altLabels`, `iscoGroup`), skills
/// (`conceptUri`, `preferredLabel`, `skillType`), relations (`occupationUri`, `relationType`, `skillUri`).
enum ESCOCatalog {
    /// ISCO-08 major groups, by first digit.
    static let majorGroups: [Character: String] = [
        "0": "armed forces occupations", "1": "managers", "2": "professionals", "3": "technicians and associate professionals",
        "4": "clerical support workers", "5": "service and sales workers", "6": "skilled agricultural, forestry and fishery workers",
        "7": "craft and related trades workers", "8": "plant and machine operators, and assemblers", "9": "elementary occupations",
    ]

    /// True when `header` (a CSV header line) is ESCO's occupations table.
    static func isOccupations(_ columns: Set<String>) -> Bool {
        columns.isSuperset(of: ["conceptUri", "preferredLabel", "altLabels", "iscoGroup"])
    }

    /// The ESCO tables among the `.csv` files of `folder`, or nil when it holds no occupations table.
    static func load(folder: String) throws -> OccupationCatalog? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder))?.sorted() ?? []
        var occupationsTable: CSVTable?
        var skillsTables: [CSVTable] = []
        var relationsTable: CSVTable?
        for name in names where name.lowercased().hasSuffix(".csv") {
            let path = folder + "/" + name
            guard let header = try CSVTable.header(path) else { continue }
            let columns = Set(header)
            if isOccupations(columns) {
                // The full table, not one of ESCO's collections (subsets in the same columns).
                let table = try CSVTable.read(path)
                if table.rows.count > occupationsTable?.rows.count ?? -1 { occupationsTable = table }
            } else if columns.isSuperset(of: ["occupationUri", "relationType", "skillUri"]) {
                relationsTable = try CSVTable.read(path)
            } else if columns.isSuperset(of: ["conceptUri", "preferredLabel", "skillType"]) {
                skillsTables.append(try CSVTable.read(path))
            }
        }
        guard let occupationsTable else { return nil }
        return try catalog(occupations: occupationsTable, skills: skillsTables, relations: relationsTable)
    }

    static func catalog(occupations table: CSVTable, skills: [CSVTable], relations: CSVTable?) throws -> OccupationCatalog {
        let uri = try table.column("conceptUri")
        let label = try table.column("preferredLabel")
        let alt = try table.column("altLabels")
        let hidden = table.columns.firstIndex(of: "hiddenLabels")
        let isco = try table.column("iscoGroup")
        // Skill labels by URI.
        var skillLabel: [String: String] = [:]
        for skills in skills {
            let u = try skills.column("conceptUri")
            let l = try skills.column("preferredLabel")
            for row in skills.rows where !row.fields[l].isEmpty { skillLabel[row.fields[u]] = row.fields[l] }
        }
        // Skills per occupation URI: essential first, then optional, each in file order.
        var essential: [String: [String]] = [:]
        var optional: [String: [String]] = [:]
        if let relations, !skillLabel.isEmpty {
            let o = try relations.column("occupationUri")
            let r = try relations.column("relationType")
            let s = try relations.column("skillUri")
            for row in relations.rows {
                guard let name = skillLabel[row.fields[s]] else { continue }
                if row.fields[r].lowercased() == "essential" {
                    essential[row.fields[o], default: []].append(name)
                } else {
                    optional[row.fields[o], default: []].append(name)
                }
            }
        }
        var families: [String] = []
        var occupations: [Occupation] = []
        var byGroup: [String: [String]] = [:]
        var seen = Set<String>()
        for row in table.rows {
            let id = row.fields[uri]
            let title = row.fields[label]
            if id.isEmpty { throw KindredError.badInput("empty conceptUri", file: table.path, line: row.line, field: "conceptUri") }
            if title.isEmpty { throw KindredError.badInput("empty preferredLabel", file: table.path, line: row.line, field: "preferredLabel") }
            guard seen.insert(id).inserted else {
                throw KindredError.badInput("duplicate occupation", file: table.path, line: row.line, field: "conceptUri")
            }
            let group = row.fields[isco].trimmingCharacters(in: .whitespaces)
            let family = group.first.flatMap { majorGroups[$0] } ?? "ISCO group unknown"
            if !families.contains(family) { families.append(family) }
            var variants = labels(row.fields[alt])
            if let hidden { variants += labels(row.fields[hidden]) }
            var skillNames = essential[id] ?? []
            for name in optional[id] ?? [] where !skillNames.contains(name) { skillNames.append(name) }
            occupations.append(
                Occupation(id: id, title: title, family: family, variants: variants.filter { $0 != title }, skills: skillNames, related: []))
            if !group.isEmpty { byGroup[group, default: []].append(id) }
        }
        // Related: the other occupations of the same ISCO-08 unit group.
        for i in occupations.indices {
            let group = table.rows[i].fields[isco].trimmingCharacters(in: .whitespaces)
            occupations[i].related = (byGroup[group] ?? []).filter { $0 != occupations[i].id }
        }
        return OccupationCatalog(families: families, occupations: occupations)
    }

    /// The labels of an ESCO label list (one per line; blank lines dropped).
    static func labels(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

/// A comma-separated table read whole (RFC 4180: quoted fields may hold commas, doubled quotes and line
/// breaks), with the line each record starts on.
struct CSVTable {
    struct Row {
        var line: Int
        var fields: [String]
    }

    let path: String
    let columns: [String]
    let rows: [Row]

    /// The index of column `name`.
    /// - Throws: `KindredError` naming the file, line 1 and the column when it is missing.
    func column(_ name: String) throws -> Int {
        guard let index = columns.firstIndex(of: name) else {
            throw KindredError.badInput("missing column '\(name)'", file: path, line: 1, field: name)
        }
        return index
    }

    /// The header's column names of a CSV file, or nil when it is empty or unreadable as text.
    static func header(_ path: String) throws -> [String]? {
        let reader = try LineReader(path: path)
        defer { reader.close() }
        guard let line = (try? reader.nextString()) ?? nil else { return nil }
        return try? parse(Array(line.utf8), path: path).first?.fields
    }

    /// Reads a whole CSV file.
    /// - Throws: `KindredError` naming the file and line of a malformed record, or the I/O failure.
    static func read(_ path: String) throws -> CSVTable {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw KindredError(.io, "cannot read: \(error.localizedDescription)", file: path)
        }
        var records = try parse([UInt8](data), path: path)
        guard !records.isEmpty else { throw KindredError.badInput("the file is empty", file: path, line: nil) }
        let header = records.removeFirst()
        for record in records where record.fields.count != header.fields.count {
            throw KindredError.badInput(
                "expected \(header.fields.count) comma-separated columns, found \(record.fields.count)", file: path, line: record.line)
        }
        return CSVTable(path: path, columns: header.fields, rows: records)
    }

    /// The records of CSV text (a UTF-8 byte-order mark is skipped; blank lines are not records).
    static func parse(_ bytes: [UInt8], path: String) throws -> [Row] {
        var rows: [Row] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1
        var recordLine = 1
        var quoted = false
        var fieldStarted = false
        var i = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        func endField() throws {
            guard let text = String(validating: field, as: UTF8.self) else {
                throw KindredError.badInput("invalid UTF-8", file: path, line: recordLine, field: "column \(fields.count + 1)")
            }
            fields.append(text)
            field.removeAll(keepingCapacity: true)
            fieldStarted = false
        }
        func endRecord() throws {
            if fields.isEmpty && field.isEmpty && !fieldStarted { return }  // a blank line
            try endField()
            rows.append(Row(line: recordLine, fields: fields))
            fields = []
        }
        while i < bytes.count {
            let b = bytes[i]
            if quoted {
                if b == UInt8(ascii: "\"") {
                    if i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\"") {
                        field.append(b)
                        i += 1
                    } else {
                        quoted = false
                    }
                } else {
                    if b == 10 { line += 1 }
                    field.append(b)
                }
            } else {
                switch b {
                case UInt8(ascii: "\""):
                    guard field.isEmpty else {
                        throw KindredError.badInput("a quote inside an unquoted field", file: path, line: line, field: "column \(fields.count + 1)")
                    }
                    quoted = true
                    fieldStarted = true
                case UInt8(ascii: ","):
                    try endField()
                    fieldStarted = true
                case 13:
                    break
                case 10:
                    try endRecord()
                    line += 1
                    recordLine = line
                default:
                    field.append(b)
                    fieldStarted = true
                }
            }
            i += 1
        }
        if quoted { throw KindredError.badInput("a quoted field is not closed", file: path, line: recordLine, field: "column \(fields.count + 1)") }
        try endRecord()
        return rows
    }
}
