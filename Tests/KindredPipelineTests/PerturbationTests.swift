import Foundation
import KindredClean
import KindredCommunity
import KindredCore
import KindredPeople
import KindredTestSupport
import Testing
@testable import KindredPipeline

/// Small change in, small change out, on people with real vocabularies: O*NET occupations (alternate
/// titles, technology skills, related occupations, read from ../shared/data) drawn by `SyntheticPeople`
/// with its typos, synonyms and career moves, clustered by the default pipeline in process.
@Suite("perturbation: small change in, small change out", .serialized, Paths.sharedDataNeeded)
struct PerturbationTests {
    /// 40 O*NET occupations with at least 8 titles and 8 skills, every 7th by code (a fixed choice).
    static func onetCatalog() throws -> OccupationCatalog {
        let all = try OccupationCatalog.load(path: Paths.sharedData.path)
        let eligible = all.occupations.filter { $0.variants.count >= 8 && $0.skills.count >= 8 }.sorted { $0.id < $1.id }
        var chosen: [Occupation] = []
        var i = 0
        while chosen.count < 40 && i < eligible.count {
            chosen.append(eligible[i])
            i += 7
        }
        let families = Array(Set(chosen.map(\.family))).sorted()
        return OccupationCatalog(families: families, occupations: chosen)
    }

    /// The perturbation of one person: every date 6 months later, one more job switch (the current job
    /// split in two, the earlier half under the same title), one skill dropped.
    static func perturb(_ p: Person) -> Person {
        var person = p
        for i in person.positions.indices {
            if let s = person.positions[i].start { person.positions[i].start = YearMonth(ordinal: s.ordinal + 6) }
            if let e = person.positions[i].end { person.positions[i].end = YearMonth(ordinal: e.ordinal + 6) }
        }
        if let last = person.positions.last, let start = last.start {
            var earlier = last
            earlier.end = YearMonth(ordinal: start.ordinal + 12)
            var later = last
            later.start = YearMonth(ordinal: start.ordinal + 12)
            person.positions[person.positions.count - 1] = earlier
            person.positions.append(later)
        }
        if person.skills.count >= 2 { person.skills.removeLast() }
        return person
    }

    /// A change of occupation: the person takes `other`'s skills and job history (dates included),
    /// keeping their id and location — a change that should move them.
    static func changeOccupation(_ p: Person, to other: Person) -> Person {
        var person = p
        person.skills = other.skills
        person.rawSkills = other.rawSkills
        person.positions = other.positions
        return person
    }

    /// Clusters people with default settings; everyone's cluster by raw id.
    static func clusters(_ people: [Person], folder: TemporaryFolder, name: String) throws -> [String: String] {
        let input = folder.file(name + ".jsonl")
        try AtomicFileWriter.write(people.map { PeopleJSON.line(for: $0) }.joined(separator: "\n") + "\n", to: input)
        var config = runConfig(input: input, output: folder.file(name), seed: 1, runKey: name)
        config.stabilitySeeds = 0
        config.stabilityLeftOut = 0
        _ = try Job.run(config, environment: [:])
        let byPseudonym = try assignments(folder.file(name + "/runs/\(name)/assignments.csv"))
        let pseudonymizer = Pseudonymizer.demo()
        var out: [String: String] = [:]
        for p in people { out[p.id] = byPseudonym[pseudonymizer.pseudonym(for: p.id)] }
        return out
    }

    @Test("1% of people perturbed: the untouched keep their clusters (ARI ≥ 0.97) and few move; more people changing occupation move more people, never fewer")
    func untouchedKeepTheirClusters() throws {
        var options = SynthOptions()
        options.seed = 21
        let generator = try SyntheticPeople(catalog: try Self.onetCatalog(), options: options)
        let people = (0..<2000).map { generator.record(at: $0).person }
        let folder = try TemporaryFolder(prefix: "kindred-perturbation")
        defer { folder.cleanUp() }
        let before = try Self.clusters(people, folder: folder, name: "base")
        // Moved: everyone whose cluster differs from the old cluster it maps to (most shared people).
        func moved(_ after: [String: String]) -> Int { LabelPairs(people.map { (before[$0.id] ?? "-", after[$0.id] ?? "-") }).movedCount() }
        var rng = SeededGenerator(seed: 5)
        let order = people.indices.shuffled(using: &rng)

        // 1% perturbed (dates, one more switch, one skill fewer): the untouched keep their clusters.
        let touched = Set(order.prefix(people.count / 100))
        let light = try Self.clusters(
            people.indices.map { touched.contains($0) ? Self.perturb(people[$0]) : people[$0] }, folder: folder, name: "light")
        let untouched = people.indices.filter { !touched.contains($0) }.map { people[$0].id }
        let labels = LabelPairs(untouched.map { (before[$0] ?? "-", light[$0] ?? "-") })
        let ari = PartitionComparison.adjustedRandIndex(labels.a, labels.b)
        #expect(ari >= 0.97, "ARI of the untouched after 1% perturbed: \(ari)")
        #expect(moved(light) < people.count / 20, "1% perturbed moved \(moved(light)) of \(people.count)")

        // A bigger perturbation moves more: nested sets of 1%, 5% and 20% of the people take another
        // person's career (half the sample away, so mostly another occupation).
        var counts: [Int] = []
        for share in [0.01, 0.05, 0.2] {
            let changed = Set(order.prefix(Int((share * Double(people.count)).rounded())))
            let after = try Self.clusters(
                people.indices.map { changed.contains($0) ? Self.changeOccupation(people[$0], to: people[($0 + people.count / 2) % people.count]) : people[$0] },
                folder: folder, name: "occupation\(Int(share * 100))")
            counts.append(moved(after))
        }
        #expect(counts[0] <= counts[1] && counts[1] <= counts[2], "people moved with 1%, 5%, 20% changing occupation: \(counts)")
        #expect(counts[2] > counts[0], "changing the occupation of 20% moved \(counts[2]), of 1% \(counts[0])")
    }
}

/// Two labellings of the same people as dense integer labels.
private struct LabelPairs {
    var a: [UInt32] = []
    var b: [UInt32] = []

    init(_ pairs: [(String, String)]) {
        var na: [String: UInt32] = [:]
        var nb: [String: UInt32] = [:]
        for (x, y) in pairs {
            a.append(na[x] ?? { let l = UInt32(na.count); na[x] = l; return l }())
            b.append(nb[y] ?? { let l = UInt32(nb.count); nb[y] = l; return l }())
        }
    }

    /// People whose new cluster is not mapped to their old one (each new cluster maps to the old cluster
    /// sharing most of its people).
    func movedCount() -> Int {
        var counts: [UInt64: Int] = [:]
        for i in a.indices { counts[UInt64(b[i]) << 32 | UInt64(a[i]), default: 0] += 1 }
        var map: [UInt32: (old: UInt32, count: Int)] = [:]
        for (key, count) in counts.sorted(by: { $0.key < $1.key }) {
            let new = UInt32(key >> 32)
            if count > map[new]?.count ?? 0 { map[new] = (UInt32(key & 0xFFFF_FFFF), count) }
        }
        return a.indices.filter { map[b[$0]]?.old != a[$0] }.count
    }
}
