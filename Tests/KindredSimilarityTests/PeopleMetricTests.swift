import Foundation
import KindredCore
import KindredPeople
import Testing
@testable import KindredSimilarity

@Suite("PeopleMetric")
struct PeopleMetricTests {
    static func dated(_ id: String, skills: [String], jobs: [(String, Int, Int?)], location: String? = nil) -> Person {
        var p = Person(id: id, location: location, skills: skills)
        for (title, startYear, endYear) in jobs {
            p.positions.append(
                Position(title: title, start: YearMonth(year: startYear, month: 1), end: endYear.map { YearMonth(year: $0, month: 1) }))
        }
        return p
    }

    static let people = [
        dated("a", skills: ["Java", "Go"], jobs: [("Software Engineer", 2015, 2019), ("Software Engineer", 2019, nil)], location: "Austin, TX"),
        dated("b", skills: ["Java", "Go"], jobs: [("Software Engineer", 2016, nil)], location: "Dallas, TX"),
        dated("c", skills: [], jobs: [("Software Engineer", 2010, nil)], location: "Austin, TX"),  // no skills
        dated("d", skills: ["CPR", "Triage"], jobs: [("Paramedic", 2018, 2020), ("Firefighter", 2020, nil)], location: "Boston, MA"),
        dated("e", skills: ["CPR"], jobs: [], location: nil),  // skills only
    ]

    @Test("profiles, vectors and re-ranked neighbours are the same at any thread count (many chunks)")
    func threads() {
        // Enough people for several 1,024-row and 2,048-person chunks.
        let many = (0..<5_000).map { i in
            Self.dated("p\(i)", skills: ["Skill \(i % 37)", "Skill \(i % 11)", "sklil \(i % 5)"], jobs: [("Title \(i % 23) Worker", 2010, 2015), ("Job \(i % 29)", 2015, nil)], location: nil)
        }
        let weights = MetricWeights(skills: 2, titles: 1, tempo: 0.5)
        let (one, p1) = PeopleMetric.fit(many, weights: weights, threads: 1)
        let (four, p4) = PeopleMetric.fit(many, weights: weights, threads: 4)
        #expect(p1 == p4)
        #expect(one.vectorizer.vocabulary == four.vectorizer.vocabulary && one.vectorizer.idf == four.vectorizer.idf)
        let vectors = one.vectors(p1)
        #expect(vectors.columns == one.vectorizer.transform(many).columns && vectors.values == one.vectorizer.transform(many).values)
        let candidates = SparseKNN.neighbors(of: vectors, k: 6, minimumSimilarity: 0, threads: 2)
        let r1 = MetricRerank.rerank(candidates, profiles: p1, metric: one, k: 3, minimumSimilarity: 0, denseText: false, threads: 1)
        let r3 = MetricRerank.rerank(candidates, profiles: p1, metric: one, k: 3, minimumSimilarity: 0, denseText: false, threads: 3)
        #expect(r1.neighbors == r3.neighbors && r1.similarities == r3.similarities)
    }

    @Test("the flat profile table reads every profile as it is: same similarities, both paths, every field")
    func profileTable() {
        let weights = MetricWeights(skills: 2, titles: 1, tempo: 0.5, location: 1)
        let (metric, profiles) = PeopleMetric.fit(Self.people, weights: weights)
        let table = ProfileTable(profiles)
        for i in profiles.indices {
            for j in profiles.indices {
                #expect(metric.similarity(table[i], table[j]) == metric.similarity(profiles[i], profiles[j]))
                #expect(metric.similarity(table[i], table[j], text: 0.3) == metric.similarity(profiles[i], profiles[j], text: 0.3))
                for field in MetricField.allCases {
                    #expect(table[i].has(field) == profiles[i].has(field))
                }
            }
        }
        // The people differ, so the table must not read them all alike.
        #expect(metric.similarity(table[0], table[1]) > metric.similarity(table[0], table[3]))
    }

    @Test("a missing field is left out and the other weights renormalised for that pair")
    func renormalisation() {
        let weights = MetricWeights(skills: 1, titles: 1, tempo: 0)
        let (metric, profiles) = PeopleMetric.fit(Self.people, weights: weights)
        // a and c share only titles (c has no skills): similarity = the titles cosine alone.
        let titles = metric.fieldSimilarity(.titles, profiles[0], profiles[2])
        #expect(abs(metric.similarity(profiles[0], profiles[2]) - titles) < 1e-12)
        // a and b have both fields: the weighted mean of the two cosines.
        let s = metric.fieldSimilarity(.skills, profiles[0], profiles[1])
        let t = metric.fieldSimilarity(.titles, profiles[0], profiles[1])
        #expect(abs(metric.similarity(profiles[0], profiles[1]) - (s + t) / 2) < 1e-12)
        // d and e share only skills; a and e nothing at all.
        #expect(abs(metric.similarity(profiles[3], profiles[4]) - metric.fieldSimilarity(.skills, profiles[3], profiles[4])) < 1e-12)
        #expect(metric.similarity(profiles[0], profiles[4]) == 0)
    }

