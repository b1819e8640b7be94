import KindredPeople
import KindredTestSupport
import Testing
@testable import KindredClean

@Suite("CanonicalDictionary")
struct CanonicalDictionaryTests {
    static func titles() throws -> CanonicalDictionary { .titles(from: try Fixtures.catalog()) }

    @Test(
        "an exact variant maps to its canonical title with confidence 1",
        arguments: [
            ("Fire Fighter", "Firefighter", "firefighter", nil as String?),
            ("EMT-B", "Emergency Medical Technician", "emergency_medical_technician", nil),
            ("  software developer ", "Software Engineer", "software_engineer", nil),
            ("Sr. Software Engineer", "Software Engineer", "software_engineer", "senior"),
            ("Senior Fire-Fighter II", "Firefighter", "firefighter", "senior ii"),
            ("ＲＮ", "Registered Nurse", "registered_nurse", nil),
            ("Paramedic", "Paramedic", "paramedic", nil),
        ])
    func exactVariant(text: String, canonical: String, occupation: String, seniority: String?) throws {
        let match = try CanonicalDictionaryTests.titles().match(text)
        #expect(match.canonical == canonical)
        #expect(match.occupation == occupation)
        #expect(match.seniority == seniority)
        #expect(match.confidence == 1)
    }

    @Test("every title and variant of the catalogue matches exactly")
    func allVariantsExact() throws {
        let catalog = try Fixtures.catalog()
        let dictionary = CanonicalDictionary.titles(from: catalog)
        for occupation in catalog.occupations {
            for spelling in [occupation.title] + occupation.variants {
                let match = dictionary.match(spelling)
                #expect(match.confidence == 1, "\(spelling)")
                #expect(match.occupation != nil, "\(spelling)")
            }
            // The canonical title always maps to its own occupation.
            #expect(dictionary.match(occupation.title).occupation == occupation.id)
        }
    }

    @Test(
        "a misspelt variant maps to the right occupation with 0 < confidence < 1",
        arguments: [
            ("Paramedc", "paramedic", 1, 8),  // deletion
            ("Elecrtician", "electrician", 1, 11),  // transposition
            ("Firefihgter", "firefighter", 1, 11),  // transposition
            ("Regsitered Nurse", "registered_nurse", 1, 16),
            ("Plumbr", "plumber", 1, 6),
        ])
    func misspelling(text: String, occupation: String, edits: Int, length: Int) throws {
        let match = try CanonicalDictionaryTests.titles().match(text)
        #expect(match.occupation == occupation)
        #expect(match.confidence > 0 && match.confidence < 1)
        #expect(match.method == .nearest)
        #expect(match.confidence >= 0.45 && match.confidence <= 0.96, "a nearest match's confidence is its cosine, capped below the exact methods")
    }

    @Test("nonsense gets confidence 0 and the normalised input as its canonical form")
    func nonsense() throws {
        let dictionary = try CanonicalDictionaryTests.titles()
        let match = dictionary.match("  Qwxz-Plorbt  ")
        #expect(match.confidence == 0)
        #expect(match.occupation == nil)
        #expect(match.canonical == "qwxz plorbt")
        let leveled = dictionary.match("Senior Zzyzx Vortle")
        #expect(leveled.confidence == 0)
        #expect(leveled.canonical == "zzyzx vortle")
        #expect(leveled.seniority == "senior")
        // Short keys get no fuzzy matching at all (tolerance 0 below 4 characters).
        #expect(dictionary.match("RNX").confidence == 0)
    }

    @Test("skills: exact, case- and punctuation-insensitive, fuzzy, and unknown")
    func skills() throws {
        let dictionary = CanonicalDictionary.skills(from: try Fixtures.catalog())
        #expect(!dictionary.splitsSeniority)
        #expect(dictionary.match("cpr").canonical == "CPR")
        #expect(dictionary.match("cpr").confidence == 1)
        #expect(dictionary.match("c++").canonical == "C++")
        #expect(dictionary.match("MIG  welding.").canonical == "MIG Welding")
        let fuzzy = dictionary.match("Kubernetse")
        #expect(fuzzy.canonical == "Kubernetes")
        #expect(fuzzy.confidence > 0 && fuzzy.confidence < 1)
        // Level words are part of a skill, not split off.
        #expect(dictionary.match("Senior Lifeguarding XYZ").seniority == nil)
        #expect(dictionary.match("Underwater Basket Weaving").confidence == 0)
    }

    @Test("the first canonical form given for a key wins")
    func firstWins() {
        var dictionary = CanonicalDictionary(splitsSeniority: true)
        dictionary.add("Cook", canonical: "Chef", occupation: "chef")
        dictionary.add("cook!", canonical: "Baker", occupation: "baker")
        dictionary.add("Senior Cook", canonical: "Baker", occupation: "baker")
        #expect(dictionary.count == 1)
        #expect(dictionary.match("COOK").occupation == "chef")
    }
}
