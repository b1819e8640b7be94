import Foundation
import KindredCore
import KindredPeople
import KindredTestSupport

// Paths, TemporaryFolder, runWithDeadline and the ../shared/data trait come from KindredTestSupport.

/// The bundled catalogue, loaded once. A missing or broken file makes every test using it fail
/// (the load error is rethrown), never skip.
enum Fixtures {
    private static let loaded: Result<OccupationCatalog, any Error> = Result {
        try OccupationCatalog.load(path: Paths.bundledCatalog)
    }

    static func catalog() throws -> OccupationCatalog { try loaded.get() }
}

/// Everything a reader produced, in order.
struct ReadResult {
    var people: [(person: Person, line: Int)] = []
    var quarantined: [QuarantinedRecord] = []
    var recordsRead = 0
}

/// Reads a whole people file.
func readAll(_ path: String, format: PeopleFormat? = nil) throws -> ReadResult {
    let reader = try PeopleReader(path: path, format: format)
    var result = ReadResult()
    while let item = try reader.next() {
        switch item {
        case .person(let person, let line): result.people.append((person, line))
        case .quarantined(let record): result.quarantined.append(record)
        }
    }
    result.recordsRead = reader.recordsRead
    return result
}

/// Decompresses a gzip file into `destination` with the system's gzip (read to the end, so no
/// early termination is involved).
func gunzip(_ source: String, to destination: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "exec gzip -dc -- \"$0\" > \"$1\"", source, destination]
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw KindredError(.io, "gzip failed with status \(process.terminationStatus)", file: source)
    }
}