    @Test("explanations add up: field contributions sum to the similarity, shares to 1 over the fields both have")
    func explanationsAddUp() {
        let weights = MetricWeights(skills: 2, titles: 1, tempo: 0.5, location: 0.5)
        let (metric, profiles) = PeopleMetric.fit(Self.people, weights: weights)
        for i in profiles.indices {
            for j in profiles.indices where i != j {
                let e = metric.explain(profiles[i], profiles[j])
                let total = e.fields.reduce(0) { $0 + $1.contribution }
                #expect(abs(total - metric.similarity(profiles[i], profiles[j])) < 1e-9)
                #expect(abs(e.similarity - total) < 1e-12)
                let shares = e.fields.reduce(0) { $0 + $1.share }
                #expect(shares == 0 || abs(shares - 1) < 1e-9)
                // Symmetric.
                #expect(abs(metric.similarity(profiles[i], profiles[j]) - metric.similarity(profiles[j], profiles[i])) < 1e-12)
            }
        }
        let ab = metric.explain(profiles[0], profiles[1])
        #expect(Set(ab.sharedSkills.map(\.feature)) == ["java", "go"])
        #expect(Set(ab.sharedTitles.map(\.feature)) == ["software engineer", "word: engineer", "word: softwar"])
        // Shared-skill contributions add up to the skills field's contribution.
        let skillsPart = ab.fields.first { $0.field == .skills }!.contribution
        #expect(abs(ab.sharedSkills.reduce(0) { $0 + $1.contribution } - skillsPart) < 1e-6)
    }

    @Test("location: same city 1, same region only sameRegion, else 0; tempo in (0, 1], 1 for identical careers")
    func locationAndTempo() {
        let weights = MetricWeights(skills: 1, titles: 1, tempo: 1, location: 1, sameRegion: 0.4)
        let (metric, profiles) = PeopleMetric.fit(Self.people, weights: weights)
        #expect(metric.fieldSimilarity(.location, profiles[0], profiles[2]) == 1)  // Austin, TX
        #expect(abs(metric.fieldSimilarity(.location, profiles[0], profiles[1]) - 0.4) < 1e-12)  // TX
        #expect(metric.fieldSimilarity(.location, profiles[0], profiles[3]) == 0)
        #expect(!profiles[4].has(.location) && !profiles[4].has(.tempo))
        for i in 0..<4 {
            for j in 0..<4 {
                let s = metric.fieldSimilarity(.tempo, profiles[i], profiles[j])
                #expect(s > 0 && s <= 1)
                if i == j { #expect(s == 1) }
            }
        }
        // A longer, steadier career is closer to another long one than to a job-hopper's.
        #expect(metric.fieldSimilarity(.tempo, profiles[0], profiles[1]) > metric.fieldSimilarity(.tempo, profiles[2], profiles[3]))
    }

    @Test("weights are checked: negative, non-finite, or no text field")
    func weightChecks() {
        #expect(MetricWeights().problem() == nil)
        #expect(MetricWeights(skills: -1).problem()?.field == "skills")
        #expect(MetricWeights(tempo: .nan).problem()?.field == "tempo")
        #expect(MetricWeights(skills: 0, titles: 0, tempo: 1).problem()?.field == "skills")
        #expect(MetricWeights(titleRecencyDecay: 1.5).problem()?.field == "title_recency_decay")
    }

    @Test("re-ranking keeps the k best candidates by the metric, ties to the smaller id, none below the minimum")
    func rerank() {
        let weights = MetricWeights(skills: 1, titles: 1, tempo: 0.5, location: 0.5)
        let (metric, profiles) = PeopleMetric.fit(Self.people, weights: weights)
        let n = profiles.count
        // Every other person as a candidate, in reverse order.
        var neighbors: [UInt32] = []
        for r in 0..<n { for o in (0..<n).reversed() where o != r { neighbors.append(UInt32(o)) } }
        let candidates = NeighborTable(k: n - 1, neighbors: neighbors, similarities: [Float](repeating: 0.5, count: neighbors.count))
        let table = MetricRerank.rerank(candidates, profiles: profiles, metric: metric, k: 2, minimumSimilarity: 0.1, denseText: false)
        for r in 0..<n {
            var expected: [(Float, UInt32)] = []
            for o in 0..<n where o != r {
                let s = Float(metric.similarity(profiles[r], profiles[o]))
                if s > 0 && s >= 0.1 { expected.append((s, UInt32(o))) }
            }
            expected.sort { $0.0 > $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
            let got = Array(table.neighbors[(r * 2)..<(r * 2 + 2)]).filter { $0 != .max }
            #expect(got == expected.prefix(2).map(\.1), "row \(r)")
        }
    }

    @Test("sublinear tf: a skill listed twice weighs 1 + ln 2 times one listed once")
    func sublinear() {
        var vectorizer = PeopleVectorizer()
        let people = [person("x", skills: ["Go", "Go", "Java"]), person("y", skills: ["Go", "Java"])]
        _ = vectorizer.fitTransform(people)
        let (skills, _) = vectorizer.fieldBlocks(people[0], columns: vectorizer.columnIndex)
        let go = skills.first { vectorizer.vocabulary[Int($0.0)] == "skill:go" }!.1
        let java = skills.first { vectorizer.vocabulary[Int($0.0)] == "skill:java" }!.1
        #expect(abs(go / java - Float(1 + log(2.0))) < 1e-5)  // equal idf (both in every row)
    }
}
