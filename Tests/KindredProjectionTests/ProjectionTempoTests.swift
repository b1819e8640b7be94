import KindredCore
import KindredPeople
import KindredSimilarity
import Testing

@testable import KindredProjection

/// Three skill groups whose careers differ in tempo (group g stays 12·(g+1) months per job), a few
/// people without dates, and a projector that weighs tempo (in the TF-IDF space, or the embedding as
/// models of format 2).
private func tempoModel(tempoWeight: Float = 1, k: Int = 5, probes: Int = 0, terms: Bool = true) -> (people: [Person], projector: Projector) {
    let groups: [[String]] = [
        ["fire suppression", "emt", "rescue", "hazmat"],
        ["litigation", "contracts", "legal research", "negotiation"],
        ["swift", "python", "sql", "git"],
    ]
    var rng = SeededGenerator(seed: 11)
    var people: [Person] = []
    var labels: [Int32] = []
    for i in 0..<120 {
        let g = i % 3
        var skills = groups[g].filter { _ in rng.next() % 3 != 0 }
        if rng.next() % 5 == 0 { skills.append(groups[(g + 1) % 3][Int(rng.next() % 4)]) }
        if skills.isEmpty { skills = [groups[g][1]] }
        var p = Person(id: "p\(i)")
        p.skills = skills
        if i % 10 != 7 {
            let tenure = 12 * (g + 1) + Int(rng.next() % 9)
            var month = YearMonth(year: 2012, month: 1).ordinal + Int(rng.next() % 24)
            for _ in 0..<3 {
                p.positions.append(Position(title: "", start: YearMonth(ordinal: month), end: YearMonth(ordinal: month + tenure)))
                month += tenure
            }
        }
        people.append(p)
        labels.append(Int32(g))
    }
    var vectorizer = PeopleVectorizer()
    let vectors = vectorizer.fitTransform(people)
    let lsa = LSAModel.fit(vectors, dimensions: 6, seed: 1)
    let (embedded, rows) = ProjectionIndex.buildWithRows(embedding: lsa.embed(vectors), labels: labels)
    let index = terms ? embedded.with(terms: TermSpace.build(vectors: vectors, rows: rows, memberOffsets: embedded.memberOffsets)) : embedded
    let scale = TempoScale.fit(people)
    let tempo = ProjectionTempo(
        scale: scale, textWeight: 3, tempoWeight: tempoWeight, members: rows.map { scale.standardized(people[$0]) ?? SIMD4(repeating: .nan) },
        index: index)
    return (people, Projector(vectorizer: vectorizer, basis: lsa, index: index, method: .vote, k: k, probes: probes, tempo: tempo))
}

@Suite struct ProjectionTempoTests {
    @Test("with tempo and every cluster searched, the vote is the brute-force k best by the combined score", arguments: [true, false])
    func voteMatchesBruteForce(terms: Bool) {
        let (people, projector) = tempoModel(terms: terms)
        let index = projector.index
        let tempo = projector.tempo!
        let d = index.dimensions
        let out = projector.assign(people[...], scratch: projector.makeScratch())
        let vectors = projector.vectorizer.transform(people)
        let e = projector.basis.embed(vectors)
        /// Cosine of person r and member j: in the TF-IDF space (unit rows), or in the embedding.
        func text(_ r: Int, _ j: Int) -> Float {
            guard let space = index.terms else { return (0..<d).reduce(Float(0)) { $0 + e.values[r * d + $1] * index.members[j * d + $1] } }
            var query: [UInt32: Float] = [:]
            for i in vectors.offsets[r]..<vectors.offsets[r + 1] { query[vectors.columns[i]] = vectors.values[i] }
            let norm = query.values.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let m = space.members
            return (m.offsets[j]..<m.offsets[j + 1]).reduce(Float(0)) { $0 + m.values[$1] * (query[m.columns[$1]] ?? 0) / norm }
        }
        var differs = 0
        for (r, a) in out.enumerated() {
            let z = tempo.scale.standardized(people[r])
            var scored: [(Float, Int)] = []
            for j in 0..<index.memberCount {
                var s = text(r, j)
                if let z { s = tempo.score(text: s, query: z, other: tempo.members[j]) }
                scored.append((s, j))
            }
            scored.sort { $0.0 > $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
            var weight: [Int32: Float] = [:]
            for (s, j) in scored.prefix(projector.k) where s > 0 {
                weight[index.clusterIDs[index.memberOffsets.lastIndex { $0 <= j }!], default: 0] += s
            }
            let best = weight.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }!.key
            #expect(a.cluster == best)
            // Tempo takes part: the text-only neighbours differ for some people.
            let textOnly = Projector(vectorizer: projector.vectorizer, basis: projector.basis, index: index, method: .vote, k: projector.k, probes: 0)
            let withTempo = projector.detail(people[r...r], scratch: projector.makeScratch())[0].neighbors
            if textOnly.detail(people[r...r], scratch: textOnly.makeScratch())[0].neighbors != withTempo { differs += 1 }
        }
        #expect(differs > 0)
    }

    @Test("with tempo, answers and details do not depend on the block a person came in", arguments: [true, false])
    func blockIndependent(terms: Bool) {
        let (people, projector) = tempoModel(k: 7, probes: 2, terms: terms)
        let scratch = projector.makeScratch()
        let whole = projector.detail(people[...], scratch: scratch)
        var pieces: [ProjectionDetail] = []
        var start = 0
        for size in [1, 9, 30, 3, 50, 27] {
            pieces += projector.detail(people[start..<(start + size)], scratch: scratch)
            start += size
        }
        #expect(pieces == whole)
        #expect(whole.allSatisfy { $0.assignment.cluster == nil || ($0.clusterScores.count == 3 && $0.neighbors.count <= 7) })
    }

    @Test("sensitivity at the default tempo weight: tenure moves the own-cluster score in small steps, and moves it; deterministic")
    func smoothTenureResponse() throws {
        let (people, projector) = tempoModel(tempoWeight: Float(MetricWeights().tempo))
        let factor = SensitivityFactor(
            name: "tenure", unit: "month",
            steps: stride(from: -24, through: 24, by: 6).map { ("\($0)", Double($0), $0 == 0 ? nil : CareerVariation.tenure(months: $0)) })
        let reference = projector.tempo!.scale.reference
        var moved = 0
        for person in people.prefix(30) where !person.positions.isEmpty {
            let (steps, summaries) = Sensitivity.analyse(person, factors: [factor], projector: projector, scratch: projector.makeScratch(), reference: reference)
            let again = Sensitivity.analyse(person, factors: [factor], projector: projector, scratch: projector.makeScratch(), reference: reference)
            #expect(steps == again.steps && summaries == again.summaries)
            let summary = try #require(summaries.first)
            #expect(summary.largestStepChange <= 0.1)
            if summary.largestStepChange > 1e-4 { moved += 1 }
            #expect(steps.count == 9 && steps.allSatisfy { $0.ownCluster == steps[4].assignment.cluster })
            #expect(steps[4].neighborOverlap == 1)
        }
        #expect(moved > 0)
    }
}
