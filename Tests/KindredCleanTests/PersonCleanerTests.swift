import KindredPeople
import KindredTestSupport
import Testing
@testable import KindredClean

@Suite("PersonCleaner")
struct PersonCleanerTests {
    static func ym(_ year: Int, _ month: Int) -> YearMonth { YearMonth(year: year, month: month) }

    static let raw = Person(
        id: "emp-001", name: "Ann Lee", email: "ann.lee@example.com", phone: "+1-555-0100", location: "  Austin, TX ",
        skills: ["CPR", "cpr", "Basic Life Support", "basic life support.", "Underwater Basket Weaving", "Kubernetse"],
        positions: [
            Position(title: "Sr. Paramedic", company: " Acme EMS ", start: ym(2019, 3)),  // latest, open
            Position(title: "EMT-B", company: "Beta", start: ym(2012, 1), end: ym(2015, 6)),
            Position(title: "Fire Fighter", company: "City", start: ym(2015, 9)),  // end to be inferred: 2019-03
        ])

    static func cleaner() throws -> PersonCleaner {
        PersonCleaner(catalog: try Fixtures.catalog(), pseudonymizer: Pseudonymizer.demo())
    }

    @Test("drops direct identifiers and replaces the id with its pseudonym")
    func identifiers() throws {
        var cleaner = try PersonCleanerTests.cleaner()
        let out = cleaner.clean(PersonCleanerTests.raw)
        #expect(out.name == nil)
        #expect(out.email == nil)
        #expect(out.phone == nil)
        #expect(out.id == Pseudonymizer.demo().pseudonym(for: "emp-001"))
        #expect(out.id != "emp-001")
        #expect(out.location == "Austin, TX")
        let line = PeopleJSON.line(for: out)
        for secret in ["emp-001", "Ann Lee", "ann.lee@example.com", "555-0100"] {
            #expect(!line.contains(secret), "the cleaned record still contains \(secret)")
        }
    }

    @Test("orders positions chronologically, maps titles, keeps raw titles, infers missing end dates")
    func positions() throws {
        var cleaner = try PersonCleanerTests.cleaner()
        let out = cleaner.clean(PersonCleanerTests.raw)
        try #require(out.positions.count == 3)
        #expect(out.positions.map(\.start) == [PersonCleanerTests.ym(2012, 1), PersonCleanerTests.ym(2015, 9), PersonCleanerTests.ym(2019, 3)])
        #expect(out.positions.map(\.title) == ["Emergency Medical Technician", "Firefighter", "Paramedic"])
        #expect(out.positions.map(\.rawTitle) == ["EMT-B", "Fire Fighter", "Sr. Paramedic"])
        #expect(out.positions.map(\.occupation) == ["emergency_medical_technician", "firefighter", "paramedic"])
        #expect(out.positions.map(\.seniority) == [nil, nil, "senior"])
        #expect(out.positions.map(\.confidence) == [1, 1, 1])
        #expect(out.positions.map(\.company) == ["Beta", "City", "Acme EMS"])
        // Given end kept, not inferred.
        #expect(out.positions[0].end == PersonCleanerTests.ym(2015, 6))
        #expect(out.positions[0].endInferred == false)
        // Missing end inferred from the next start.
        #expect(out.positions[1].end == PersonCleanerTests.ym(2019, 3))
        #expect(out.positions[1].endInferred == true)
        // The latest position stays open.
        #expect(out.positions[2].end == nil)
        #expect(out.positions[2].endInferred == false)
        #expect(out.currentPosition?.occupation == "paramedic")
    }

    @Test("canonical skills are de-duplicated in first-seen order; raw skills are kept as given")
    func skills() throws {
        var cleaner = try PersonCleanerTests.cleaner()
        let out = cleaner.clean(PersonCleanerTests.raw)
        #expect(out.skills == ["CPR", "Basic Life Support", "underwater basket weaving", "Kubernetes"])
        #expect(out.rawSkills == PersonCleanerTests.raw.skills)
    }

