import KindredCore
import KindredPeople
import KindredSimilarity

/// Projects clean people onto a clustered sample: TF-IDF vector with the model's vocabulary and idf,
/// scores against every cluster's centroid, then the nearest centroid or a k-NN vote among the labelled
/// sample people of the best-scoring clusters: in the TF-IDF space when the model has one (format 3),
/// else in its LSA embedding (unit length, OpenBLAS `sgemm` tiles). No I/O; one block of people per call, so callers run
/// blocks in parallel, each with its own `ProjectorScratch`.
///
/// Every person's answer depends only on that person and the model, never on the block it came in,
/// the thread count or the shard: ties go to the smaller cluster id and, among neighbours, to the
/// smaller sample row.
public struct Projector: Sendable {
    public let vectorizer: PeopleVectorizer
    public let basis: LSAModel
    public let index: ProjectionIndex
    public let method: ProjectionMethod
    /// Neighbours that vote (vote method).
    public let k: Int
    /// Nearest clusters whose members are searched (vote method); 0 searches every cluster (exact).
    public let probes: Int
    /// Career tempo beside the text (nil: text alone), as the model's metric weighs it.
    public let tempo: ProjectionTempo?
    let columns: [String: UInt32]
    /// The members' TF-IDF entries by feature and cluster (the term vote's; nil for other projectors).
    let postings: ClusterPostings?

    public init(
        vectorizer: PeopleVectorizer, basis: LSAModel, index: ProjectionIndex, method: ProjectionMethod, k: Int = ProjectionSettings().k,
        probes: Int = ProjectionSettings().probes, tempo: ProjectionTempo? = nil
    ) {
        precondition(basis.dimensions == index.dimensions, "basis and index dimensions differ")
        precondition(basis.featureCount == vectorizer.vocabulary.count, "basis rows must match the vocabulary")
        precondition(index.terms.map { $0.centroids.featureCount == vectorizer.vocabulary.count } ?? true, "the TF-IDF space must match the vocabulary")
        self.vectorizer = vectorizer
        self.basis = basis
        self.index = index
        self.method = method
        self.k = max(1, k)
        self.probes = probes <= 0 ? index.clusterCount : min(probes, index.clusterCount)
        precondition(tempo.map { $0.members.count == index.memberCount } ?? true, "one tempo per index member")
        self.tempo = tempo
        columns = vectorizer.columnIndex
        postings = method == .vote ? index.terms.map { ClusterPostings(members: $0.members, memberOffsets: index.memberOffsets) } : nil
    }

    /// A scratch area for one worker (buffers grow to the largest block seen, then stay).
    public func makeScratch() -> ProjectorScratch { ProjectorScratch() }

