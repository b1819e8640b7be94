import KindredCore
import KindredPeople
import KindredProjection
import KindredSimilarity
import Testing

/// Toy people in three clear groups (skills only), a fitted vectorizer + LSA basis, and the index.
private func toyModel(dimensions: Int = 8) -> (people: [Person], labels: [Int32], vectorizer: PeopleVectorizer, lsa: LSAModel, index: ProjectionIndex) {
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
    let index = ProjectionIndex.build(embedding: lsa.embed(vectors), labels: labels)
    return (people, labels, vectorizer, lsa, index)
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

    @Test(arguments: ProjectionMethod.allCases)
    func theSampleProjectsOntoItsOwnClusters(method: ProjectionMethod) {
        let m = toyModel()
        let projector = Projector(vectorizer: m.vectorizer, basis: m.lsa, index: m.index, method: method, k: 5, probes: 2)
        let out = projector.assign(m.people[...], scratch: projector.makeScratch())
        #expect(out.map(\.cluster) == m.labels.map { Optional($0) })
        for a in out {
            #expect(a.confidence > 0.5 && a.confidence <= 1)
            #expect(a.second != a.cluster)
        }
    }

    @Test func newPeopleGoToTheirGroupAndNothingIsGuessed() {
        let m = toyModel()
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

    @Test func answersDoNotDependOnTheBlockTheyCameIn() {
        let m = toyModel()
        let projector = Projector(vectorizer: m.vectorizer, basis: m.lsa, index: m.index, method: .vote, k: 7, probes: 2)
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

    @Test func voteWithAllProbesMatchesAnExactSearch() {
        let m = toyModel()
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
            var weight: [Int32: Float] = [:]
            for (s, j) in scored.prefix(k) where s > 0 {
                let c = m.index.clusterIDs[m.index.memberOffsets.lastIndex { $0 <= j }!]
                weight[c, default: 0] += s
            }
            let best = weight.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }!.key
            #expect(a.cluster == best)
        }
    }
}
