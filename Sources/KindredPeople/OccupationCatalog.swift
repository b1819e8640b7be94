import Foundation
import KindredCore

/// One occupation: its canonical title, the ways people write it, its typical skills, its family,
/// and the occupations people move to and from (career moves).
public struct Occupation: Sendable, Equatable {
    public var id: String
    public var title: String
    public var family: String
    public var variants: [String]
    public var skills: [String]
    public var related: [String]

    public init(id: String, title: String, family: String, variants: [String], skills: [String], related: [String]) {
        self.id = id
        self.title = title
        self.family = family
        self.variants = variants
        self.skills = skills
        self.related = related
    }
}

/// A catalogue of occupations: Kindred's bundled JSON catalogue (`datasets/occupations.json`) or
/// O*NET database files. Used to generate synthetic people and as the cleaning dictionary.
public struct OccupationCatalog: Sendable {
    public var families: [String]
    public var occupations: [Occupation]
    /// Index of each occupation id in `occupations`.
    public let indexByID: [String: Int]

    public init(families: [String], occupations: [Occupation]) {
        self.families = families
        self.occupations = occupations
        var index: [String: Int] = [:]
        for (i, occupation) in occupations.enumerated() { index[occupation.id] = i }
        indexByID = index
    }

    /// Loads a catalogue: a JSON file in Kindred's format (or a folder holding one as `catalog.json`),
    /// a folder (or one of the files) of ESCO's CSV export (`ESCOCatalog`), or a folder (or one of the
    /// files) of O*NET database files: Occupation Data, Alternate Titles, Technology Skills and Related
    /// Occupations, tab-separated with O*NET's column names, optionally gzipped.
    /// - Throws: `KindredError` naming the file, line and field at fault.
    public static func load(path: String) throws -> OccupationCatalog {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw KindredError(.badInput, "no such file or folder", file: path)
        }
        if isFolder.boolValue {
            let json = path + "/catalog.json"
            if FileManager.default.fileExists(atPath: json) { return try loadJSON(path: json) }
            if let esco = try ESCOCatalog.load(folder: path) { return esco }
            return try ONetCatalog.load(folder: path)
        }
        if path.lowercased().hasSuffix(".json") { return try loadJSON(path: path) }
        let folder = AtomicFileWriter.folder(of: path)
        if path.lowercased().hasSuffix(".csv") {
            guard let esco = try ESCOCatalog.load(folder: folder) else {
                throw KindredError.badInput(
                    "no ESCO occupations table (columns conceptUri, preferredLabel, altLabels, iscoGroup) beside this file", file: path, line: nil)
            }
            return esco
        }
        return try ONetCatalog.load(folder: folder)
    }

    /// Loads Kindred's JSON catalogue.
    public static func loadJSON(path: String) throws -> OccupationCatalog {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw KindredError(.io, "cannot read: \(error.localizedDescription)", file: path)
        }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw KindredError.badInput("malformed JSON catalogue", file: path, line: nil)
        }
        guard let families = root["families"] as? [String] else {
            throw KindredError.badInput("expected a list of strings", file: path, line: nil, field: "families")
        }
        guard let list = root["occupations"] as? [[String: Any]] else {
            throw KindredError.badInput("expected a list of objects", file: path, line: nil, field: "occupations")
        }
        var occupations: [Occupation] = []
        for (index, item) in list.enumerated() {
            func string(_ key: String) throws -> String {
                guard let value = item[key] as? String, !value.isEmpty else {
                    throw KindredError.badInput("missing or not a string", file: path, line: nil, field: "occupations[\(index)].\(key)")
                }
                return value
            }
            func strings(_ key: String) throws -> [String] {
                guard let value = item[key] as? [String] else {
                    throw KindredError.badInput("expected a list of strings", file: path, line: nil, field: "occupations[\(index)].\(key)")
                }
                return value
            }
            let occupation = Occupation(
                id: try string("id"), title: try string("title"), family: try string("family"),
                variants: try strings("variants"), skills: try strings("skills"), related: (item["related"] as? [String]) ?? [])
            guard families.contains(occupation.family) else {
                throw KindredError.badInput("unknown family", file: path, line: nil, field: "occupations[\(index)].family")
            }
            occupations.append(occupation)
        }
        let catalog = OccupationCatalog(families: families, occupations: occupations)
        for (index, occupation) in occupations.enumerated() {
            for related in occupation.related where catalog.indexByID[related] == nil {
                throw KindredError.badInput("unknown related occupation", file: path, line: nil, field: "occupations[\(index)].related")
            }
        }
        if catalog.indexByID.count != occupations.count {
            throw KindredError.badInput("duplicate occupation id", file: path, line: nil, field: "occupations")
        }
        return catalog
    }
}

