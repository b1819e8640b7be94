import Testing

@testable import KindredPeople

private func ym(_ text: String) -> YearMonth { YearMonth(parsing: text)! }

@Suite struct CareerVariationTests {
    let person: Person = {
        var p = Person(id: "k1", skills: ["triage", "cpr", "driving"], rawSkills: ["Triage", "CPR", "Driving"], positions: [
            Position(title: "emt", start: ym("2010-01"), end: ym("2014-01")),
            Position(title: "paramedic", start: ym("2014-07"), end: nil),
        ])
        p.location = "Austin, TX"
        return p
    }()
    let reference = YearMonth(year: 2024, month: 1).ordinal

    @Test("tenure: every job lasts N months longer, gaps and the latest end kept, earlier jobs move back")
    func tenure() {
        let longer = CareerVariation.tenure(months: 6).apply(to: person, reference: reference)
        #expect(longer.positions[1].start == ym("2014-01") && longer.positions[1].end == nil)  // 114 + 6 months to the reference
        #expect(longer.positions[0].end == ym("2013-07") && longer.positions[0].start == ym("2009-01"))  // 6-month gap kept, 54 months
        let shorter = CareerVariation.tenure(months: -60).apply(to: person, reference: reference)
        #expect(shorter.positions[0].end! > shorter.positions[0].start!)  // at least a month
        #expect(CareerVariation.tenure(months: 0).apply(to: person, reference: reference) == person)
        #expect(longer.skills == person.skills && longer.id == person.id && longer.location == person.location)
    }

    @Test("switches: the longest job is split in two with the same title, once per switch")
    func switches() {
        let two = CareerVariation.switches(count: 2).apply(to: person, reference: reference)
        #expect(two.positions.count == 4)
        #expect(Set(two.positions.map(\.title)) == ["emt", "paramedic"])
        // The open paramedic job (114 months) was split, then its longer half again; no time is lost.
        #expect(two.positions.first?.start == ym("2010-01") && two.positions.last?.end == nil)
        for (a, b) in zip(two.positions, two.positions.dropFirst()) { #expect(a.start! < b.start!) }
    }

    @Test("skills: the last N skills are dropped, with the same skills as typed; title: the latest title replaced")
    func skillsAndTitle() {
        let dropped = CareerVariation.dropSkills(count: 2).apply(to: person, reference: reference)
        #expect(dropped.skills == ["triage"] && dropped.rawSkills == ["Triage"])
        #expect(CareerVariation.dropSkills(count: 9).apply(to: person, reference: reference).skills.isEmpty)
        var lawyer = Position(title: "lawyer", rawTitle: "Attorney", occupation: "23-1011.00")
        lawyer.titleMatch = "exact"
        let retitled = CareerVariation.title(lawyer).apply(to: person, reference: reference)
        #expect(retitled.positions[1].title == "lawyer" && retitled.positions[1].rawTitle == "Attorney")
        #expect(retitled.positions[1].start == person.positions[1].start && retitled.positions[0] == person.positions[0])
    }
}
