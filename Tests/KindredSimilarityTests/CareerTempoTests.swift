import KindredCore
import KindredPeople
import Testing

@testable import KindredSimilarity

private func job(_ title: String, _ start: String?, _ end: String?, seniority: String? = nil) -> Position {
    Position(title: title, seniority: seniority, start: start.flatMap(YearMonth.init(parsing:)), end: end.flatMap(YearMonth.init(parsing:)))
}

@Suite struct CareerTempoTests {
    @Test("raw tempo: mean tenure, changes per year, years, and levels climbed per year")
    func rawTempo() throws {
        let reference = YearMonth(year: 2024, month: 1).ordinal
        let person = Person(id: "a", positions: [
            job("nurse", "2014-01", "2018-01", seniority: "junior"),  // 48 months, level 1
            job("nurse manager", "2018-01", nil),  // open: 72 months to the reference, level 4
        ])
        let t = try #require(CareerTempo.raw(person, reference: reference))
        #expect(t.x == 60)  // (48 + 72) / 2
        #expect(abs(t.y - 0.1) < 1e-6)  // 1 change over 10 years
        #expect(t.z == 10)
        #expect(abs(t.w - 0.3) < 1e-6)  // (4 − 1) / 10
        #expect(CareerTempo.raw(Person(id: "b", positions: [job("nurse", nil, nil)]), reference: reference) == nil)
    }

    @Test("seniority levels: level words and the rank a title names, the higher of the two")
    func levels() {
        #expect(CareerTempo.seniorityLevel(job("software engineer", nil, nil, seniority: "intern")) == 0)
        #expect(CareerTempo.seniorityLevel(job("software engineer", nil, nil)) == 2)
        #expect(CareerTempo.seniorityLevel(job("software engineer", nil, nil, seniority: "senior")) == 3)
        #expect(CareerTempo.seniorityLevel(job("engineering manager", nil, nil, seniority: "junior")) == 4)
        #expect(CareerTempo.seniorityLevel(job("director of nursing", nil, nil)) == 4.5)
        #expect(CareerTempo.seniorityLevel(job("chief executive", nil, nil)) == 5)
    }

    @Test("the similarity is 1 for equal tempos and falls smoothly: no step of 0.1 in one component moves it by more than 0.05")
    func smoothKernel() {
        let a = SIMD4<Float>(0.2, -0.4, 1, 0)
        #expect(CareerTempo.similarity(a, a) == 1)
        var previous = 1.0
        for step in 1...40 {
            var b = a
            b.x += Float(step) * 0.1
            let s = CareerTempo.similarity(a, b)
            #expect(s < previous && previous - s <= 0.05)
            previous = s
        }
    }

    @Test("standardising with the fitted scale gives mean 0 and unit spread over the fitted people")
    func standardisation() throws {
        var people: [Person] = []
        for i in 0..<20 {
            let start = YearMonth(year: 2000 + i % 7, month: 1 + i % 12)
            people.append(Person(id: "p\(i)", positions: [Position(title: "clerk", start: start, end: YearMonth(year: 2015 + i % 5, month: 6)),
                                                            Position(title: "senior clerk", seniority: "senior", start: YearMonth(year: 2016 + i % 5, month: 1))]))
        }
        let scale = TempoScale.fit(people)
        let z = people.compactMap(scale.standardized)
        #expect(z.count == 20)
        for lane in 0..<4 {
            let mean = z.reduce(0.0) { $0 + Double($1[lane]) } / 20
            let variance = z.reduce(0.0) { $0 + Double($1[lane]) * Double($1[lane]) } / 20 - mean * mean
            #expect(abs(mean) < 1e-4)
            #expect(abs(variance - 1) < 1e-3 || variance < 1e-9)
        }
    }
}

@Suite("CareerTempo title ranks")
struct TitleRankTests {
    @Test("the byte scan finds the same rank as the Character path (random ASCII and non-ASCII titles)", arguments: [UInt64(1), 2, 3])
    func sameRank(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let words = ["Manager", "HEAD", "of", "Sales", "director", "Chief", "Executive", "supervisors", "Superintendent", "nurse", "Headhunter",
                     "Présidente", "Gérant", "president", "Vice-President", "exec", "MANAGER2", "co"]
        let separators = [" ", "-", "/", ",", "_", "2", " & ", "\t", "é"]
        for _ in 0..<2000 {
            var title = ""
            for i in 0..<Int.random(in: 0...5, using: &rng) {
                if i > 0 { title += separators.randomElement(using: &rng)! }
                title += words.randomElement(using: &rng)!
            }
            #expect(CareerTempo.titleRank(title) == CareerTempo.titleRankByCharacters(title), "\(title)")
        }
        let expected: [(String, Double?)] = [
            ("Head of Sales", 4.5), ("Store Manager", 4), ("CHIEF EXECUTIVE", 5), ("headmaster", nil), ("Directorate clerk", nil),
            ("Vice-President, Sales", 5), ("Director Général", 4.5), ("Nurse", nil), ("Shift supervisor/manager", 4),
        ]
        for (title, rank) in expected { #expect(CareerTempo.titleRank(title) == rank, "\(title)") }
    }
}
