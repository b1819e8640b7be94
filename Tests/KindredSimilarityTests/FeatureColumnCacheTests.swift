import KindredCore
import KindredPeople
import Testing
@testable import KindredSimilarity

@Suite("FeatureColumnCache")
struct FeatureColumnCacheTests {
    /// People with canonical and typed skills and titles (some misspelt), mapped or not, with every
    /// kind of confidence, and some with nothing at all.
    static func people(seed: UInt64, count: Int) -> [Person] {
        var rng = SeededGenerator(seed: seed)
        let skills = ["Java", "Go", "CPR", "Basic Life Support", "Microsoft Excel", "Forklift Operation", "Patient Care", "SQL"]
        // Abbreviations, level words (alone too), function words, case and punctuation variants, accents and mask labels:
        // every rule of `EvidenceWords.title` that the cache's word-by-word path must follow.
        let titles = [
            "Software Engineer", "Registered Nurse", "Forklift Operator", "Senior Software Engineer", "Data Scientist", "Head Nurse",
            "Sr. Software Eng II", "SOFTWARE engineer", "software-engineer!", "Head of Nursing", "VP & Director of the Sales", "Lead",
            "Intern II", "Nurse RN I", "Engineer I", "Level 2 Analyst 2", "Café Managers", "Of The And", "[email] Accountants",
            "Supv Ops", "Trainee Lead Engineer Level",
        ]
        return (0..<count).map { i in
            var person = Person(id: "p\(i)")
            for _ in 0..<Int.random(in: 0...5, using: &rng) { person.skills.append(skills.randomElement(using: &rng)!) }
            if Bool.random(using: &rng) {
                person.rawSkills = person.skills.map { Bool.random(using: &rng) ? Misspelling.apply(to: $0, edits: 1, rng: &rng) : $0 }
            }
            for _ in 0..<Int.random(in: 0...3, using: &rng) {
                var position = Position(title: titles.randomElement(using: &rng)!)
                if Bool.random(using: &rng) { position.rawTitle = Misspelling.apply(to: position.title, edits: Int.random(in: 0...2, using: &rng), rng: &rng) }
                if Bool.random(using: &rng) {
                    position.occupation = "29-1141"
                    position.confidence = [nil, 0, 0.4, 0.97, 1].randomElement(using: &rng)!
                }
                person.positions.append(position)
            }
            return person
        }
    }

    @Test("vectors through the cache are exactly those of the text path, whatever the cache's size", arguments: [UInt64(1), 2, 3, 4, 5])
    func sameVectors(seed: UInt64) {
        var vectorizer = PeopleVectorizer()
        _ = vectorizer.fitTransform(Self.people(seed: seed, count: 300))
        let columns = vectorizer.columnIndex
        let others = Self.people(seed: seed + 100, count: 200)
        let expected = vectorizer.transform(others[...], columns: columns)
        for limit in [1, 3, 100_000] {
            var cache = FeatureColumnCache(limit: limit)
            // Twice through one cache: the second pass reads what the first stored (or what a full cache dropped).
            for _ in 0..<2 {
                let got = vectorizer.transform(others[...], columns: columns, cache: &cache)
                #expect(got.offsets == expected.offsets, "limit \(limit)")
                #expect(got.columns == expected.columns, "limit \(limit)")
                #expect(got.values == expected.values, "limit \(limit)")
            }
        }
    }
}