    /// The assignments of `people`, in their order.
    public func assign(_ people: ArraySlice<Person>, scratch: ProjectorScratch) -> [Assignment] {
        let b = people.count
        guard b > 0 else { return [] }
        let d = index.dimensions
        let clusters = index.clusterCount
        var out = [Assignment](repeating: .unassigned(.noFeatures), count: b)
        let vectors = vectorizer.transform(people, columns: columns, cache: &scratch.features)
        scratch.reserve(block: b, dimensions: d, clusters: clusters, k: k + slack, probes: probes)
        let e = scratch.embedding
        scratch.queryTempo.removeAll(keepingCapacity: true)
        if let tempo { for person in people { scratch.queryTempo.append(tempo.standardized(person)) } }
        // 1. Embed: row · basis, scaled to unit length (models of format 2 only: with a TF-IDF space,
        //    both methods work on the TF-IDF vectors themselves).
        var live = [Bool](repeating: false, count: b)
        let terms = index.terms
        let embeds = terms == nil
        basis.basis.withUnsafeBufferPointer { v in
            for (r, person) in people.enumerated() {
                let start = vectors.offsets[r]
                let end = vectors.offsets[r + 1]
                if start == end {
                    let hasAny = !person.skills.isEmpty || person.positions.contains { !$0.title.isEmpty }
                    out[r] = .unassigned(hasAny ? .unknownFeatures : .noFeatures)
                    continue
                }
                guard embeds else {
                    live[r] = true
                    continue
                }
                let row = e + r * d
                row.update(repeating: 0, count: d)
                for i in start..<end {
                    let w = vectors.values[i]
                    let base = Int(vectors.columns[i]) * d
                    for c in 0..<d { row[c] += w * v[base + c] }
                }
                var norm: Float = 0
                for c in 0..<d { norm += row[c] * row[c] }
                if norm <= 0 {
                    out[r] = .unassigned(.unknownFeatures)
                    continue
                }
                let scale = 1 / norm.squareRoot()
                for c in 0..<d { row[c] *= scale }
                live[r] = true
            }
        }
        guard clusters > 0 else {
            for r in 0..<b where live[r] { out[r] = .unassigned(.noSimilarPeople) }
            return out
        }
        // 2. Scores against every centroid, each computed from the person alone in a fixed order (so the
        //    nearest clusters and the probe lists never depend on the block a person came in): the
        //    cosine with the TF-IDF centroids when the index has them, else with the embedded ones.
        let s = scratch.scores
        if let terms {
            vectors.columns.withUnsafeBufferPointer { columns in
                vectors.values.withUnsafeBufferPointer { values in
                    for r in 0..<b where live[r] {
                        let range = vectors.offsets[r]..<vectors.offsets[r + 1]
                        terms.centroids.score(
                            columns: UnsafeBufferPointer(rebasing: columns[range]), values: UnsafeBufferPointer(rebasing: values[range]),
                            into: s + r * clusters, clusterCount: clusters)
                    }
                }
            }
        } else {
            index.centroids.withUnsafeBufferPointer { c in
                for r in 0..<b where live[r] {
                    let row = e + r * d
                    for j in 0..<clusters { s[r * clusters + j] = Projector.dot(row, c.baseAddress! + j * d, d) }
                }
            }
        }
        // With tempo, a centroid's score is the combined one (the cluster's mean tempo).
        if let tempo {
            for r in 0..<b where live[r] && !scratch.queryTempo[r].x.isNaN {
                let z = scratch.queryTempo[r]
                for j in 0..<clusters { s[r * clusters + j] = tempo.score(text: s[r * clusters + j], query: z, other: tempo.clusterMeans[j]) }
            }
        }
        if scratch.capturesDetail {
            scratch.clusterScores = (0..<b).map { r in live[r] ? Array(UnsafeBufferPointer(start: s + r * clusters, count: clusters)) : [] }
            scratch.neighbors = Array(repeating: [], count: b)
        }
        switch method {
        case .centroid:
            for r in 0..<b where live[r] {
                let row = s + r * clusters
                var best = 0
                var second = -1
                for c in 1..<clusters {
                    if row[c] > row[best] {
                        second = best
                        best = c
                    } else if second < 0 || row[c] > row[second] {
                        second = c
                    }
                }
                if row[best] <= 0 {
                    out[r] = .unassigned(.noSimilarPeople)
                } else {
                    out[r] = Assignment(
                        cluster: index.clusterIDs[best], confidence: min(row[best], 1),
                        second: second >= 0 && row[second] > 0 ? index.clusterIDs[second] : nil, reason: nil)
                }
            }
        case .vote:
            if let postings {
                termVote(postings, vectors: vectors, block: b, live: live, scratch: scratch, into: &out)
            } else {
                vote(block: b, live: live, scratch: scratch, into: &out)
            }
        }
        return out
    }

    /// `assign`, with what lies behind each answer: the score against every cluster's centroid (text
    /// cosine, combined with tempo as the vote's) and the sample rows of the vote's neighbours.
    public func detail(_ people: ArraySlice<Person>, scratch: ProjectorScratch) -> [ProjectionDetail] {
        scratch.capturesDetail = true
        scratch.clusterScores = []
        scratch.neighbors = []
        defer { scratch.capturesDetail = false }
        let assignments = assign(people, scratch: scratch)
        return assignments.indices.map { r in
            ProjectionDetail(
                assignment: assignments[r], clusterScores: r < scratch.clusterScores.count ? scratch.clusterScores[r] : [],
                neighbors: r < scratch.neighbors.count ? scratch.neighbors[r] : [])
        }
    }

