import Foundation
import KindredCore
import KindredTestSupport
import Testing
@testable import KindredPeople

@Suite("SyntheticPeople")
struct SyntheticPeopleTests {
    static func generator(_ configure: (inout SynthOptions) -> Void = { _ in }) throws -> SyntheticPeople {
        var options = SynthOptions()
        configure(&options)
        return try SyntheticPeople(catalog: try Fixtures.catalog(), options: options)
    }

    @Test("the same seed gives identical lines; another seed gives different ones")
    func determinism() throws {
        let a = try SyntheticPeopleTests.generator { $0.seed = 42 }
        let b = try SyntheticPeopleTests.generator { $0.seed = 42 }
        let c = try SyntheticPeopleTests.generator { $0.seed = 43 }
        let linesA = (0..<200).map { a.record(at: $0).line }
        let linesB = (0..<200).map { b.record(at: $0).line }
        let linesC = (0..<200).map { c.record(at: $0).line }
        #expect(linesA == linesB)
        #expect(linesA != linesC)
        let differing = zip(linesA, linesC).filter { $0 != $1 }.count
        #expect(differing > 190, "only \(differing) of 200 people changed with the seed")
        // Person i does not depend on which people were generated before it.
        #expect(a.record(at: 123).line == linesA[123])
    }

    @Test("every person has 1-6 positions in chronological order, non-overlapping, valid JSON")
    func careerShape() throws {
        let synth = try SyntheticPeopleTests.generator { $0.seed = 5 }
        var sizes = Set<Int>()
        for i in 0..<500 {
            let record = synth.record(at: i)
            let person = record.person
            #expect((1...6).contains(person.positions.count))
            sizes.insert(person.positions.count)
            for (earlier, later) in zip(person.positions, person.positions.dropFirst()) {
                let s0 = try #require(earlier.start)
                let s1 = try #require(later.start)
                #expect(s0 < s1)
                if let end = earlier.end { #expect(end <= s1) }
            }
            for position in person.positions {
                if let start = position.start, let end = position.end { #expect(start < end) }
                #expect(position.end.map { $0 <= SyntheticPeople.referenceMonth } ?? true)
            }
            #expect(try PeopleJSON.parse(record.line) == person)
            #expect(person.id == "p" + String(repeating: "0", count: 7 - String(i + 1).count) + String(i + 1))
        }
        #expect(sizes == Set(1...6))
    }

    @Test("without missing end dates, at most one position is open, and it is the last")
    func openPositions() throws {
        let synth = try SyntheticPeopleTests.generator {
            $0.seed = 9
            $0.missingEndRate = 0
        }
        var open = 0
        for i in 0..<500 {
            let positions = synth.record(at: i).person.positions
            let openIndices = positions.indices.filter { positions[$0].end == nil }
            #expect(openIndices.count <= 1)
            if let only = openIndices.first {
                #expect(only == positions.count - 1)
                open += 1
            }
        }
        #expect(open > 300 && open < 500, "about 85% of people hold a current job; got \(open)/500")
    }

    @Test("the truth is the occupation of the latest position")
    func truthIsCurrentOccupation() throws {
        // Without dirt, titles are exactly a canonical title or variant.
        let synth = try SyntheticPeopleTests.generator {
            $0.seed = 3
            $0.typoRate = 0
            $0.caseNoiseRate = 0
            $0.punctuationRate = 0
            $0.seniorityRate = 0
            $0.careerMoveRate = 1
        }
        let catalog = try Fixtures.catalog()
        var earlierMoves = 0
        for i in 0..<300 {
            let record = synth.record(at: i)
            let truth = record.occupation
            let latest = try #require(record.person.positions.last)
            #expect(([truth.title] + truth.variants).contains(latest.title), "\(latest.title) is not a name of \(truth.id)")
            // Earlier positions are the same occupation or a related one in the same family.
            let allowed = [truth.id] + truth.related
            for position in record.person.positions.dropLast() {
                let holders = allowed.compactMap { catalog.indexByID[$0] }.map { catalog.occupations[$0] }
                    .filter { ([$0.title] + $0.variants).contains(position.title) }
                #expect(!holders.isEmpty, "\(position.title) is not a name of \(truth.id) or its related occupations")
                #expect(holders.allSatisfy { $0.family == truth.family })
                if !holders.contains(where: { $0.id == truth.id }) { earlierMoves += 1 }
            }
            // Most skills come from the true occupation.
            let own = record.person.skills.filter { truth.skills.contains($0) }.count
            #expect(own >= min(5, truth.skills.count) || record.person.skills.isEmpty)
        }
        #expect(earlierMoves > 0)
    }

    @Test("with malformedRate 1 every line is rejected by the parser and quarantined by the reader")
    func malformedLines() throws {
        let synth = try SyntheticPeopleTests.generator {
            $0.seed = 11
            $0.malformedRate = 1
        }
        let lines = (0..<200).map { synth.record(at: $0).line }
        for line in lines {
            #expect(throws: KindredError.self, "accepted: \(line.prefix(80))") { _ = try PeopleJSON.parse(line) }
        }
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let path = try folder.write(lines.joined(separator: "\n") + "\n", to: "bad.jsonl")
        let result = try readAll(path)
        #expect(result.people.isEmpty)
        #expect(result.quarantined.count == 200)
        #expect(result.recordsRead == 200)
    }

    @Test("an empty catalogue is a usage error")
    func emptyCatalogue() {
        let error = #expect(throws: KindredError.self) {
            _ = try SyntheticPeople(catalog: OccupationCatalog(families: [], occupations: []), options: SynthOptions())
        }
        #expect(error?.code == .usage)
    }
}
