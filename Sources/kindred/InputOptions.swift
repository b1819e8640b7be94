import ArgumentParser
import KindredCore
import KindredPeople

/// Options shared by commands that read raw people files: the CSV delimiter and the date order.
struct InputOptions: ParsableArguments {
    @Option(help: "CSV field separator: ',' ';' or tab (default: found from the header line).") var delimiter: String?
    @Option(help: "How to read ambiguous dates such as 03/04/2019: mdy (default, March 4) or dmy (3 April); such dates are flagged.") var dateOrder: String?

    /// The parsed delimiter (nil: detect).
    func parsedDelimiter() throws -> Character? {
        guard let delimiter else { return nil }
        guard let d = PeopleReadOptions.delimiter(named: delimiter) else { throw KindredError.usage("--delimiter must be ',', ';' or tab") }
        return d
    }

    /// The parsed date order (nil: not given).
    func parsedDateOrder() throws -> DateOrder? {
        guard let dateOrder else { return nil }
        guard let o = DateOrder(rawValue: dateOrder.lowercased()) else { throw KindredError.usage("--date-order must be mdy or dmy") }
        return o
    }

    /// The parsed `--format`: jsonl, json or csv.
    static func format(_ text: String?) throws -> PeopleFormat? {
        guard let text else { return nil }
        guard let f = PeopleFormat(rawValue: text) else { throw KindredError.usage("--format must be jsonl, json or csv") }
        return f
    }
}
