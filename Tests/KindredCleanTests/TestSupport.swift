import Foundation
import KindredCore
import KindredPeople

/// Paths of repository files, found from this file's location.
enum Paths {
    /// The repository root (three levels above Tests/KindredCleanTests/TestSupport.swift).
    static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The bundled occupation catalogue.
    static let bundledCatalog: String = repoRoot.appendingPathComponent("datasets/occupations.json").path
}

/// The bundled catalogue, loaded once; a missing file fails the tests that use it.
enum Fixtures {
    private static let loaded: Result<OccupationCatalog, any Error> = Result {
        try OccupationCatalog.load(path: Paths.bundledCatalog)
    }

    static func catalog() throws -> OccupationCatalog { try loaded.get() }
}

/// A fresh temporary folder under the system temporary directory; `cleanUp()` removes it.
struct TemporaryFolder {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("kindred-clean-tests-" + UUID().uuidString).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func cleanUp() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
