import KindredCore
import KindredPeople
import KindredProjection
import KindredSimilarity
import Testing

/// Toy people in three clear groups (skills only), a fitted vectorizer + LSA basis, and the index
/// (with TF-IDF centroids, as models of format 3 on; without, as those of format 2).
private func toyModel(dimensions: Int = 8, terms: Bool = true) -> (people: [Person], labels: [Int32], vectorizer: PeopleVectorizer, lsa: LSAModel, index: ProjectionIndex) {
    let groups: [[String]] = [
        ["fire suppression", "emt", "rescue", "hazmat"],
        ["litigation", "contracts", "legal research", "negotiation"],
        ["swift", "python", "sql", "git"],
    ]
    var rng = SeededGenerator(seed: 7)
    var people: [Person] = []
    var labels: [Int32] = []
    for i in 0..<90 {
        let g = i % 3
        var skills = groups[g].filter { _ in rng.next() % 4 != 0 }
        if skills.isEmpty { skills = [groups[g][0]] }
        var p = Person(id: "p\(i)")
        p.skills = skills
        people.append(p)
        labels.append(Int32(g * 10))  // ids need not be 0..<C
    }
    var vectorizer = PeopleVectorizer()
    let vectors = vectorizer.fitTransform(people)
    let lsa = LSAModel.fit(vectors, dimensions: dimensions, seed: 1)
    let (embedded, rows) = ProjectionIndex.buildWithRows(embedding: lsa.embed(vectors), labels: labels)
    let index = terms ? embedded.with(terms: TermSpace.build(vectors: vectors, rows: rows, memberOffsets: embedded.memberOffsets)) : embedded
    return (people, labels, vectorizer, lsa, index)
}

/// The vote's winner written out: the k best (score, member row), sorted best first, weigh their
/// clusters by score; ties to the smaller cluster id.
private func votedCluster(_ sorted: [(Float, Int)], k: Int, index: ProjectionIndex) -> Int32 {
    var weight: [Int32: Float] = [:]
    for (s, j) in sorted.prefix(k) where s > 0 {
        weight[index.clusterIDs[index.memberOffsets.lastIndex { $0 <= j }!], default: 0] += s
    }
    return weight.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }!.key
}

@Suite struct ProjectorTests {
    @Test func indexGroupsMembersByClusterWithUnitCentroids() {
        let m = toyModel()
        #expect(m.index.clusterIDs == [0, 10, 20])
        #expect(m.index.memberOffsets == [0, 30, 60, 90])
        let d = m.index.dimensions
        for c in 0..<3 {
            let norm = (0..<d).reduce(Float(0)) { $0 + m.index.centroids[c * d + $1] * m.index.centroids[c * d + $1] }
            #expect(abs(norm - 1) < 1e-4)
        }
    }

    @Test(arguments: ProjectionMethod.allCases, [true, false])
    func theSampleProjectsOntoItsOwnClusters(method: ProjectionMethod, terms: Bool) {
        let m = toyModel(terms: terms)
        let projector = Projector(vectorizer: m.vectorizer, basis: m.lsa, index: m.index, method: method, k: 5, probes: 2)
        let out = projector.assign(m.people[...], scratch: projector.makeScratch())
        #expect(out.map(\.cluster) == m.labels.map { Optional($0) })
        // A vote's confidence is a share of the neighbours; a centroid's, a cosine: high in an 8-d
        // embedding, lower in the TF-IDF space, where one of a group's four skills gives about 0.5.
        let least: Float = method == .centroid && terms ? 0.3 : 0.5
        for a in out {
            #expect(a.confidence > least && a.confidence <= 1)
            #expect(a.second != a.cluster)
        }
    }

    @Test(arguments: [true, false])
    func newPeopleGoToTheirGroupAndNothingIsGuessed(terms: Bool) {
        let m = toyModel(terms: terms)
        var lawyer = Person(id: "new-1")
        lawyer.skills = ["contracts", "negotiation"]
        var empty = Person(id: "new-2")
        empty.skills = []
        var stranger = Person(id: "new-3")
        stranger.skills = ["basket weaving"]
        for method in ProjectionMethod.allCases {
            let projector = Projector(vectorizer: m.vectorizer, basis: m.lsa, index: m.index, method: method, k: 5, probes: 0)
            let out = projector.assign([lawyer, empty, stranger][...], scratch: projector.makeScratch())
            #expect(out[0].cluster == 10)
            #expect(out[1] == .unassigned(.noFeatures))
            #expect(out[2] == .unassigned(.unknownFeatures))
        }
    }

