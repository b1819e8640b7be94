import KindredCore
import KindredPeople
import KindredTestSupport
import Testing
@testable import KindredClean

@Suite("Shared mappings and fast paths of cleaning")
struct SharedMappingsTests {
    static func people(seed: UInt64) -> [Person] {
        var rng = SeededGenerator(seed: seed)
        let titles = ["Registered Nurse", "Software Engineer", "Forklift Operator", "Sr. Software Engineer", "Crawfish processor", "Nurse - call ann@x.org"]
        let skills = ["CPR", "Java", "Forklift Operation", "Patient Care", "Basic Life Support", "Kubernetes"]
        return (0..<150).map { i in
            var person = Person(id: "emp-\(i)", name: "Ann Lee", email: "ann.lee@example.com")
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                person.skills.append(Misspelling.apply(to: skills.randomElement(using: &rng)!, edits: Int.random(in: 0...1, using: &rng), rng: &rng))
            }
            for j in 0..<Int.random(in: 1...3, using: &rng) {
                let title = Misspelling.apply(to: titles.randomElement(using: &rng)!, edits: Int.random(in: 0...1, using: &rng), rng: &rng)
                person.positions.append(Position(title: i % 17 == 0 ? title + " (Ann Lee)" : title, start: YearMonth(year: 2010 + 3 * j, month: 1)))
            }
            return person
        }
    }

    @Test("a cleaner reading mappings shared by another worker cleans exactly as one on its own; taking new mappings empties its caches")
    func sameCleaning() throws {
        let people = Self.people(seed: 7)
        var alone = PersonCleaner(catalog: try Fixtures.catalog(), pseudonymizer: Pseudonymizer.demo())
        let expected = people.map { alone.clean($0) }
        // Worker A cleans the first half; what it mapped is shared; worker B cleans everything reading it.
        var a = alone
        _ = a.takeNewMappings()
        for person in people.prefix(75) { _ = a.clean(person) }
        var shared = SharedMappings()
        let new = a.takeNewMappings()
        #expect(!new.titles.isEmpty && !new.skills.isEmpty)
        #expect(a.takeNewMappings().titles.isEmpty)
        shared.add(titles: new.titles, skills: new.skills, limit: .max)
        var b = PersonCleaner(catalog: try Fixtures.catalog(), pseudonymizer: Pseudonymizer.demo())
        b.shared = shared
        #expect(people.map { b.clean($0) } == expected)
        // B mapped only what A had not.
        let own = b.takeNewMappings()
        #expect(Set(own.titles.keys).isDisjoint(with: shared.titles.keys))
        // The shared cache stays within its limit.
        var small = SharedMappings()
        small.add(titles: new.titles, skills: new.skills, limit: 3)
        #expect(small.titles.count == min(3, new.titles.count) && small.skills.count == min(3, new.skills.count))
    }

    @Test("mayContain agrees with lowercased().contains on ASCII text and never rules out other text", arguments: [UInt64(1), 2])
    func mayContain(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let pieces = ["Ann", "ann", "LEE", " ", "-", "x", "Lee", "@", "aNn l", "é", "5"]
        for _ in 0..<3000 {
            let text = (0..<Int.random(in: 0...6, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            for needle in ["ann lee", "ann", "lee@x", "é"] {
                let truth = text.lowercased().contains(needle)
                let may = PrivacyMask.mayContain(text, needle)
                if text.utf8.allSatisfy({ $0 < 0x80 }) { #expect(may == truth, "\(text) / \(needle)") } else { #expect(may) }
            }
        }
    }

    @Test("variant clusters do not depend on the thread count")
    func clustersAnyThreads() {
        var rng = SeededGenerator(seed: 3)
        var values: [String: Int] = [:]
        for base in ["Software Engineer", "Registered Nurse", "Forklift Operator", "Warehouse Associate", "Customer Service Representative"] {
            for _ in 0..<40 { values[Misspelling.apply(to: base, edits: Int.random(in: 0...2, using: &rng), rng: &rng), default: 0] += 1 }
        }
        let one = VariantClusterer.clusters(values, threads: 1)
        #expect(!one.isEmpty)
        #expect(VariantClusterer.clusters(values, threads: 2) == one)
        #expect(VariantClusterer.clusters(values, threads: 7) == one)
    }
}