/// Reads O*NET database text files into a catalogue. The family of an occupation is its SOC major
/// group (the first two digits of the O*NET-SOC code).
enum ONetCatalog {
    static let majorGroups: [String: String] = [
        "11": "management", "13": "business and financial operations", "15": "computer and mathematical",
        "17": "architecture and engineering", "19": "life, physical, and social science",
        "21": "community and social service", "23": "legal", "25": "educational instruction and library",
        "27": "arts, design, entertainment, sports, and media", "29": "healthcare practitioners and technical",
        "31": "healthcare support", "33": "protective service", "35": "food preparation and serving",
        "37": "building and grounds cleaning and maintenance", "39": "personal care and service",
        "41": "sales and related", "43": "office and administrative support", "45": "farming, fishing, and forestry",
        "47": "construction and extraction", "49": "installation, maintenance, and repair", "51": "production",
        "53": "transportation and material moving", "55": "military specific",
    ]

    /// A tab-separated table with a header row: the rows as dictionaries by column name.
    struct Table {
        let path: String
        let columns: [String]
        let rows: [[String]]

        func column(_ name: String) throws -> Int {
            guard let index = columns.firstIndex(of: name) else {
                throw KindredError.badInput("missing column '\(name)'", file: path, line: 1, field: name)
            }
            return index
        }
    }

    static func readTable(_ path: String) throws -> Table {
        let reader = try LineReader(path: path)
        guard let header = try reader.nextString() else {
            throw KindredError.badInput("the file is empty", file: path, line: nil)
        }
        let columns = header.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        var rows: [[String]] = []
        while let line = try reader.nextString() {
            if line.isEmpty { continue }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == columns.count else {
                throw KindredError.badInput("expected \(columns.count) tab-separated columns, found \(fields.count)", file: path, line: reader.lineNumber)
            }
            rows.append(fields)
        }
        return Table(path: path, columns: columns, rows: rows)
    }

