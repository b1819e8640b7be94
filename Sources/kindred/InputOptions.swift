import ArgumentParser
import KindredCore
import KindredPeople

/// Options shared by commands that read raw people files: the CSV delimiter and the date order.
struct InputOptions: ParsableArguments {
    @Option(help: "CSV field separator: ',' ';' or tab (default: found from the header line).") var delimiter: String?
    @Option(help: "How to read ambiguous dates such as 03/04/2019: mdy (default, March 4) or dmy (3 April); such dates are flagged.") var dateOrder: DateOrder?

    /// The parsed delimiter (nil: detect).
    func parsedDelimiter() throws -> Character? {
        guard let delimiter else { return nil }
        guard let d = PeopleReadOptions.delimiter(named: delimiter) else { throw KindredError.usage("--delimiter must be ',', ';' or tab") }
        return d
    }

}
