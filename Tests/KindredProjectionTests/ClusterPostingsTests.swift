import KindredCore
import KindredPeople
import KindredSimilarity
import PropertyBased
import Testing

@testable import KindredProjection

/// Random unit-length sparse rows over `features` columns, some columns far more common than others
/// (so that clusters get both dense and sparse slots).
private func skewedUnitRows(rows: Int, features: Int, using rng: inout SeededGenerator) -> SparseVectors {
    var offsets = [0]
    var columns: [UInt32] = []
    var values: [Float] = []
    for _ in 0..<rows {
        var chosen = Set<UInt32>()
        for _ in 0..<Int.random(in: 1...7, using: &rng) {
            // Squaring a uniform draw favours the low columns.
            let u = Double.random(in: 0..<1, using: &rng)
            chosen.insert(UInt32(Double(features) * u * u))
        }
        let sorted = chosen.sorted()
        let raw = sorted.map { _ in Float.random(in: 0.05...2, using: &rng) }
        let norm = raw.reduce(0) { $0 + $1 * $1 }.squareRoot()
        columns += sorted
        values += raw.map { $0 / norm }
        offsets.append(columns.count)
    }
    return SparseVectors(offsets: offsets, columns: columns, values: values, columnCount: features)
}

/// Random cluster boundaries over `members` rows (each cluster at least one member).
private func randomOffsets(members: Int, using rng: inout SeededGenerator) -> [Int] {
    var offsets = [0]
    while offsets.last! < members { offsets.append(min(members, offsets.last! + Int.random(in: 1...40, using: &rng))) }
    return offsets
}

/// Random members (some features far more common than others) in random clusters, and their postings.
private func randomCase(using rng: inout SeededGenerator) -> (features: Int, members: SparseVectors, offsets: [Int], postings: ClusterPostings) {
    let features = Int.random(in: 1...60, using: &rng)
    let members = skewedUnitRows(rows: Int.random(in: 1...200, using: &rng), features: features, using: &rng)
    let offsets = randomOffsets(members: members.rowCount, using: &rng)
    return (features, members, offsets, ClusterPostings(members: members, memberOffsets: offsets))
}