    /// Finds the O*NET files in a folder by their header columns.
    static func load(folder: String) throws -> OccupationCatalog {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder))?.sorted() ?? []
        var occupationsTable: Table?
        var alternates: Table?
        var technology: Table?
        var relatedTable: Table?
        for name in names where name.hasSuffix(".txt") || name.hasSuffix(".tsv") || name.hasSuffix(".gz") {
            let path = folder + "/" + name
            let reader = try LineReader(path: path)
            let header = (try? reader.nextString()) ?? nil
            reader.close()
            guard let header else { continue }
            let columns = Set(header.split(separator: "\t").map(String.init))
            guard columns.contains("O*NET-SOC Code") else { continue }
            if columns.contains("Alternate Title") {
                alternates = try readTable(path)
            } else if columns.contains("Related O*NET-SOC Code") {
                relatedTable = try readTable(path)
            } else if columns.contains("Example") && columns.contains("Hot Technology") {
                technology = try readTable(path)
            } else if columns.contains("Description") && columns.contains("Title") && columns.count == 3 {
                occupationsTable = try readTable(path)
            }
        }
        guard let occupationsTable else {
            throw KindredError.badInput("no O*NET Occupation Data file (columns O*NET-SOC Code, Title, Description) found", file: folder, line: nil)
        }
        let codeColumn = try occupationsTable.column("O*NET-SOC Code")
        let titleColumn = try occupationsTable.column("Title")
        var variants: [String: [String]] = [:]
        if let alternates {
            let code = try alternates.column("O*NET-SOC Code")
            let title = try alternates.column("Alternate Title")
            for row in alternates.rows { variants[row[code], default: []].append(row[title]) }
        }
        var skills: [String: [String]] = [:]
        if let technology {
            let code = try technology.column("O*NET-SOC Code")
            let example = try technology.column("Example")
            for row in technology.rows { skills[row[code], default: []].append(row[example]) }
        }
        var related: [String: [String]] = [:]
        if let relatedTable {
            let code = try relatedTable.column("O*NET-SOC Code")
            let other = try relatedTable.column("Related O*NET-SOC Code")
            for row in relatedTable.rows { related[row[code], default: []].append(row[other]) }
        }
        var families: [String] = []
        var occupations: [Occupation] = []
        for row in occupationsTable.rows {
            let code = row[codeColumn]
            let group = String(code.prefix(2))
            let family = majorGroups[group] ?? "major group \(group)"
            if !families.contains(family) { families.append(family) }
            let sameFamily = (related[code] ?? []).filter { $0.prefix(2) == code.prefix(2) }
            occupations.append(
                Occupation(
                    id: code, title: row[titleColumn], family: family, variants: variants[code] ?? [],
                    skills: skills[code] ?? [], related: sameFamily))
        }
        let ids = Set(occupations.map(\.id))
        for i in occupations.indices { occupations[i].related = occupations[i].related.filter { ids.contains($0) } }
        return OccupationCatalog(families: families, occupations: occupations)
    }
}

extension OccupationCatalog {
    /// The catalogue in Kindred's JSON format (readable by `loadJSON`), keys sorted.
    public func jsonData() throws -> Data {
        let list: [[String: Any]] = occupations.map { o in
            ["id": o.id, "title": o.title, "family": o.family, "variants": o.variants, "skills": o.skills, "related": o.related]
        }
        let root: [String: Any] = ["format": 1, "families": families, "occupations": list]
        return try JSONSerialization.data(withJSONObject: root, options: [.sortedKeys])
    }
}

/// Where the cleaning dictionary comes from. Never a path relative to the working folder that the
/// analyst did not give: an explicit path (flag or config key), else `KINDRED_CATALOG`, else the
/// per-user data folder that set-up fills (`$XDG_DATA_HOME/kindred/catalog`, by default
/// `~/.local/share/kindred/catalog`), else none: titles and skills are then left as typed (normalised)
/// and variant spellings are learned from the input itself.
///
/// `none` (as a path) asks for no dictionary even when one is installed.
public enum DictionaryLocation {
    /// The word that asks for no dictionary.
    public static let noneWord = "none"

    /// The per-user dictionary folder (whether or not it exists).
    public static func userFolder(environment: [String: String]) -> String? {
        if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") { return data + "/kindred/catalog" }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return home + "/.local/share/kindred/catalog"
    }

    /// The dictionary path to use, or nil for none.
    /// - Parameter explicit: a path the analyst gave (flag or config key), or `none`.
    public static func resolve(explicit: String?, environment: [String: String]) -> String? {
        if let explicit { return explicit == noneWord ? nil : explicit }
        if let fromEnvironment = environment["KINDRED_CATALOG"], !fromEnvironment.isEmpty {
            return fromEnvironment == noneWord ? nil : fromEnvironment
        }
        if let folder = userFolder(environment: environment) {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue,
                let names = try? FileManager.default.contentsOfDirectory(atPath: folder), !names.isEmpty
            {
                return folder
            }
        }
        return nil
    }

    /// The catalogue at the resolved location, or the empty catalogue when there is none.
    public static func load(explicit: String?, environment: [String: String]) throws -> OccupationCatalog {
        guard let path = resolve(explicit: explicit, environment: environment) else { return .empty }
        return try OccupationCatalog.load(path: path)
    }
}

extension OccupationCatalog {
    /// No occupations: cleaning then normalises values and learns variants from the input only.
    public static let empty = OccupationCatalog(families: [], occupations: [])
}
