import Foundation
import KindredCore
import KindredTestSupport
import Testing
@testable import KindredPeople

@Suite("People CSV")
struct PeopleCSVTests {
    static let header = "id,name,titles,companies,starts,ends,skills"

    @Test("rows with ';' lists, quoted commas and doubled quotes become people")
    func readsRows() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let text = """
            \(PeopleCSVTests.header)
            p1,"Smith, Ann",Nurse;Charge Nurse,"Acme, Inc.;Beta Health",2015-01;2019-06,2019-05;,CPR; Triage
            p2,Bob,Welder,,2020-03,,
            "p4","Quote ""Q"" Person",Cook,Diner,2018/02,2019-01-15,
            """
        let path = try folder.write(text, to: "people.csv")
        let result = try readAll(path)
        #expect(result.quarantined.isEmpty)
        try #require(result.people.count == 3)
        #expect(result.people.map(\.line) == [2, 3, 4])

        let ann = result.people[0].person
        #expect(ann.id == "p1")
        #expect(ann.name == "Smith, Ann")
        #expect(ann.skills == ["CPR", "Triage"])
        #expect(
            ann.positions == [
                Position(title: "Nurse", company: "Acme, Inc.", start: YearMonth(year: 2015, month: 1), end: YearMonth(year: 2019, month: 5)),
                Position(title: "Charge Nurse", company: "Beta Health", start: YearMonth(year: 2019, month: 6), end: nil),
            ])

        let bob = result.people[1].person
        #expect(bob.positions == [Position(title: "Welder", start: YearMonth(year: 2020, month: 3))])
        #expect(bob.skills.isEmpty)

        let quoted = result.people[2].person
        #expect(quoted.id == "p4")
        #expect(quoted.name == "Quote \"Q\" Person")
        #expect(quoted.positions.first?.start == YearMonth(year: 2018, month: 2))
        #expect(quoted.positions.first?.end == YearMonth(year: 2019, month: 1))
    }

    @Test(
        "bad rows are quarantined with line and field",
        arguments: [
            ("p3,Too,Few", nil as String?, "expected 7 columns, found 3"),
            ("p3,A,B,C,2020-01,,x,extra", nil, "expected 7 columns, found 8"),
            (",No Id,Cook,Diner,2018-02,,", "id", "missing id"),
            ("p7,Empty Title,Cook;;Chef,,,,", "titles[1]", "empty title"),
            ("p8,\"unterminated,Cook,Diner,2018-01,,", "column 2", "unterminated"),
        ])
    func quarantinesBadRow(row: String, field: String?, reason: String) throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let path = try folder.write("\(PeopleCSVTests.header)\np0,Good,Cook,Diner,2018-01,,\n\(row)\np9,Good,Cook,,,,\n", to: "people.csv")
        let result = try readAll(path)
        #expect(result.people.map(\.person.id) == ["p0", "p9"])
        try #require(result.quarantined.count == 1)
        let record = result.quarantined[0]
        #expect(record.file == path)
        #expect(record.line == 3)
        #expect(record.field == field)
        #expect(record.reason.contains(reason), "reason was '\(record.reason)'")
        #expect(result.people.count + result.quarantined.count == result.recordsRead)
    }

    @Test("a header without an id column is an error naming the file and line 1")
    func missingIDColumn() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let path = try folder.write("name,titles\nAnn,Nurse\n", to: "people.csv")
        let error = #expect(throws: KindredError.self) { _ = try PeopleReader(path: path) }
        #expect(error?.code == .badInput)
        #expect(error?.file == path)
        #expect(error?.line == 1)
        #expect(error?.description.hasPrefix("\(path):1") == true)

        let schemaError = #expect(throws: KindredError.self) { _ = try PeopleCSVSchema(header: "name,titles") }
        #expect(schemaError?.line == 1)
        #expect(schemaError?.field == "header")
    }

    @Test("an empty CSV file is an error naming the file")
    func emptyFile() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let path = try folder.write("", to: "people.csv")
        let error = #expect(throws: KindredError.self) { _ = try PeopleReader(path: path) }
        #expect(error?.file == path)
    }

    @Test("header names are case-insensitive and in any order; a single 'title' column is one position")
    func flexibleHeader() throws {
        let schema = try PeopleCSVSchema(header: " Title ,Skills,ID")
        let person = try schema.parse("Plumber,Pipe Fitting;;Soldering,x1")
        #expect(person.id == "x1")
        #expect(person.skills == ["Pipe Fitting", "Soldering"])
        #expect(person.positions == [Position(title: "Plumber")])
    }

    @Test("format detection by file name")
    func formatDetection() {
        #expect(PeopleFormat.detect(path: "a/people.csv") == .csv)
        #expect(PeopleFormat.detect(path: "people.CSV.gz") == .csv)
        #expect(PeopleFormat.detect(path: "people.jsonl") == .jsonl)
        #expect(PeopleFormat.detect(path: "people.csv.jsonl") == .jsonl)
        #expect(PeopleFormat.detect(path: "people.json") == .json)
        #expect(PeopleFormat.detect(path: "people.tsv.gz") == .csv)
    }
}
