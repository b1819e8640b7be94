import KindredCore
import KindredPeople
import PropertyBased
import Testing
@testable import KindredClean

@Suite("Title matching: abbreviations, levels, typos, key collision")
struct TitleMatchingTests {
    static let dictionary: CanonicalDictionary = {
        var d = CanonicalDictionary(splitsSeniority: true)
        for (spelling, canonical, occupation) in [
            ("Software Engineers", "Software Engineers", "15-1252"), ("Software Developer", "Software Engineers", "15-1252"),
            ("Registered Nurses", "Registered Nurses", "29-1141"), ("Charge Nurse", "Registered Nurses", "29-1141"),
            ("Emergency Medical Technicians", "Emergency Medical Technicians", "29-2042"),
            ("Paramedics", "Paramedics", "29-2043"), ("Firefighters", "Firefighters", "33-2011"),
            ("Fire Fighter", "Firefighters", "33-2011"), ("Lawyers", "Lawyers", "23-1011"), ("Attorney", "Lawyers", "23-1011"),
            ("Marketing Managers", "Marketing Managers", "11-2021"), ("Brand Manager", "Marketing Managers", "11-2021"),
            ("Assistant Principal", "Education Administrators", "11-9032"), ("Dispatcher", "Dispatchers", "43-5032"),
        ] {
            d.add(spelling, canonical: canonical, occupation: occupation)
        }
        d.seal()
        return d
    }()

    @Test(
        "abbreviations expand and level words split off",
        arguments: [
            ("sr software eng ii", "software engineer", "senior ii"),
            ("Jr. Mgr", "manager", "junior"),
            ("Lead RN", "registered nurse", "lead"),
            ("Software Engineer I", "software engineer", "i"),
            ("Assistant Principal", "assistant principal", nil),  // "assistant" and "principal" are the job here
            ("Intern", "intern", nil),  // nothing would be left: kept whole
            ("EMT-B", "emergency medical technician b", nil),
        ])
    func split(text: String, title: String, level: String?) {
        let parts = Seniority.split(TextNormalizer.key(text))
        #expect(parts.title == title)
        #expect(parts.level == level)
    }

    @Test(
        "noisy titles land on the right occupation",
        arguments: [
            ("Sr. Sofware Engneer", "15-1252", "senior"),  // abbreviation, two typos
            ("SOFTWARE DEVELOPERS!!", "15-1252", nil),  // case, punctuation, plural
            ("Engineer, Software", "15-1252", nil),  // word order (fingerprint)
            ("Sftwr Engineer", "15-1252", nil),  // vowels dropped
            ("Regsitered Nurse", "29-1141", nil),  // transposition
            ("RN", "29-1141", nil),
            ("Firefigther", "33-2011", nil),
            ("Brand Mngr", "11-2021", nil),
            ("Atorney", "23-1011", nil),
        ])
    func noisy(text: String, occupation: String, level: String?) {
        let match = TitleMatchingTests.dictionary.match(text)
        #expect(match.occupation == occupation, "\(text) → \(match.canonical)")
        #expect(match.seniority == level)
        #expect(match.method != .none)
    }

    @Test("methods and confidences: exact 1 > folded 0.98 > fingerprint 0.97 > nearest ≤ 0.96 > none 0")
    func methods() {
        let d = TitleMatchingTests.dictionary
        #expect(d.match("software developer").method == .exact)
        #expect(d.match("software developer").confidence == 1)
        #expect(d.match("Software Developers").confidence == 0.98)
        let reordered = d.match("Developer, Software")
        #expect(reordered.method == .fingerprint)
        #expect(reordered.confidence == 0.97)
        let typo = d.match("Sofware Develper")
        #expect(typo.method == .nearest)
        #expect(typo.confidence > 0.45 && typo.confidence <= 0.96)
        let none = d.match("Qwxz Plorbt")
        #expect(none.method == .none)
        #expect(none.confidence == 0)
        #expect(none.occupation == nil)
    }

    @Test("a matcher reused for many values gives what a fresh one gives (scratch is left clean)")
    func reuse() async {
        let d = TitleMatchingTests.dictionary
        // Case and punctuation variants meet in the matcher's cache of keys; an empty key ("--") never does.
        let words = [
            "software", "nurse", "charge", "fire", "fighter", "brand", "manager", "sofware", "nrse", "attorny", "qqq", "lead", "sr",
            "SOFTWARE", "Nurse,", "Sr.", "--", "mAnAgEr",
        ]
        await propertyCheck(count: 100, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var rng = SeededGenerator(seed: seed)
            var matcher = CanonicalDictionary.Matcher(d)
            for _ in 0..<8 {
                let text = (0..<Int.random(in: 1...3, using: &rng)).map { _ in words.randomElement(using: &rng)! }.joined(separator: " ")
                #expect(matcher.match(text) == d.match(text), "\(text)")
            }
        }
    }

