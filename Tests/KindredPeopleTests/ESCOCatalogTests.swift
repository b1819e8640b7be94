import Foundation
import KindredCore
import KindredTestSupport
import Testing
@testable import KindredPeople

/// ESCO's CSV export, in its own layout (a few rows written here, in the columns ESCO v1.2 publishes).
@Suite("ESCOCatalog")
struct ESCOCatalogTests {
    static let occupations = """
        conceptType,conceptUri,iscoGroup,preferredLabel,altLabels,hiddenLabels,status,modifiedDate,regulatedProfessionNote,scopeNote,definition,inScheme,description,code
        Occupation,http://data.europa.eu/esco/occupation/a1,2512,software developer,"software engineer
        application developer
        programmer, applications",,released,2024-01-01,,,,,"Develops ""software"" systems.",2512.4
        Occupation,http://data.europa.eu/esco/occupation/a2,2512,software architect,"systems architect",sw architect,released,2024-01-01,,,,,Designs software.,2512.2
        Occupation,http://data.europa.eu/esco/occupation/b1,5411,firefighter,"fire fighter
        fireman",,released,2024-01-01,,,,,Fights fires.,5411.1

        """
    static let skills = """
        conceptType,conceptUri,skillType,reuseLevel,preferredLabel,altLabels,hiddenLabels,status,modifiedDate,scopeNote,definition,inScheme,description
        KnowledgeSkillCompetence,http://data.europa.eu/esco/skill/s1,skill/competence,sector-specific,use Java,,,released,,,,,Java.
        KnowledgeSkillCompetence,http://data.europa.eu/esco/skill/s2,knowledge,cross-sector,software design patterns,,,released,,,,,Patterns.
        KnowledgeSkillCompetence,http://data.europa.eu/esco/skill/s3,skill/competence,sector-specific,"operate fire hoses, ladders",,,released,,,,,Hoses.
        """
    static let relations = """
        occupationUri,relationType,skillType,skillUri
        http://data.europa.eu/esco/occupation/a1,optional,knowledge,http://data.europa.eu/esco/skill/s2
        http://data.europa.eu/esco/occupation/a1,essential,skill/competence,http://data.europa.eu/esco/skill/s1
        http://data.europa.eu/esco/occupation/b1,essential,skill/competence,http://data.europa.eu/esco/skill/s3
        http://data.europa.eu/esco/occupation/b1,essential,skill/competence,http://data.europa.eu/esco/skill/unknown
        """

    static func writeExport(_ folder: TemporaryFolder) throws {
        _ = try folder.write(occupations, to: "occupations_en.csv")
        _ = try folder.write(skills, to: "skills_en.csv")
        _ = try folder.write(relations, to: "occupationSkillRelations_en.csv")
        _ = try folder.write("conceptType,conceptUri,code,preferredLabel\nISCOGroup,http://x/isco/C2512,2512,Software developers\n", to: "ISCOGroups_en.csv")
    }

    @Test("an ESCO export loads from its folder or any of its files: labels, skills, ISCO families and unit-group relations")
    func export() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        try Self.writeExport(folder)
        for path in [folder.path, folder.path + "/occupations_en.csv", folder.path + "/skills_en.csv"] {
            let catalog = try OccupationCatalog.load(path: path)
            try #require(catalog.occupations.count == 3)
            let developer = catalog.occupations[0]
            #expect(developer.id == "http://data.europa.eu/esco/occupation/a1")
            #expect(developer.title == "software developer")
            #expect(developer.variants == ["software engineer", "application developer", "programmer, applications"])
            #expect(developer.skills == ["use Java", "software design patterns"])  // essential first
            #expect(developer.family == "professionals")
            #expect(developer.related == ["http://data.europa.eu/esco/occupation/a2"])
            #expect(catalog.occupations[1].variants == ["systems architect", "sw architect"])  // hidden labels too
            let firefighter = catalog.occupations[2]
            #expect(firefighter.family == "service and sales workers")
            #expect(firefighter.skills == ["operate fire hoses, ladders"])  // an unknown skill URI is left out
            #expect(firefighter.related.isEmpty)
            #expect(catalog.families == ["professionals", "service and sales workers"])
        }
    }

    @Test("CSV records: quotes, doubled quotes, commas and line breaks inside fields, CRLF, BOM, blank lines")
    func csvRecords() throws {
        let text = "\u{FEFF}a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"one\ntwo\"\r\n\n1,,\n"
        let rows = try CSVTable.parse(Array(text.utf8), path: "t.csv")
        #expect(rows.map(\.fields) == [["a", "b", "c"], ["x, y", "say \"hi\"", "one\ntwo"], ["1", "", ""]])
        #expect(rows.map(\.line) == [1, 2, 5])
    }

    @Test("a malformed ESCO file is an error naming the file, the line and the field")
    func malformed() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let header = "conceptUri,iscoGroup,preferredLabel,altLabels\n"
        let cases: [(String, Int, String?, String)] = [
            (header + "u1,2512,developer,\"dev\nprogrammer\"\nu2,2512,\"unclosed,x\n", 4, "column 3", "not closed"),
            (header + "u1,2512,developer,dev\nu2,2512\n", 3, nil, "expected 4"),
            (header + "u1,2512,developer,dev\nu1,2512,architect,\n", 3, "conceptUri", "duplicate"),
            (header + "u1,2512,,dev\n", 2, "preferredLabel", "empty"),
            (header + "u1,25\"12,x,dev\n", 2, "column 2", "quote"),
        ]
        for (i, (text, line, field, reason)) in cases.enumerated() {
            try FileManager.default.createDirectory(atPath: folder.file("case\(i)"), withIntermediateDirectories: true)
            let path = try folder.write(text, to: "case\(i)/occupations.csv")
            let error = #expect(throws: KindredError.self) { _ = try OccupationCatalog.load(path: path) }
            #expect(error?.file == path)
            #expect(error?.line == line, "case \(i): \(String(describing: error))")
            #expect(error?.field == field, "case \(i): \(String(describing: error))")
            #expect(error?.message.contains(reason) == true, "case \(i): \(String(describing: error))")
        }
    }
}
