import Foundation
import KindredPeople
import Testing
@testable import KindredClean

@Suite("whole-person evidence and confidence bands")
struct OccupationEvidenceTests {
    /// Three occupations: nurses and paramedics share one skill; everyone lists Excel.
    static let catalog = OccupationCatalog(
        families: ["health"],
        occupations: [
            Occupation(id: "nurse", title: "Registered Nurse", family: "health", variants: ["Staff Nurse"], skills: ["IV Therapy", "Charting", "Triage", "Excel"], related: []),
            Occupation(id: "medic", title: "Paramedic", family: "health", variants: ["EMT Paramedic"], skills: ["Intubation", "Ambulance Driving", "Triage", "Excel"], related: []),
            Occupation(id: "clerk", title: "Medical Records Clerk", family: "health", variants: [], skills: ["Coding", "Filing", "Excel"], related: []),
        ])

    @Test("rare skills weigh more than common ones; fewer than three known skills give no vote")
    func support() throws {
        let evidence = OccupationEvidence(catalog: Self.catalog)
        let vote = try #require(evidence.support(skills: ["Intubation", "Ambulance Driving", "Triage", "Excel", "Unknown Skill"]))
        #expect(vote.best.occupation == "medic" && abs(vote.best.share - 1) < 1e-12)
        // Triage (two of three occupations list it) weighs log(3/2); Excel (all three) nothing.
        let expectedNurse = log(1.5) / (2 * log(3.0) + log(1.5))
        #expect(abs(vote.shares["nurse"]! - expectedNurse) < 1e-12)
        #expect(vote.shares["clerk"] == nil)
        // Excel carries no evidence: two informative skills are too few to vote.
        #expect(evidence.support(skills: ["Intubation", "Ambulance Driving", "Excel"]) == nil)
        #expect(OccupationEvidence.contradicts(vote, occupation: "clerk"))
        #expect(!OccupationEvidence.contradicts(vote, occupation: "nurse"))  // some support: not contradicted
        #expect(!OccupationEvidence.contradicts(vote, occupation: "medic"))
    }

    @Test("a nearest-match current title that the skills contradict is demoted; exact titles and earlier jobs are not")
    func demotion() throws {
        let evidence = OccupationEvidence(catalog: Self.catalog)
        let pseudonymizer = try Pseudonymizer(keyText: "a test key of 16+ bytes")
        var statistics = CleanStatistics()
        /// Titles map as given in `mapping` (raw → match); skills as typed.
        func clean(_ titles: [String], _ mapping: [String: CanonicalMatch]) -> Person {
            var person = Person(id: "p", skills: ["Intubation", "Ambulance Driving", "Triage", "Excel"])
            person.positions = titles.enumerated().map { Position(title: $1, start: YearMonth(year: 2010 + $0, month: 1)) }
            return PersonCleaner.clean(
                person, pseudonymizer: pseudonymizer, dates: DateAudit(asOf: YearMonth(year: 2026, month: 1)),
                title: { mapping[$0]! }, skill: { CanonicalMatch(canonical: $0, occupation: nil, seniority: nil, confidence: 0, method: .none) },
                evidence: evidence, statistics: &statistics)
        }
        let clerk = CanonicalMatch(canonical: "Medical Records Clerk", occupation: "clerk", seniority: nil, confidence: 0.86, method: .nearest)
        let medic = CanonicalMatch(canonical: "Paramedic", occupation: "medic", seniority: nil, confidence: 1, method: .exact)
        let exactClerk = CanonicalMatch(canonical: "Medical Records Clerk", occupation: "clerk", seniority: nil, confidence: 1, method: .exact)
        // The current title mapped by nearest match to clerk, while the skills say paramedic: demoted.
        let demoted = clean(["Recrds Clrk"], ["Recrds Clrk": clerk]).positions[0]
        #expect(demoted.titleMatch == PersonCleaner.contradicted && demoted.confidence == 0.43 && demoted.occupation == "clerk")
        #expect(statistics.titlesContradicted == 1)
        // An exact title is what the person wrote: kept.
        #expect(clean(["Medical Records Clerk"], ["Medical Records Clerk": exactClerk]).positions[0].titleMatch == "exact")
        // An earlier job in another occupation is a career, not a contradiction.
        let career = clean(["Recrds Clrk", "Paramedic"], ["Recrds Clrk": clerk, "Paramedic": medic]).positions
        #expect(career[0].titleMatch == "nearest" && career[0].confidence == 0.86)
        // Skills that support the mapped occupation leave it alone.
        let supported = clean(["Paramedc"], ["Paramedc": CanonicalMatch(canonical: "Paramedic", occupation: "medic", seniority: nil, confidence: 0.9, method: .nearest)])
        #expect(supported.positions[0].titleMatch == "nearest")
        #expect(statistics.titlesContradicted == 1)
    }

    @Test("confidence bands: 0 is kept as typed; every accepted confidence has a band; precision grows with confidence")
    func bands() {
        let calibration = MappingCalibration.onet
        #expect(calibration.band(of: 0) == nil)
        #expect(calibration.band(of: 0.85) == 0 && calibration.band(of: 0.95) == 1 && calibration.band(of: 1) == 2)
        #expect(calibration.bands.first?.from == CanonicalDictionary(splitsSeniority: true).minimumScore)
        #expect(zip(calibration.bands, calibration.bands.dropFirst()).allSatisfy { $0.precision <= $1.precision && $0.to == $1.from })
    }
}
