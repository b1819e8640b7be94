import Foundation
import KindredPeople
import Testing
@testable import KindredSimilarity

@Suite("PeopleVectorizer")
struct PeopleVectorizerTests {
    static let people = [
        person("a", skills: ["Java", "Go"], titles: ["Software Engineer"]),
        person("b", skills: ["Java"], titles: ["Data Scientist", "Software Engineer"]),
        person("c", titles: ["Registered Nurse"]),  // no skills
        person("d"),  // nothing at all
        person("e", skills: ["CPR", "cpr"]),  // no titles; the same skill twice
        person("f", skills: ["Java", "Go"], titles: ["Software Engineer"]),  // same as a
    ]

    @Test("rows are L2-normalised; a person without features gets an empty row")
    func normalised() throws {
        var vectorizer = PeopleVectorizer()
        let vectors = vectorizer.fitTransform(PeopleVectorizerTests.people)
        #expect(vectors.rowCount == PeopleVectorizerTests.people.count)
        #expect(vectors.columnCount == vectorizer.vocabulary.count)
        for r in 0..<vectors.rowCount where r != 3 {
            #expect(abs(norm(vectors, r) - 1) < 1e-5, "row \(r) has norm \(norm(vectors, r))")
        }
        #expect(vectors.offsets[4] - vectors.offsets[3] == 0)
        // Columns strictly ascending within each row, values positive.
        for r in 0..<vectors.rowCount {
            let range = vectors.offsets[r]..<vectors.offsets[r + 1]
            #expect(zip(vectors.columns[range], vectors.columns[range].dropFirst()).allSatisfy { $0 < $1 })
            #expect(vectors.values[range].allSatisfy { $0 > 0 })
        }
    }

