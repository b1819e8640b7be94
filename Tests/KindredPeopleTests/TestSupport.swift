import Foundation
import KindredCore
import KindredPeople
import Testing

/// Paths of repository and shared files, found from this file's location.
enum Paths {
    /// The repository root (three levels above this file: Tests/KindredPeopleTests/TestSupport.swift).
    static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The shared read-only data folder beside the repository.
    static let sharedData: URL = repoRoot.deletingLastPathComponent().appendingPathComponent("shared/data")

    /// The trait of tests that read the shared data: skipped, saying why, where it is absent.
    static let sharedDataNeeded = Testing.ConditionTrait.enabled(
        if: FileManager.default.fileExists(atPath: sharedData.appendingPathComponent("onet_job_zones.tsv.gz").path),
        "needs ../shared/data beside the repository (public data sets; CI has it, never copied into the repository)")

    /// The bundled occupation catalogue.
    static let bundledCatalog: String = repoRoot.appendingPathComponent("datasets/occupations.json").path
}

/// The bundled catalogue, loaded once. A missing or broken file makes every test using it fail
/// (the load error is rethrown), never skip.
enum Fixtures {
    private static let loaded: Result<OccupationCatalog, any Error> = Result {
        try OccupationCatalog.load(path: Paths.bundledCatalog)
    }

    static func catalog() throws -> OccupationCatalog { try loaded.get() }
}

/// A fresh temporary folder per test under the system temporary directory; `cleanUp()` removes it.
struct TemporaryFolder {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("kindred-people-tests-" + UUID().uuidString).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    @discardableResult
    func write(_ bytes: [UInt8], to name: String) throws -> String {
        let target = file(name)
        guard FileManager.default.createFile(atPath: target, contents: Data(bytes)) else {
            throw KindredError(.io, "cannot create test file", file: target)
        }
        return target
    }

    @discardableResult
    func write(_ text: String, to name: String) throws -> String {
        try write(Array(text.utf8), to: name)
    }

    func cleanUp() {
        try? FileManager.default.removeItem(atPath: path)
    }
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

/// A result handed from a helper thread to the waiting test, guarded by a lock.
final class ResultBox<T: Sendable>: @unchecked Sendable {
    let lock = NSLock()
    var result: Result<T, any Error>?
}

/// Runs `body` on its own thread and waits at most `seconds` for it, so that a hang in library
/// code fails the test instead of blocking the whole run. Returns nil on timeout (the thread is
/// then left behind; it ends with the test process).
func runWithDeadline<T: Sendable>(seconds: Double, _ body: @escaping @Sendable () throws -> T) throws -> T? {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
        let result = Result { try body() }
        box.lock.lock()
        box.result = result
        box.lock.unlock()
        done.signal()
    }
    thread.start()
    guard done.wait(timeout: .now() + seconds) == .success else { return nil }
    box.lock.lock()
    defer { box.lock.unlock() }
    return try box.result!.get()
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
