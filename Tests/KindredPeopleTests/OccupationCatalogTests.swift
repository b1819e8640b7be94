import Foundation
import KindredCore
import KindredTestSupport
import Testing
@testable import KindredPeople

@Suite("OccupationCatalog")
struct OccupationCatalogTests {
    @Test("the bundled catalogue is complete and consistent")
    func bundledCatalogue() throws {
        #expect(FileManager.default.fileExists(atPath: Paths.bundledCatalog), "missing \(Paths.bundledCatalog)")
        let catalog = try OccupationCatalog.load(path: Paths.bundledCatalog)
        #expect(catalog.occupations.count >= 40)
        #expect(catalog.families.count >= 8)
        #expect(catalog.indexByID.count == catalog.occupations.count, "occupation ids must be unique")
        let familyOf = Dictionary(uniqueKeysWithValues: catalog.occupations.map { ($0.id, $0.family) })
        for occupation in catalog.occupations {
            #expect(catalog.families.contains(occupation.family))
            #expect(occupation.variants.count >= 6, "\(occupation.id) has \(occupation.variants.count) variants")
            #expect(occupation.skills.count >= 12, "\(occupation.id) has \(occupation.skills.count) skills")
            #expect(Set(occupation.skills).count == occupation.skills.count, "\(occupation.id) repeats a skill")
            for related in occupation.related {
                #expect(related != occupation.id)
                #expect(familyOf[related] == occupation.family, "\(occupation.id) -> \(related) crosses families")
            }
        }
        // Every family is used.
        #expect(Set(catalog.occupations.map(\.family)) == Set(catalog.families))
    }

    /// The four O*NET files the loader uses.
    static let onetFiles = [
        "onet_occupations.tsv.gz", "onet_alternate_titles.tsv.gz", "onet_technology_skills.tsv.gz",
        "onet_related_occupations.tsv.gz",
    ]

    static func checkONet(_ catalog: OccupationCatalog) throws {
        #expect(catalog.occupations.count == 1016)
        let index = try #require(catalog.indexByID["11-1011.00"])
        let chief = catalog.occupations[index]
        #expect(chief.title == "Chief Executives")
        #expect(chief.family == "management")
        #expect(chief.variants.count > 10)
        #expect(chief.variants.contains("Bank President"))
        #expect(chief.skills.contains("Adobe Acrobat"))
        #expect(!chief.related.isEmpty)
        let familyOf = Dictionary(uniqueKeysWithValues: catalog.occupations.map { ($0.id, $0.family) })
        for occupation in catalog.occupations {
            for related in occupation.related {
                #expect(familyOf[related] == occupation.family)
            }
        }
        #expect(catalog.families.contains("computer and mathematical"))
    }

    @Test("O*NET tables (decompressed) load: 1016 occupations, Chief Executives with titles and skills", Paths.sharedDataNeeded)
    func onetPlainFiles() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        for name in OccupationCatalogTests.onetFiles {
            let source = Paths.sharedData.appendingPathComponent(name).path
            #expect(FileManager.default.fileExists(atPath: source), "missing \(source)")
            try gunzip(source, to: folder.file(String(name.dropLast(3))))
        }
        try OccupationCatalogTests.checkONet(try OccupationCatalog.load(path: folder.path))
    }

    @Test("O*NET files load straight from the shared data folder (gzipped, with unrelated files beside them)", Paths.sharedDataNeeded)
    func onetSharedFolder() throws {
        let folder = Paths.sharedData.path
        for name in OccupationCatalogTests.onetFiles {
            let path = folder + "/" + name
            #expect(FileManager.default.fileExists(atPath: path), "missing \(path)")
        }
        // Opening each .gz file only to read its header must not hang (see LineReaderTests).
        let catalog = try runWithDeadline(seconds: 6) { try OccupationCatalog.load(path: folder) }
        guard let catalog else {
            Issue.record("OccupationCatalog.load(\(folder)) did not finish within 6 s (LineReader.close() hangs on gzip input)")
            return
        }
        try OccupationCatalogTests.checkONet(catalog)
    }

    @Test("a catalogue path that does not exist is bad input naming it (exit 65: retrying will not help)")
    func missingCatalogue() {
        let path = "/nonexistent-\(UUID().uuidString)/occupations.json"
        let error = #expect(throws: KindredError.self) { _ = try OccupationCatalog.load(path: path) }
        #expect(error?.code == .badInput)
        #expect(error?.file == path)
    }

    @Test(
        "a broken JSON catalogue names the field at fault",
        arguments: [
            (#"{"families":["a"],"occupations":[{"id":"x","title":"X","family":"b","variants":[],"skills":[]}]}"#, "occupations[0].family"),
            (#"{"families":["a"],"occupations":[{"id":"x","title":"X","family":"a","variants":[],"skills":[],"related":["y"]}]}"#, "occupations[0].related"),
            (#"{"families":["a"],"occupations":[{"id":"x","family":"a","variants":[],"skills":[]}]}"#, "occupations[0].title"),
            (#"{"families":"a","occupations":[]}"#, "families"),
        ])
    func brokenCatalogue(json: String, field: String) throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let path = try folder.write(json, to: "catalog.json")
        let error = #expect(throws: KindredError.self) { _ = try OccupationCatalog.load(path: path) }
        #expect(error?.file == path)
        #expect(error?.field == field)
    }
}