    @Test("Jaro–Winkler matches published values")
    func jaroWinkler() {
        func jw(_ a: String, _ b: String) -> Double { JaroWinkler.similarity(Array(a.unicodeScalars), Array(b.unicodeScalars)) }
        #expect(abs(jw("MARTHA", "MARHTA") - 0.9611) < 1e-4)
        #expect(abs(jw("DWAYNE", "DUANE") - 0.84) < 1e-4)
        #expect(abs(jw("DIXON", "DICKSONX") - 0.8133) < 1e-4)
        #expect(jw("abc", "abc") == 1)
        #expect(jw("abc", "xyz") == 0)
    }

    @Test("word folding meets plurals and -ing forms, leaves non-plurals alone")
    func stems() {
        #expect(WordStem.of("accountants") == WordStem.of("accountant"))
        #expect(WordStem.of("secretaries") == WordStem.of("secretary"))
        #expect(WordStem.of("engineering") == WordStem.of("engineer"))
        #expect(WordStem.of("nursing") == WordStem.of("nurse"))
        #expect(WordStem.of("business") == "business")
        #expect(WordStem.of("analysis") == "analysis")
        #expect(WordStem.of("c++") == "c++")
    }
}

@Suite("Learned variant clusters")
struct VariantClustererTests {
    @Test("key collision and nearest neighbour join variants; the most frequent spelling names the cluster")
    func clusters() {
        let clusters = VariantClusterer.clusters([
            "Software Enginer": 10, "software enginer": 4, "Enginer, Software": 2, "Sofware Enginer": 3,
            "Dog Walker": 5, "dog walkers": 1, "Underwater Welder": 2,
        ])
        #expect(clusters.count == 2)
        #expect(clusters[0].name == "Software Enginer")
        #expect(clusters[0].total == 19)
        #expect(Set(clusters[0].members.map(\.value)) == ["Software Enginer", "software enginer", "Enginer, Software", "Sofware Enginer"])
        #expect(clusters[1].name == "Dog Walker")
        #expect(clusters[1].total == 6)
    }

    @Test("clusters do not depend on the order values are given in (property)")
    func orderIndependent() async {
        let base = ["Line Cook", "line cooks", "Lnie Cook", "Prep Cook", "prep cook", "Dishwasher", "Dish Washer", "Sous Chef", "sous-chef"]
        await propertyCheck(count: 30, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var rng = SeededGenerator(seed: seed)
            var values: [String: Int] = [:]
            for value in base.shuffled(using: &rng) { values[value] = Int.random(in: 1...9, using: &rng) }
            var again: [String: Int] = [:]
            for (k, v) in values.shuffled(using: &rng) { again[k] = v }
            #expect(VariantClusterer.clusters(values) == VariantClusterer.clusters(again))
        }
    }
}

@Suite("FuzzyStringIndex")
struct FuzzyStringIndexTests {
    @Test("symmetric deletion finds exactly the strings within 1 and 2 edits (brute force agrees; property)")
    func complete() async {
        await propertyCheck(count: 40, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var rng = SeededGenerator(seed: seed)
            let letters = Array("abcde".unicodeScalars)
            func word(_ length: Int) -> [Unicode.Scalar] { (0..<length).map { _ in letters.randomElement(using: &rng)! } }
            var strings: [[Unicode.Scalar]] = []
            var seen = Set<String>()
            while strings.count < 60 {
                let w = word(Int.random(in: 1...7, using: &rng))
                if seen.insert(String(String.UnicodeScalarView(w))).inserted { strings.append(w) }
            }
            let index = FuzzyStringIndex(strings, deletions: 2)
            var counts = [UInt16](repeating: 0, count: strings.count)
            for _ in 0..<10 {
                let query = word(Int.random(in: 1...7, using: &rng))
                for limit in 1...2 {
                    let found = counts.withUnsafeMutableBufferPointer { index.within(query, limit: limit, counts: $0) }
                    let expected = strings.indices.filter { EditDistance.damerauLevenshtein(query, strings[$0], limit: limit) <= limit }
                    #expect(Set(found.map(\.index)) == Set(expected))
                    for f in found { #expect(f.distance == EditDistance.damerauLevenshtein(query, strings[f.index])) }
                }
            }
            #expect(counts.allSatisfy { $0 == 0 }, "scratch left zeroed")
        }
    }
}