    @Test("vocabulary is sorted feature text; idf is smoothed ln((1+n)/(1+df)) + 1")
    func vocabulary() throws {
        var vectorizer = PeopleVectorizer()
        _ = vectorizer.fitTransform(PeopleVectorizerTests.people)
        #expect(vectorizer.vocabulary == vectorizer.vocabulary.sorted())
        // Whole values (skill:, title:) and the folded words of titles as typed (tw:).
        #expect(
            vectorizer.vocabulary == [
                "skill:cpr", "skill:go", "skill:java", "title:data scientist", "title:registered nurse",
                "title:software engineer", "tw:data", "tw:engineer", "tw:nurs", "tw:register", "tw:scientist", "tw:softwar",
            ])
        let java = try #require(vectorizer.vocabulary.firstIndex(of: "skill:java"))
        #expect(abs(Double(vectorizer.idf[java]) - (log(7.0 / 4.0) + 1)) < 1e-6)  // n = 6, df = 3
        let cpr = try #require(vectorizer.vocabulary.firstIndex(of: "skill:cpr"))
        #expect(abs(Double(vectorizer.idf[cpr]) - (log(7.0 / 2.0) + 1)) < 1e-6)  // counted once per person
    }

    @Test("a person missing skills still gets title features (and one missing titles gets skills)")
    func partialPeople() {
        var vectorizer = PeopleVectorizer()
        let vectors = vectorizer.fitTransform(PeopleVectorizerTests.people)
        let nurse = vectors.offsets[2]..<vectors.offsets[3]
        #expect(!nurse.isEmpty)
        #expect(nurse.allSatisfy { ["title:", "tw:"].contains(where: vectorizer.vocabulary[Int(vectors.columns[$0])].hasPrefix) })
        let medic = vectors.offsets[4]..<vectors.offsets[5]
        #expect(medic.map { vectorizer.vocabulary[Int(vectors.columns[$0])] } == ["skill:cpr"])
    }

    @Test("identical people have cosine 1, disjoint people 0, and a missing field is not counted as dissimilar")
    func cosines() {
        var vectorizer = PeopleVectorizer()
        let vectors = vectorizer.fitTransform(PeopleVectorizerTests.people)
        #expect(abs(vectors.dot(0, 5) - 1) < 1e-5)
        #expect(vectors.dot(0, 2) == 0)
        #expect(vectors.dot(2, 4) == 0)
        #expect(vectors.dot(0, 1) > 0 && vectors.dot(0, 1) < 1)
        // g has only a's title: with the skills field absent it matches a's title block fully, so
        // cos = w_t·1 / sqrt((w_s + w_t)·w_t) = 1/√2 with unit weights.
        var withTitleOnly = PeopleVectorizer(weights: MetricWeights(skills: 1, titles: 1))
        let v = withTitleOnly.fitTransform(PeopleVectorizerTests.people + [person("g", titles: ["Software Engineer"])])
        #expect(abs(v.dot(0, 6) - Float(1 / 2.0.squareRoot())) < 1e-5)
    }

    @Test("earlier titles weigh less than the current one (recency decay)")
    func recency() throws {
        var vectorizer = PeopleVectorizer(weights: MetricWeights(skills: 1, titles: 1, titleRecencyDecay: 0.5))
        let people = [person("x", titles: ["Chef", "Waiter"]), person("y", titles: ["Waiter", "Chef"])]
        let vectors = vectorizer.fitTransform(people)
        let chef = UInt32(try #require(vectorizer.vocabulary.firstIndex(of: "title:chef")))
        let waiter = UInt32(try #require(vectorizer.vocabulary.firstIndex(of: "title:waiter")))
        func value(_ r: Int, _ c: UInt32) -> Float {
            (vectors.offsets[r]..<vectors.offsets[r + 1]).first { vectors.columns[$0] == c }.map { vectors.values[$0] } ?? 0
        }
        // x is a waiter now (positions oldest first), so waiter weighs twice chef.
        #expect(abs(value(0, waiter) - 2 * value(0, chef)) < 1e-5)
        #expect(abs(value(1, chef) - 2 * value(1, waiter)) < 1e-5)
    }

    @Test("a title mapped by a dictionary keeps its typed words; the canonical title weighs by the mapping's confidence")
    func evidenceKept() throws {
        var mapped = person("m", titles: ["x"])
        mapped.positions = [
            Position(title: "Software Developers", rawTitle: "Sr. Java Programer", occupation: "15-1252.00", seniority: "senior", confidence: 0.4)
        ]
        let terms = PeopleVectorizer().terms(mapped)
        #expect(terms.titles.map(\.0) == ["title:software developers", "tw:java", "tw:programer"])
        #expect(terms.titles[0].1 == 0.4)  // the canonical title, weighted by confidence
        #expect(terms.titles[1].1 == 1 && terms.titles[2].1 == 1)  // what was typed, in full
        // Left as typed (no occupation): the spelling itself, words and phrase at full weight.
        let typed = PeopleVectorizer().terms(person("t", titles: ["Crawfish Processor"]))
        #expect(typed.titles.map(\.0) == ["title:crawfish processor", "tw:crawfish", "tw:processor"])
        #expect(typed.titles.allSatisfy { $0.1 == 1 })
    }

    @Test("a skill mapped to another canonical form keeps its typed form as a feature beside it")
    func typedSkills() {
        var mapped = person("s", skills: ["Microsoft Excel", "Time Management"])
        mapped.rawSkills = ["MS Exel", "time  management", "[email]"]
        let terms = PeopleVectorizer().terms(mapped)
        #expect(terms.skills.map(\.0) == ["skill:microsoft excel", "skill:ms exel", "skill:time management"])
        #expect(terms.skills.allSatisfy { $0.1 == 1 })
    }

    @Test("spelling fixes: a rare misspelling reads as its frequent spelling; short, far or not-rare features stay")
    func spellingFixes() {
        let df = [
            "tw:software": 40, "tw:sofware": 1, "tw:softwrae": 2, "tw:nurse": 30, "tw:nurze": 1, "tw:cook": 20, "tw:cok": 1,
            "skill:microsoft excel": 12, "skill:microsoft excell": 1, "skill:microsft exel": 1, "skill:microsoft word": 12, "tw:sofwtare": 10, "tw:xylophone": 1,
            "skill:sofware": 1,
        ]
        let fixes = SpellingFixes.learn(documentFrequency: df)
        #expect(fixes["tw:sofware"] == "tw:software")  // one deletion
        #expect(fixes["tw:softwrae"] == "tw:software")  // a transposition
        #expect(fixes["tw:nurze"] == "tw:nurse")  // a substitution
        #expect(fixes["skill:microsoft excell"] == "skill:microsoft excel")  // an insertion in a whole skill
        #expect(fixes["skill:microsft exel"] == nil)  // two letters dropped: no shared one-deletion key
        #expect(fixes["tw:cok"] == nil)  // too short to judge
        #expect(fixes["tw:sofwtare"] == nil)  // 10 people: not rare
        #expect(fixes["tw:xylophone"] == nil)  // nothing close
        #expect(fixes["skill:sofware"] == nil)  // only within one kind of feature
        #expect(SpellingFixes.learn(documentFrequency: df, threads: 1) == SpellingFixes.learn(documentFrequency: df, threads: 4))
        // Fitted people: the misspelling joins the column of its frequent spelling.
        var vectorizer = PeopleVectorizer()
        let people = (0..<6).map { person("p\($0)", titles: ["Software Engineer"]) } + [person("typo", titles: ["Sofware Engineer"])]
        let vectors = vectorizer.fitTransform(people)
        #expect(vectorizer.spellingFixes["tw:sofwar"] == "tw:softwar")
        #expect(!vectorizer.vocabulary.contains("tw:sofwar"))
        let last = vectors.offsets[6]..<vectors.offsets[7]
        #expect(last.contains { vectorizer.vocabulary[Int(vectors.columns[$0])] == "tw:softwar" })
    }

    @Test("transform ignores features not in the vocabulary")
    func unknownFeatures() {
        var vectorizer = PeopleVectorizer()
        _ = vectorizer.fitTransform(PeopleVectorizerTests.people)
        let vectors = vectorizer.transform([person("z", skills: ["Rust"], titles: ["Astronaut"]), person("w", skills: ["Go"])])
        #expect(vectors.rowCount == 2)
        #expect(vectors.offsets[1] == 0)
        #expect(abs(norm(vectors, 1) - 1) < 1e-5)
    }
}