    /// The position of cluster `id` in the index (its row of centroids), nil when the model has no such cluster.
    public func clusterPosition(_ id: Int32) -> Int? {
        var lo = 0
        var hi = index.clusterCount
        while lo < hi {
            let mid = (lo + hi) / 2
            if index.clusterIDs[mid] < id { lo = mid + 1 } else { hi = mid }
        }
        return lo < index.clusterCount && index.clusterIDs[lo] == id ? lo : nil
    }

    /// The k-NN vote: each live row searches the members of its `probes` nearest clusters.
    private func vote(block b: Int, live: [Bool], scratch: ProjectorScratch, into out: inout [Assignment]) {
        let d = index.dimensions
        let clusters = index.clusterCount
        let p = probes
        let probeList = scratch.probeList
        let counts = probeBuckets(block: b, live: live, scratch: scratch)
        let rowsOf = scratch.rowsOfCluster
        // Top-k' per row by sgemm score (k' = k + slack), kept sorted, best first; re-scored exactly below.
        let kk = k + slack
        let topScore = scratch.topScores
        let topRow = scratch.topRows
        topScore.update(repeating: -.infinity, count: b * kk)
        topRow.update(repeating: .max, count: b * kk)
        let gathered = scratch.gathered
        let tile = scratch.tile
        let tileColumns = ProjectorScratch.tileColumns
        let e = scratch.embedding
        // Tempo, read through spans taken once: the query tempos of the block and the members'.
        let queryTempo = scratch.queryTempo
        let memberTempo = tempo?.members ?? []
        let (textWeight, tempoWeight) = (tempo?.textWeight ?? 1, tempo?.tempoWeight ?? 0)
        let invTotal = 1 / (textWeight + tempoWeight)
        queryTempo.withUnsafeBufferPointer { zs in memberTempo.withUnsafeBufferPointer { mt in
        index.members.withUnsafeBufferPointer { m in
            for c in 0..<clusters {
                let m0 = counts[c]
                let queries = counts[c + 1] - m0
                guard queries > 0 else { continue }
                for q in 0..<queries {
                    (gathered + q * d).update(from: e + Int(rowsOf[m0 + q]) * d, count: d)
                }
                var start = index.memberOffsets[c]
                let end = index.memberOffsets[c + 1]
                while start < end {
                    let width = min(tileColumns, end - start)
                    BLAS.sgemm(
                        transposeB: true, m: queries, n: width, k: d, a: gathered, lda: d, b: m.baseAddress! + start * d, ldb: d, c: tile,
                        ldc: width)
                    for q in 0..<queries {
                        let r = Int(rowsOf[m0 + q])
                        let scores = topScore + r * kk
                        let rows = topRow + r * kk
                        let line = tile + q * width
                        let z = zs.isEmpty ? SIMD4<Float>(repeating: .nan) : zs[r]
                        let withTempo = !z.x.isNaN
                        for j in 0..<width {
                            var score = line[j]
                            let member = UInt32(start + j)
                            // Rows are offered in ascending member order within a cluster, but clusters in
                            // any order: compare (score, row) fully.
                            let last = kk - 1
                            if withTempo {
                                // The combined score (its tempo part exact); skipped early when even a
                                // perfect tempo match could not enter the list.
                                if (textWeight * score + tempoWeight) * invTotal + 1e-6 < scores[last] { continue }
                                score = ProjectionTempo.combine(text: score, query: z, other: mt[start + j], textWeight: textWeight, tempoWeight: tempoWeight)
                            }
                            if score < scores[last] || (score == scores[last] && member > rows[last]) { continue }
                            var pos = last
                            while pos > 0 && (score > scores[pos - 1] || (score == scores[pos - 1] && member < rows[pos - 1])) {
                                scores[pos] = scores[pos - 1]
                                rows[pos] = rows[pos - 1]
                                pos -= 1
                            }
                            scores[pos] = score
                            rows[pos] = member
                        }
                    }
                    start += width
                }
            }
        }
        } }
        // Exact re-scoring: sgemm's last bits depend on how queries were grouped into tiles, so the
        // final k neighbours are chosen by exact dot products among every candidate within `epsilon`
        // of the k-th sgemm score (a row whose list is full of such near-ties is searched exactly).
        let weights = scratch.clusterWeights
        var exact: [(Float, UInt32)] = []
        var touched: [Int] = []
        index.members.withUnsafeBufferPointer { m in
            for r in 0..<b where live[r] {
                let query = e + r * d
                let scores = topScore + r * kk
                let rows = topRow + r * kk
                exact.removeAll(keepingCapacity: true)
                let kth = scores[k - 1]
                // With tempo, the list holds combined scores whose tempo part is exact and whose text
                // part is sgemm's (error ≤ 1e-6 · w_text / w): the same near-tie rule holds.
                let z = tempo == nil ? SIMD4<Float>(repeating: .nan) : scratch.queryTempo[r]
                func exactScore(_ member: Int) -> Float {
                    let text = Projector.dot(query, m.baseAddress! + member * d, d)
                    guard let tempo, !z.x.isNaN else { return text }
                    return tempo.score(text: text, query: z, other: tempo.members[member])
                }
                if scores[kk - 1] != -.infinity && scores[kk - 1] >= kth - Projector.epsilon {
                    // Saturated with near-ties: every member of the probed clusters, exactly.
                    for j in 0..<p {
                        let c = Int(probeList[r * p + j])
                        for member in index.memberOffsets[c]..<index.memberOffsets[c + 1] { exact.append((exactScore(member), UInt32(member))) }
                    }
                } else {
                    for j in 0..<kk where rows[j] != .max && scores[j] >= kth - Projector.epsilon {
                        exact.append((exactScore(Int(rows[j])), rows[j]))
                    }
                }
                exact.sort { $0.0 > $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
                if scratch.capturesDetail { scratch.neighbors[r] = exact.prefix(k).filter { $0.0 > 0 }.map(\.1) }
                out[r] = tally(exact.prefix(k), weights: weights, touched: &touched)
            }
        }
    }

    /// The vote of a row's k nearest (score, member), best first: each cluster's share of the positive
    /// scores; ties to the smaller cluster position. `weights` (one per cluster, all 0) is left all 0.
    private func tally(_ nearest: ArraySlice<(Float, UInt32)>, weights: UnsafeMutablePointer<Float>, touched: inout [Int]) -> Assignment {
        var total: Float = 0
        touched.removeAll(keepingCapacity: true)
        for (score, member) in nearest where score > 0 {
            let c = clusterOfMember(Int(member))
            if weights[c] == 0 { touched.append(c) }
            weights[c] += score
            total += score
        }
        guard total > 0 else { return .unassigned(.noSimilarPeople) }
        var best = -1
        var second = -1
        touched.sort()
        for c in touched {
            if best < 0 || weights[c] > weights[best] {
                second = best
                best = c
            } else if second < 0 || weights[c] > weights[second] {
                second = c
            }
        }
        let answer = Assignment(
            cluster: index.clusterIDs[best], confidence: min(weights[best] / total, 1), second: second >= 0 ? index.clusterIDs[second] : nil,
            reason: nil)
        for c in touched { weights[c] = 0 }
        return answer
    }

    /// The k-NN vote in the TF-IDF space: each live row's k nearest members among its `probes` best
    /// clusters by exact sparse dot products, combined with tempo as in `vote`. The block is worked
    /// through cluster by cluster (the rows that probe a cluster one after another, while its entries
    /// are in cache), each row keeping its k best (score desc, member asc) across its clusters: the
    /// same k whatever the order. A row's dot products with a cluster's members are summed feature by
    /// feature in the row's column order, through the feature's slot in the cluster (`ClusterPostings`:
    /// a dense row added to every member, or the members that have it), so a member's sum runs over
    /// the shared features in column order and depends on nothing else.
    private func termVote(
        _ postings: ClusterPostings, vectors: SparseVectors, block b: Int, live: [Bool], scratch: ProjectorScratch, into out: inout [Assignment]
    ) {
        let clusters = index.clusterCount
        let weights = scratch.clusterWeights
        let acc = scratch.memberScores(members: index.memberCount)
        let counts = probeBuckets(block: b, live: live, scratch: scratch)
        let rowsOf = scratch.rowsOfCluster
        var inverse = [Float](repeating: 0, count: b)
        for r in 0..<b where live[r] {
            var norm: Float = 0
            for i in vectors.offsets[r]..<vectors.offsets[r + 1] { norm += vectors.values[i] * vectors.values[i] }
            inverse[r] = 1 / norm.squareRoot()
        }
        // Each row's k best so far, sorted, best first; empty places hold (-inf, max).
        let topScore = scratch.topScores
        let topRow = scratch.topRows
        topScore.update(repeating: -.infinity, count: b * k)
        topRow.update(repeating: .max, count: b * k)
        let memberTempo = tempo?.members ?? []
        let (textWeight, tempoWeight) = (tempo?.textWeight ?? 1, tempo?.tempoWeight ?? 0)
        let invTotal = 1 / (textWeight + tempoWeight)
        let featureCount = postings.featureCount
        postings.slotOffsets.withUnsafeBufferPointer { so in
        postings.slots.withUnsafeBufferPointer { slots in
        postings.denseValues.withUnsafeBufferPointer { dv in
        postings.sparseMembers.withUnsafeBufferPointer { sm in
        postings.sparseValues.withUnsafeBufferPointer { sv in
        vectors.columns.withUnsafeBufferPointer { columns in
        vectors.values.withUnsafeBufferPointer { values in
        scratch.queryTempo.withUnsafeBufferPointer { zs in
        memberTempo.withUnsafeBufferPointer { mt in
            for c in 0..<clusters where counts[c + 1] > counts[c] {
                let cluster = UInt32(c)
                let first = index.memberOffsets[c]
                let end = index.memberOffsets[c + 1]
                let size = end - first
                let memberScores = acc + first
                for q in counts[c]..<counts[c + 1] {
                    let r = Int(rowsOf[q])
                    let rowInverse = inverse[r]
                    // Text scores of the cluster's members, feature by feature.
                    for i in vectors.offsets[r]..<vectors.offsets[r + 1] {
                        let f = Int(columns[i])
                        guard f < featureCount else { continue }
                        var lo = so[f]
                        var hi = so[f + 1]
                        while lo < hi {
                            let mid = (lo + hi) / 2
                            if slots[mid].cluster < cluster { lo = mid + 1 } else { hi = mid }
                        }
                        guard lo < so[f + 1], slots[lo].cluster == cluster else { continue }
                        let slot = slots[lo]
                        let w = values[i] * rowInverse
                        if slot.dense {
                            let row = dv.baseAddress! + slot.start
                            for m in 0..<size { memberScores[m] += w * row[m] }
                        } else {
                            for e in slot.start..<(slot.start + slot.count) { acc[Int(sm[e])] += w * sv[e] }
                        }
                    }
                    // Every member is offered (tempo may lift one that shares no feature), and its score
                    // cleared. Eight at a time are passed over when none of them could enter the row's
                    // list (the same test as one by one); until the list is full its last score is -inf.
                    let z = zs.isEmpty ? SIMD4<Float>(repeating: .nan) : zs[r]
                    let withTempo = !z.x.isNaN
                    let scores = topScore + r * k
                    let rows = topRow + r * k
                    let last = k - 1
                    var member = first
                    while member < end {
                        if member + 8 <= end {
                            let kth = SIMD8<Float>(repeating: scores[last])
                            let text = UnsafeRawPointer(acc + member).loadUnaligned(as: SIMD8<Float>.self)
                            let bound = withTempo ? (textWeight * text + tempoWeight) * invTotal + 1e-6 : text
                            if all(bound .< kth) {
                                (acc + member).update(repeating: 0, count: 8)
                                member += 8
                                continue
                            }
                        }
                        var score = acc[member]
                        acc[member] = 0
                        let id = UInt32(member)
                        member += 1
                        if withTempo {
                            // Skipped before the exponential when even a perfect tempo match could not
                            // enter the list (the bound is above the combined score by 1e-6).
                            if (textWeight * score + tempoWeight) * invTotal + 1e-6 < scores[last] { continue }
                            score = ProjectionTempo.combine(text: score, query: z, other: mt[Int(id)], textWeight: textWeight, tempoWeight: tempoWeight)
                        }
                        if score < scores[last] || (score == scores[last] && id > rows[last]) { continue }
                        var pos = last
                        while pos > 0 && (score > scores[pos - 1] || (score == scores[pos - 1] && id < rows[pos - 1])) {
                            scores[pos] = scores[pos - 1]
                            rows[pos] = rows[pos - 1]
                            pos -= 1
                        }
                        scores[pos] = score
                        rows[pos] = id
                    }
                }
            }
        } } } } } } } } }
        var nearest: [(Float, UInt32)] = []
        nearest.reserveCapacity(k)
        var touched: [Int] = []
        for r in 0..<b where live[r] {
            nearest.removeAll(keepingCapacity: true)
            for j in 0..<k where topRow[r * k + j] != .max { nearest.append((topScore[r * k + j], topRow[r * k + j])) }
            if scratch.capturesDetail { scratch.neighbors[r] = nearest.filter { $0.0 > 0 }.map(\.1) }
            out[r] = tally(nearest[...], weights: weights, touched: &touched)
        }
    }

    /// The vote's probe lists: each live row's p best clusters (score desc, position asc) into
    /// `scratch.probeList` (row-major), and the rows bucketed by cluster into `scratch.rowsOfCluster`
    /// (cluster c's rows, ascending, at `counts[c]..<counts[c+1]`). Returns `counts`.
    private func probeBuckets(block b: Int, live: [Bool], scratch: ProjectorScratch) -> [Int] {
        let clusters = index.clusterCount
        let p = probes
        let probeList = scratch.probeList
        var counts = [Int](repeating: 0, count: clusters + 1)
        for r in 0..<b where live[r] {
            let chosen = probeList + r * p
            Projector.bestClusters(scratch.scores + r * clusters, clusters: clusters, p: p, into: chosen)
            for j in 0..<p { counts[Int(chosen[j]) + 1] += 1 }
        }
        for c in 0..<clusters { counts[c + 1] += counts[c] }
        var cursor = counts
        for r in 0..<b where live[r] {
            for j in 0..<p {
                let c = Int(probeList[r * p + j])
                scratch.rowsOfCluster[cursor[c]] = Int32(r)
                cursor[c] += 1
            }
        }
        return counts
    }

    /// The positions of the p best of `clusters` scores (score desc, position asc; p ≤ clusters).
    @inline(__always)
    static func bestClusters(_ row: UnsafePointer<Float>, clusters: Int, p: Int, into chosen: UnsafeMutablePointer<Int32>) {
        var filled = 0
        for c in 0..<clusters {
            let score = row[c]
            if filled == p && score <= row[Int(chosen[p - 1])] { continue }
            var pos = min(filled, p - 1)
            if filled < p { filled += 1 }
            while pos > 0 && score > row[Int(chosen[pos - 1])] {
                chosen[pos] = chosen[pos - 1]
                pos -= 1
            }
            chosen[pos] = Int32(c)
        }
    }

    /// Extra sgemm candidates kept per row for the exact re-scoring.
    var slack: Int { 16 }
    /// Candidates this close to the k-th sgemm score are re-scored (sgemm's rounding is ~1e-6).
    static let epsilon: Float = 1e-4

    /// a · b over d floats in a fixed order (8 lanes, then the tail; lanes summed in order): the same
    /// bits for the same vectors, wherever it is called.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ d: Int) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= d {
            let x = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
            let y = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            acc += x * y
            i += 8
        }
        var sum: Float = 0
        for lane in 0..<8 { sum += acc[lane] }
        while i < d {
            sum += a[i] * b[i]
            i += 1
        }
        return sum
    }

    /// The cluster (position) a member row belongs to.
    func clusterOfMember(_ row: Int) -> Int {
        var lo = 0
        var hi = index.clusterCount - 1
        let offsets = index.memberOffsets
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if offsets[mid] <= row { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }
}

