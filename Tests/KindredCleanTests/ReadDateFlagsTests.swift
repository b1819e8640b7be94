import KindredClean
import KindredCore
import KindredTestSupport
import Testing
@testable import KindredPeople

/// Flags set while reading dates survive cleaning and are counted; an end written `present` stays open.
@Suite("Date flags from reading")
struct ReadDateFlagsTests {
    static func ym(_ y: Int, _ m: Int) -> YearMonth { YearMonth(year: y, month: m) }

    @Test("unreadable, year-only and ambiguous dates are kept on the positions and counted by the cleaner")
    func flagsCounted() throws {
        let person = try PeopleJSON.parse(
            #"{"id":"x","positions":[{"title":"Nurse","start":"soon","end":"2015"},{"title":"Chef","start":"03/04/2016","end":"present"}]}"#)
        let cleaner = PersonCleaner(catalog: try Fixtures.catalog(), pseudonymizer: Pseudonymizer.demo(), dates: DateAudit(asOf: Self.ym(2026, 1)))
        var statistics = CleanStatistics()
        let out = PersonCleaner.clean(
            person, pseudonymizer: Pseudonymizer.demo(), dates: cleaner.dates,
            title: { CanonicalMatch(canonical: $0, occupation: nil, seniority: nil, confidence: 0, method: .none) },
            skill: { CanonicalMatch(canonical: $0, occupation: nil, seniority: nil, confidence: 0, method: .none) },
            statistics: &statistics)
        // Chronological: Chef (2016-03) first, Nurse (no start) last.
        #expect(out.positions.map(\.title) == ["Chef", "Nurse"])
        #expect(out.positions[0].dateIssues == ["ambiguous_start"])
        #expect(out.positions[0].end == nil && out.positions[0].endIsPresent)
        #expect(out.positions[1].dateIssues == ["unreadable_start", "year_only_end"])
        #expect(statistics.dateIssues == ["ambiguous_start": 1, "unreadable_start": 1, "year_only_end": 1])
        // The flags and the open end survive the clean JSON line.
        let line = PeopleJSON.line(for: out)
        #expect(try PeopleJSON.parse(line) == out)
    }

    @Test("an end written present is not inferred from a later start (two jobs at once)")
    func presentStaysOpen() {
        var first = Position(title: "a", start: Self.ym(2010, 1))
        first.endIsPresent = true
        var positions = [first, Position(title: "b", start: Self.ym(2012, 6))]
        var issues: [String] = []
        let outcome = DateAudit(asOf: Self.ym(2026, 1), typicalTenureMonths: 24).audit(&positions, birthYear: nil, personIssues: &issues)
        #expect(positions[0].end == nil)
        #expect(!positions[0].endInferred && !positions[0].endImputed)
        #expect(outcome.endsInferred == 0 && outcome.datesImputed == 0)
        // Without the mark the same history gets the inferred end.
        var unmarked = [Position(title: "a", start: Self.ym(2010, 1)), Position(title: "b", start: Self.ym(2012, 6))]
        _ = DateAudit(asOf: Self.ym(2026, 1)).audit(&unmarked, birthYear: nil, personIssues: &issues)
        #expect(unmarked[0].end == Self.ym(2012, 6))
    }
}
