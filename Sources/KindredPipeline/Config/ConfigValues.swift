import KindredCore

/// Typed reads of one settings source (a TOML file or the environment), with errors that name the
/// source and the key (`run.toml: field 'graph.k'`, or the environment variable).
struct ConfigValues {
    /// The file's path, or "environment".
    let source: String
    /// Relative paths are resolved against this folder.
    let folder: String
    let value: (String, String) -> RunConfig.RawValue?

    func fail(_ section: String, _ key: String, _ message: String) -> KindredError {
        if source == "environment" {
            return KindredError(.usage, message, file: "environment", field: RunConfig.environmentName(section: section, key: key))
        }
        return KindredError(.usage, message, file: source, field: section.isEmpty ? key : section + "." + key)
    }

    func string(_ section: String, _ key: String) throws -> String? {
        switch value(section, key) {
        case nil: return nil
        case .string(let s)?, .text(let s)?: return s
        default: throw fail(section, key, "expected a string")
        }
    }

    func path(_ section: String, _ key: String) throws -> String? { try string(section, key).map { joinPath(folder, $0) } }

    /// One of an enumeration's raw values.
    func choice<T: RawRepresentable>(_ section: String, _ key: String, _ type: T.Type, _ message: String) throws -> T? where T.RawValue == String {
        guard let text = try string(section, key) else { return nil }
        guard let value = T(rawValue: text) else { throw fail(section, key, message) }
        return value
    }

    func number(_ section: String, _ key: String) throws -> Double? {
        switch value(section, key) {
        case nil: return nil
        case .number(let d)?: return d
        case .integer(let i)?: return Double(i)
        case .text(let t)?:
            guard let d = Double(t.trimmingSpaces()), d.isFinite else { throw fail(section, key, "expected a number") }
            return d
        default: throw fail(section, key, "expected a number")
        }
    }

    func integer(_ section: String, _ key: String, atLeast minimum: Int) throws -> Int? {
        let read: Int
        switch value(section, key) {
        case nil: return nil
        case .integer(let i)?: read = i
        case .text(let t)?:
            guard let i = Int(t.trimmingSpaces()) else { throw fail(section, key, "expected an integer") }
            read = i
        default: throw fail(section, key, "expected an integer")
        }
        guard read >= minimum else { throw fail(section, key, "must be ≥ \(minimum)") }
        return read
    }

    func bool(_ section: String, _ key: String) throws -> Bool? {
        switch value(section, key) {
        case nil: return nil
        case .bool(let b)?: return b
        case .text(let t)?:
            switch t.trimmingSpaces().lowercased() {
            case "true", "1", "yes": return true
            case "false", "0", "no": return false
            default: throw fail(section, key, "expected true or false")
            }
        default: throw fail(section, key, "expected true or false")
        }
    }

    /// Seconds, or a text duration (`45m`, `2h`, `1d`).
    func duration(_ section: String, _ key: String) throws -> Double? {
        switch value(section, key) {
        case nil: return nil
        case .integer(let i)?: return Double(i)
        case .number(let d)?: return d
        case .string(let t)?, .text(let t)?:
            guard let d = StopControl.parseDuration(t) else { throw fail(section, key, "expected a duration: seconds, or 45m, 2h, 1d") }
            return d
        default: throw fail(section, key, "expected a duration: seconds, or 45m, 2h, 1d")
        }
    }
}
