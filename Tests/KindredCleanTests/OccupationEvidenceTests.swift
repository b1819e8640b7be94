import Foundation
import KindredCore
import KindredPeople
import PropertyBased
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

    @Test("contradicts(skills:occupation:) and support(skills:) agree with the definition on random catalogues and people")
    func fastPathAgrees() async {
        let pool = (0..<12).map { "skill \($0)" }
        await propertyCheck(count: 200, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var rng = SeededGenerator(seed: seed)
            let occupations = (0..<Int.random(in: 2...8, using: &rng)).map { o in
                Occupation(id: "occ-\(o)", title: "Title \(o)", family: "f", variants: [],
                           skills: (0..<Int.random(in: 1...6, using: &rng)).map { _ in pool.randomElement(using: &rng)! }, related: [])
            }
            let catalog = OccupationCatalog(families: ["f"], occupations: occupations)
            let evidence = OccupationEvidence(catalog: catalog)
            // The definition, written out: idf over occupations, shares of the distinct known skills' weight.
            var lists: [String: Set<String>] = [:]
            for o in occupations { for skill in o.skills { lists[skill, default: []].insert(o.id) } }
            let n = Double(occupations.count)
            let skills = (0..<Int.random(in: 0...8, using: &rng)).map { _ in Bool.random(using: &rng) ? pool.randomElement(using: &rng)! : "unknown" }
            var total = 0.0
            var known = 0
            var sums: [String: Double] = [:]
            for skill in Set(skills) {
                guard let ids = lists[skill], ids.count < occupations.count else { continue }
                let weight = log(n / Double(ids.count))
                known += 1
                total += weight
                for id in ids { sums[id, default: 0] += weight }
            }
            let support = evidence.support(skills: skills)
            guard known >= OccupationEvidence.minimumSkills, total > 0 else {
                #expect(support == nil)
                for o in occupations { #expect(!evidence.contradicts(skills: skills, occupation: o.id)) }
                return
            }
            // Sums equal but for rounding (log 4 against log 2 + log 2) may come out either way: the best is
            // the smallest id among the tied, or another of them; shares within rounding of a threshold are not judged.
            let top = sums.values.max()!
            let tied = Set(sums.filter { abs($0.value - top) < 1e-9 }.keys)
            guard let bestID = support?.best.occupation else {
                Issue.record("no vote for \(skills)")
                return
            }
            #expect(tied.contains(bestID) && (tied.count > 1 || bestID == tied.min()!) && abs(support!.best.share - top / total) < 1e-9)
            func near(_ share: Double, _ threshold: Double) -> Bool { abs(share - threshold) < 1e-9 }
            for id in occupations.map(\.id) + ["not in the catalogue"] {
                let share = (sums[id] ?? 0) / total
                #expect(abs((support?.shares[id] ?? 0) - share) < 1e-9)
                if near(share, OccupationEvidence.unsupportedBelow) || near(top / total, OccupationEvidence.contradictsFrom) { continue }
                let expected = share < OccupationEvidence.unsupportedBelow && top / total >= OccupationEvidence.contradictsFrom && bestID != id
                #expect(evidence.contradicts(skills: skills, occupation: id) == expected, "\(skills) \(id)")
            }
        }
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