    @Test("statistics count exact, fuzzy and unmatched values and inferred dates")
    func statistics() throws {
        var cleaner = try PersonCleanerTests.cleaner()
        _ = cleaner.clean(PersonCleanerTests.raw)
        _ = cleaner.clean(Person(id: "emp-002", positions: [Position(title: "Qwxz Plorbt")]))
        var expected = CleanStatistics()
        expected.people = 2
        expected.titles = 4
        expected.titlesExact = 3
        expected.titlesUnmatched = 1
        expected.skills = 6
        expected.skillsExact = 4
        expected.skillsFuzzy = 1
        expected.skillsUnmatched = 1
        expected.endDatesInferred = 1
        #expect(cleaner.statistics == expected)
    }

    @Test("positions without a start go last in their given order and get no inferred end")
    func undatedPositions() throws {
        var cleaner = try PersonCleanerTests.cleaner()
        let person = Person(
            id: "x",
            positions: [
                Position(title: "Welder"), Position(title: "Plumber", start: PersonCleanerTests.ym(2020, 1)),
                Position(title: "Electrician"), Position(title: "Carpenter", start: PersonCleanerTests.ym(2010, 1)),
            ])
        let out = cleaner.clean(person)
        #expect(out.positions.map(\.title) == ["Carpenter", "Plumber", "Welder", "Electrician"])
        #expect(out.positions[0].end == PersonCleanerTests.ym(2020, 1))
        #expect(out.positions[0].endInferred)
        #expect(out.positions[1].end == nil)  // next position has no start
        #expect(out.positions[2].end == nil && out.positions[3].end == nil)
    }

    @Test("equal starts keep their given order; cleaning is deterministic")
    func stableOrder() throws {
        var cleaner = try PersonCleanerTests.cleaner()
        let start = PersonCleanerTests.ym(2018, 5)
        let person = Person(id: "y", positions: [Position(title: "Chef", start: start), Position(title: "Waiter", start: start)])
        let out = cleaner.clean(person)
        #expect(out.positions.map(\.title) == ["Chef", "Waiter"])
        // An equal next start still counts as "the next start" (zero-length tenure).
        #expect(out.positions[0].end == start)
        var another = try PersonCleanerTests.cleaner()
        #expect(another.clean(person) == out)
    }

    @Test("values masked once beforehand clean to the same person and the same counts as masking inside clean")
    func premaskedValues() throws {
        let catalog = try Fixtures.catalog()
        let titles = CanonicalDictionary.titles(from: catalog)
        let skills = CanonicalDictionary.skills(from: catalog)
        let dates = DateAudit(asOf: YearMonth(year: 2030, month: 1))
        var people = [PersonCleanerTests.raw]
        // Personal data in titles and skills (own e-mail, a phone, an address), undated positions, reordering.
        var leaky = Person(id: "p-2", name: "Bo Ek", email: "bo@ek.se", phone: "070 123 45 67", location: "12 Main St")
        leaky.skills = ["CPR", "mail bo@ek.se", "call 070 123 45 67", "Bo Ek's triage", "firefighting"]
        leaky.positions = [
            Position(title: "Paramedic (bo@ek.se)", start: PersonCleanerTests.ym(2020, 2)),
            Position(title: "Nurse www.ek.se", company: "Bo Ek AB"),
            Position(title: "EMT 555-010-2000", start: PersonCleanerTests.ym(2011, 5), end: PersonCleanerTests.ym(2019, 1)),
        ]
        people.append(leaky)
        for person in people {
            var inside = CleanStatistics()
            var before = CleanStatistics()
            let title = { (value: String) in titles.match(value) }
            let skill = { (value: String) in skills.match(value) }
            let expected = PersonCleaner.clean(
                person, pseudonymizer: .demo(), dates: dates, title: title, skill: skill, statistics: &inside)
            let masked = PersonCleaner.masked(person)
            let got = PersonCleaner.clean(
                person, masked: masked, pseudonymizer: .demo(), dates: dates, title: title, skill: skill, statistics: &before)
            #expect(got == expected)
            #expect(before == inside)
            #expect(PersonCleaner.maskedValues(of: person).titles == masked.titles.map(\.text))
        }
        #expect(PersonCleaner.masked(leaky).skills.filter(\.masked).count == 3)
    }
}
