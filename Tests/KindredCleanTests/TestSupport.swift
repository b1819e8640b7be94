import KindredCore
import KindredPeople
import KindredTestSupport

// Paths and TemporaryFolder come from KindredTestSupport.

/// The bundled catalogue, loaded once; a missing file fails the tests that use it.
enum Fixtures {
    private static let loaded: Result<OccupationCatalog, any Error> = Result {
        try OccupationCatalog.load(path: Paths.bundledCatalog)
    }

    static func catalog() throws -> OccupationCatalog { try loaded.get() }
}
