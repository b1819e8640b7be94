// Helpers shared by the test targets (a library only test targets depend on: SwiftPM test targets
// cannot share a source file). Keep it small: paths, the shared-data trait, temporary folders, deadlines.
import Foundation
import KindredCore
import Testing

/// Paths of repository and shared files, found from this file's location.
public enum Paths {
    /// The repository root (three levels above this file: Tests/KindredTestSupport/TestSupport.swift).
    public static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The shared read-only data folder beside the repository (`../shared/data`; never copied in).
    public static let sharedData: URL = repoRoot.deletingLastPathComponent().appendingPathComponent("shared/data")

    /// Whether the shared data folder is there (CI has it; a clone elsewhere may not).
    public static let sharedDataIsAvailable: Bool = ["karate.edges", "onet_job_zones.tsv.gz"].allSatisfy {
        FileManager.default.fileExists(atPath: sharedData.appendingPathComponent($0).path)
    }

    /// The trait of tests that read the shared data: skipped, saying why, where it is absent.
    public static let sharedDataNeeded = Testing.ConditionTrait.enabled(
        if: sharedDataIsAvailable,
        "needs ../shared/data beside the repository (public data sets; CI has it, never copied into the repository)")

    /// The bundled occupation catalogue (in the repository).
    public static let bundledCatalog: String = repoRoot.appendingPathComponent("datasets/occupations.json").path
}

/// A fresh temporary folder per test under the system temporary directory; `cleanUp()` removes it.
public struct TemporaryFolder: Sendable {
    public let path: String

    /// - Parameter prefix: the folder name's start, saying which tests made it.
    public init(prefix: String = "kindred-tests") throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent(prefix + "-" + UUID().uuidString).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public func file(_ name: String) -> String { path + "/" + name }

    @discardableResult
    public func write(_ bytes: [UInt8], to name: String) throws -> String {
        let target = file(name)
        guard FileManager.default.createFile(atPath: target, contents: Data(bytes)) else {
            throw KindredError(.io, "cannot create test file", file: target)
        }
        return target
    }

    @discardableResult
    public func write(_ text: String, to name: String) throws -> String {
        try write(Array(text.utf8), to: name)
    }

    public func cleanUp() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A result handed from a helper thread to the waiting test, guarded by a lock.
private final class ResultBox<T: Sendable>: @unchecked Sendable {
    let lock = NSLock()
    var result: Result<T, any Error>?
}

/// Runs `body` on its own thread and waits at most `seconds` for it, so that a hang in library
/// code fails the test instead of blocking the whole run. Returns nil on timeout (the thread is
/// then left behind; it ends with the test process).
public func runWithDeadline<T: Sendable>(seconds: Double, _ body: @escaping @Sendable () throws -> T) throws -> T? {
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

/// Every regular file under a folder: relative path → bytes.
public func fileTree(_ folder: String) throws -> [String: Data] {
    var out: [String: Data] = [:]
    let walker = FileManager.default.enumerator(atPath: folder)
    while let relative = walker?.nextObject() as? String {
        var isFolder: ObjCBool = false
        let path = folder + "/" + relative
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue {
            out[relative] = try Data(contentsOf: URL(fileURLWithPath: path))
        }
    }
    return out
}