/// One projected person with the scores behind the answer (`Projector.detail`).
public struct ProjectionDetail: Sendable, Equatable {
    public var assignment: Assignment
    /// Score against each cluster, in index order (`ProjectionIndex.clusterIDs`); empty when unassigned
    /// for want of features.
    public var clusterScores: [Float]
    /// Index member rows of the vote's neighbours, best first (empty for the centroid method).
    public var neighbors: [UInt32]
}

/// Per-worker buffers of `Projector.assign` (allocated once, grown when a block needs more). One per
/// worker, never shared.
public final class ProjectorScratch: @unchecked Sendable {
    static let tileColumns = 2048
    private(set) var embedding = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private(set) var scores = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private(set) var probeList = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    private(set) var rowsOfCluster = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    private(set) var topScores = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private(set) var topRows = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
    private(set) var gathered = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private(set) var tile = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private(set) var clusterWeights = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    /// A member-indexed array of zeros (the term vote sums members' scores into it and clears them).
    private var memberScoreBuffer = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private var memberScoreCount = 0

    func memberScores(members: Int) -> UnsafeMutablePointer<Float> {
        if members > memberScoreCount {
            memberScoreBuffer.deallocate()
            memberScoreBuffer = .allocate(capacity: max(1, members))
            memberScoreBuffer.initialize(repeating: 0, count: max(1, members))
            memberScoreCount = members
        }
        return memberScoreBuffer
    }