    @Test(arguments: ProjectionMethod.allCases, [true, false])
    func answersDoNotDependOnTheBlockTheyCameIn(method: ProjectionMethod, terms: Bool) {
        let m = toyModel(terms: terms)
        let projector = Projector(vectorizer: m.vectorizer, basis: m.lsa, index: m.index, method: method, k: 7, probes: 2)
        let scratch = projector.makeScratch()
        let whole = projector.assign(m.people[...], scratch: scratch)
        var pieces: [Assignment] = []
        var start = 0
        for size in [1, 7, 13, 2, 40, 27] {
            pieces += projector.assign(m.people[start..<(start + size)], scratch: scratch)
            start += size
        }
        #expect(pieces == whole)
    }

    @Test func centroidScoresAreCosinesWithTheTermCentroids() {
        let m = toyModel()
        let terms = m.index.terms!.centroids
        let projector = Projector(vectorizer: m.vectorizer, basis: m.lsa, index: m.index, method: .centroid)
        let details = projector.detail(m.people[...], scratch: projector.makeScratch())
        let vectors = m.vectorizer.transform(m.people)
        for (r, detail) in details.enumerated() {
            var query = [Float](repeating: 0, count: terms.featureCount)
            for i in vectors.offsets[r]..<vectors.offsets[r + 1] { query[Int(vectors.columns[i])] = vectors.values[i] }
            let norm = query.reduce(0) { $0 + $1 * $1 }.squareRoot()
            var expected = [Float](repeating: 0, count: m.index.clusterCount)
            for f in 0..<terms.featureCount {
                for e in terms.offsets[f]..<terms.offsets[f + 1] { expected[Int(terms.clusters[e])] += query[f] / norm * terms.weights[e] }
            }
            #expect(zip(detail.clusterScores, expected).allSatisfy { abs($0 - $1) < 1e-5 })
            let best = expected.indices.max { expected[$0] < expected[$1] || (expected[$0] == expected[$1] && $0 > $1) }!
            #expect(detail.assignment.cluster == m.index.clusterIDs[best])
            #expect(abs(detail.assignment.confidence - expected[best]) < 1e-5)
        }
    }

    @Test func termVoteWithAllProbesMatchesAnExactSearch() {
        let m = toyModel()
        let k = 5
        let projector = Projector(vectorizer: m.vectorizer, basis: m.lsa, index: m.index, method: .vote, k: k, probes: 0)
        var people = m.people
        var mixed = Person(id: "mixed")
        mixed.skills = ["emt", "contracts", "sql", "rescue"]
        people.append(mixed)
        let details = projector.detail(people[...], scratch: projector.makeScratch())
        // Brute force over the members' unit TF-IDF vectors, by cosine.
        let vectors = m.vectorizer.transform(people)
        let members = m.index.terms!.members
        func dense(_ v: SparseVectors, _ r: Int) -> [Int: Float] {
            var row: [Int: Float] = [:]
            for i in v.offsets[r]..<v.offsets[r + 1] { row[Int(v.columns[i])] = v.values[i] }
            let norm = row.values.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return row.mapValues { $0 / norm }
        }
        for (r, detail) in details.enumerated() {
            let q = dense(vectors, r)
            var scored: [(Float, Int)] = (0..<m.index.memberCount).map { j in
                (dense(members, j).reduce(Float(0)) { $0 + $1.value * (q[$1.key] ?? 0) }, j)
            }
            scored.sort { $0.0 > $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
            #expect(detail.assignment.cluster == votedCluster(scored, k: k, index: m.index))
            // The same neighbours, up to float rounding among exact ties.
            let expected = scored.prefix(k).filter { $0.0 > 0 }
            #expect(detail.neighbors.count == expected.count)
            for (n, e) in zip(detail.neighbors, expected) { #expect(abs(scored.first { $0.1 == Int(n) }!.0 - e.0) < 1e-5) }
        }
    }

    @Test func voteWithAllProbesMatchesAnExactSearch() {
        let m = toyModel(terms: false)
        let k = 5
        let projector = Projector(vectorizer: m.vectorizer, basis: m.lsa, index: m.index, method: .vote, k: k, probes: 0)
        let out = projector.assign(m.people[...], scratch: projector.makeScratch())
        // Brute force over the members, by cosine.
        let d = m.index.dimensions
        let e = m.lsa.embed(m.vectorizer.transform(m.people))
        for (r, a) in out.enumerated() {
            var scored: [(Float, Int)] = []
            for j in 0..<m.index.memberCount {
                var s: Float = 0
                for c in 0..<d { s += e.values[r * d + c] * m.index.members[j * d + c] }
                scored.append((s, j))
            }
            scored.sort { $0.0 > $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
            #expect(a.cluster == votedCluster(scored, k: k, index: m.index))
        }
    }
}