@Suite struct ClusterPostingsTests {
    @Test("every member entry is in its cluster's slot for the feature once (dense exactly when common enough), and nothing else is")
    func holdsEveryEntryOnce() async {
        await propertyCheck(count: 100, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var rng = SeededGenerator(seed: seed)
            let (features, members, offsets, postings) = randomCase(using: &rng)
            #expect(postings.featureCount == features)
            // What the slots hold, rebuilt as (member, feature) → value.
            var held: [Int: Float] = [:]
            for f in 0..<features {
                let range = postings.slotOffsets[f]..<postings.slotOffsets[f + 1]
                #expect(zip(range, range.dropFirst()).allSatisfy { postings.slots[$0].cluster < postings.slots[$1].cluster })
                for s in range {
                    let slot = postings.slots[s]
                    let c = Int(slot.cluster)
                    let size = offsets[c + 1] - offsets[c]
                    #expect(slot.dense == (Double(slot.count) >= ClusterPostings.denseShare * Double(size)))
                    if slot.dense {
                        var nonzero = 0
                        for j in 0..<size where postings.denseValues[slot.start + j] != 0 {
                            nonzero += 1
                            #expect(held.updateValue(postings.denseValues[slot.start + j], forKey: (offsets[c] + j) * features + f) == nil)
                        }
                        #expect(nonzero == slot.count)
                    } else {
                        let run = slot.start..<(slot.start + slot.count)
                        #expect(zip(run, run.dropFirst()).allSatisfy { postings.sparseMembers[$0] < postings.sparseMembers[$1] })
                        for e in run {
                            let m = Int(postings.sparseMembers[e])
                            #expect(m >= offsets[c] && m < offsets[c + 1])
                            #expect(held.updateValue(postings.sparseValues[e], forKey: m * features + f) == nil)
                        }
                    }
                }
            }
            var expected: [Int: Float] = [:]
            for m in 0..<members.rowCount {
                for e in members.offsets[m]..<members.offsets[m + 1] { expected[m * features + Int(members.columns[e])] = members.values[e] }
            }
            #expect(held == expected)
            #expect(postings.denseValues.count == (0..<(offsets.count - 1)).reduce(0) { total, c in
                total + (postings.slots.filter { Int($0.cluster) == c && $0.dense }.count) * (offsets[c + 1] - offsets[c])
            })
        }
    }

    @Test("sums through the slots have the bits of the sparse dot product in column order, dense rows included")
    func sumsHaveTheSparseBits() async {
        await propertyCheck(count: 100, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var rng = SeededGenerator(seed: seed)
            let (features, members, offsets, postings) = randomCase(using: &rng)
            let queries = skewedUnitRows(rows: 4, features: features, using: &rng)
            for q in 0..<queries.rowCount {
                let range = queries.offsets[q]..<queries.offsets[q + 1]
                for c in 0..<(offsets.count - 1) {
                    var scores = [Float](repeating: 0, count: members.rowCount)
                    for i in range {
                        let f = Int(queries.columns[i])
                        let w = queries.values[i]
                        for s in postings.slotOffsets[f]..<postings.slotOffsets[f + 1] where Int(postings.slots[s].cluster) == c {
                            let slot = postings.slots[s]
                            if slot.dense {
                                for j in 0..<(offsets[c + 1] - offsets[c]) { scores[offsets[c] + j] += w * postings.denseValues[slot.start + j] }
                            } else {
                                for e in slot.start..<(slot.start + slot.count) { scores[Int(postings.sparseMembers[e])] += w * postings.sparseValues[e] }
                            }
                        }
                    }
                    for m in offsets[c]..<offsets[c + 1] {
                        // The merge of the two rows, shared columns in order.
                        var dot: Float = 0
                        var a = range.lowerBound
                        var b = members.offsets[m]
                        while a < range.upperBound && b < members.offsets[m + 1] {
                            if queries.columns[a] < members.columns[b] { a += 1 } else if queries.columns[a] > members.columns[b] { b += 1 } else {
                                dot += queries.values[a] * members.values[b]
                                a += 1
                                b += 1
                            }
                        }
                        #expect(scores[m].bitPattern == dot.bitPattern)
                    }
                }
            }
        }
    }

    @Test("the term vote over dense and sparse slots finds the brute-force k nearest members, whatever the probes and the block")
    func termVoteMatchesBruteForce() {
        var rng = SeededGenerator(seed: 11)
        // 12 groups of people: each group's own common skills plus rare ones drawn from a long tail.
        var people: [Person] = []
        var labels: [Int32] = []
        for i in 0..<360 {
            let g = i % 12
            var skills = (0..<4).filter { _ in Bool.random(using: &rng) }.map { "common \(g)-\($0)" }
            for _ in 0..<Int.random(in: 0...3, using: &rng) { skills.append("rare \(Int.random(in: 0..<400, using: &rng))") }
            if skills.isEmpty { skills = ["common \(g)-0"] }
            var p = Person(id: "p\(i)")
            p.skills = skills
            people.append(p)
            labels.append(Int32(g))
        }
        var vectorizer = PeopleVectorizer()
        let vectors = vectorizer.fitTransform(people)
        let lsa = LSAModel.fit(vectors, dimensions: 8, seed: 1)
        let (embedded, rows) = ProjectionIndex.buildWithRows(embedding: lsa.embed(vectors), labels: labels)
        let index = embedded.with(terms: TermSpace.build(vectors: vectors, rows: rows, memberOffsets: embedded.memberOffsets))
        let k = 6
        let exact = Projector(vectorizer: vectorizer, basis: lsa, index: index, method: .vote, k: k, probes: 0)
        let postings = exact.postings!
        #expect(postings.slots.contains { $0.dense } && postings.slots.contains { !$0.dense })
        let details = exact.detail(people[...], scratch: exact.makeScratch())
        let members = index.terms!.members
        let queries = vectorizer.transform(people)
        for (r, detail) in details.enumerated() {
            var q: [UInt32: Float] = [:]
            for i in queries.offsets[r]..<queries.offsets[r + 1] { q[queries.columns[i]] = queries.values[i] }
            let norm = q.values.reduce(0) { $0 + $1 * $1 }.squareRoot()
            var scored: [(Float, Int)] = (0..<index.memberCount).map { j in
                ((members.offsets[j]..<members.offsets[j + 1]).reduce(Float(0)) { $0 + members.values[$1] * (q[members.columns[$1]] ?? 0) / norm }, j)
            }
            scored.sort { $0.0 > $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
            let expected = scored.prefix(k).filter { $0.0 > 0 }
            #expect(detail.neighbors.count == expected.count)
            // The same neighbours' scores, up to float rounding among exact ties.
            for (n, e) in zip(detail.neighbors, expected) { #expect(abs(scored.first { $0.1 == Int(n) }!.0 - e.0) < 1e-5) }
        }
        // Fewer probes, and the people in other blocks: the same answers as one block.
        let probed = Projector(vectorizer: vectorizer, basis: lsa, index: index, method: .vote, k: k, probes: 3)
        let whole = probed.assign(people[...], scratch: probed.makeScratch())
        let scratch = probed.makeScratch()
        var pieces: [Assignment] = []
        var start = 0
        for size in [1, 50, 9, 100, 200] {
            pieces += probed.assign(people[start..<(start + size)], scratch: scratch)
            start += size
        }
        #expect(pieces == whole)
    }
}