    /// Standardised tempo of the block's people (projectors with tempo).
    var queryTempo: [SIMD4<Float>] = []
    /// The feature columns of each distinct title and skill text this worker has vectorised (bounded: the
    /// most common texts come first, and 20,000 of each kind hold them; more cost memory, not time).
    var features = FeatureColumnCache(limit: 20_000)
    /// When set, `assign` keeps each person's combined centroid scores and vote neighbours (`detail`).
    var capturesDetail = false
    var clusterScores: [[Float]] = []
    var neighbors: [[UInt32]] = []
    private var block = 0
    private var shape = (d: 0, clusters: 0, k: 0, probes: 0)

    init() {}

    func reserve(block b: Int, dimensions d: Int, clusters: Int, k: Int, probes: Int) {
        guard b > block || shape != (d, clusters, k, probes) else { return }
        release()
        block = max(b, block)
        shape = (d, clusters, k, probes)
        let n = block
        embedding = .allocate(capacity: max(1, n * d))
        scores = .allocate(capacity: max(1, n * clusters))
        probeList = .allocate(capacity: max(1, n * probes))
        rowsOfCluster = .allocate(capacity: max(1, n * probes))
        topScores = .allocate(capacity: max(1, n * k))
        topRows = .allocate(capacity: max(1, n * k))
        gathered = .allocate(capacity: max(1, n * d))
        tile = .allocate(capacity: max(1, n * ProjectorScratch.tileColumns))
        clusterWeights = .allocate(capacity: max(1, clusters))
        clusterWeights.initialize(repeating: 0, count: max(1, clusters))
    }

    private func release() {
        for p in [embedding, scores, gathered, tile, topScores, clusterWeights] { p.deallocate() }
        probeList.deallocate()
        rowsOfCluster.deallocate()
        topRows.deallocate()
    }

    deinit {
        release()
        memberScoreBuffer.deallocate()
    }
}
