import Foundation
import KindredCore
import KindredPeople

/// A field of the people metric.
public enum MetricField: String, CaseIterable, Sendable {
    case skills, titles, tempo, location

    /// Every field, made once (`allCases` builds a new array at each call, too dear in a pair loop).
    static let all: [MetricField] = allCases
    /// The fields beyond the text vector.
    static let beyondText: [MetricField] = [.tempo, .location]
}

/// What the metric needs of one person: unit-length skills and titles blocks, standardised career
/// tempo, and location ids. Nil or empty means the field is missing for this person.
public struct PersonProfile: Sendable, Equatable {
    public var skills: [UInt32] = []
    public var skillWeights: [Float] = []
    public var titles: [UInt32] = []
    public var titleWeights: [Float] = []
    /// z-scores of (average tenure, job changes per year, years of experience, progression): `CareerTempo`.
    public var tempo: SIMD4<Float>?
    public var city: Int32 = -1
    public var region: Int32 = -1

    public func has(_ field: MetricField) -> Bool {
        switch field {
        case .skills: return !skills.isEmpty
        case .titles: return !titles.isEmpty
        case .tempo: return tempo != nil
        case .location: return city != -1  // −2: a place unknown at fit time (still compared by region)
        }
    }
}

extension PersonProfile {
    /// Calls `body` with a view of this profile's storage.
    func withView<R>(_ body: (ProfileView) -> R) -> R {
        skills.withUnsafeBufferPointer { s in
            skillWeights.withUnsafeBufferPointer { sw in
                titles.withUnsafeBufferPointer { t in
                    titleWeights.withUnsafeBufferPointer { tw in
                        body(ProfileView(skills: s, skillWeights: sw, titles: t, titleWeights: tw, tempo: tempo, city: city, region: region))
                    }
                }
            }
        }
    }
}

/// A profile read in place (buffers into storage that outlives it): what the pair loops compare.
struct ProfileView {
    var skills: UnsafeBufferPointer<UInt32>
    var skillWeights: UnsafeBufferPointer<Float>
    var titles: UnsafeBufferPointer<UInt32>
    var titleWeights: UnsafeBufferPointer<Float>
    var tempo: SIMD4<Float>?
    var city: Int32
    var region: Int32

    func has(_ field: MetricField) -> Bool {
        switch field {
        case .skills: return !skills.isEmpty
        case .titles: return !titles.isEmpty
        case .tempo: return tempo != nil
        case .location: return city != -1
        }
    }
}

/// Many profiles laid out flat (one buffer per field), so a pair loop reads them with no reference
/// counting. Owns its memory. Sendable by discipline: written only while it is built, read-only while
/// workers share it.
final class ProfileTable: @unchecked Sendable {
    private let skillOffsets: UnsafeMutableBufferPointer<Int>
    private let skillIDs: UnsafeMutableBufferPointer<UInt32>
    private let skillWeights: UnsafeMutableBufferPointer<Float>
    private let titleOffsets: UnsafeMutableBufferPointer<Int>
    private let titleIDs: UnsafeMutableBufferPointer<UInt32>
    private let titleWeights: UnsafeMutableBufferPointer<Float>
    private let tempo: UnsafeMutableBufferPointer<SIMD4<Float>?>
    private let places: UnsafeMutableBufferPointer<(Int32, Int32)>

    init(_ profiles: [PersonProfile]) {
        let n = profiles.count
        let skillCount = profiles.reduce(0) { $0 + $1.skills.count }
        let titleCount = profiles.reduce(0) { $0 + $1.titles.count }
        skillOffsets = .allocate(capacity: n + 1)
        titleOffsets = .allocate(capacity: n + 1)
        skillIDs = .allocate(capacity: max(1, skillCount))
        skillWeights = .allocate(capacity: max(1, skillCount))
        titleIDs = .allocate(capacity: max(1, titleCount))
        titleWeights = .allocate(capacity: max(1, titleCount))
        tempo = .allocate(capacity: max(1, n))
        places = .allocate(capacity: max(1, n))
        var s = 0
        var t = 0
        for (i, p) in profiles.enumerated() {
            skillOffsets[i] = s
            titleOffsets[i] = t
            for (j, id) in p.skills.enumerated() {
                skillIDs[s + j] = id
                skillWeights[s + j] = p.skillWeights[j]
            }
            for (j, id) in p.titles.enumerated() {
                titleIDs[t + j] = id
                titleWeights[t + j] = p.titleWeights[j]
            }
            s += p.skills.count
            t += p.titles.count
            (tempo.baseAddress! + i).initialize(to: p.tempo)
            places[i] = (p.city, p.region)
        }
        skillOffsets[n] = s
        titleOffsets[n] = t
    }

    deinit {
        for buffer in [skillOffsets, titleOffsets] { buffer.deallocate() }
        skillIDs.deallocate()
        skillWeights.deallocate()
        titleIDs.deallocate()
        titleWeights.deallocate()
        tempo.deallocate()
        places.deallocate()
    }

    /// The view of profile `i`.
    @inline(__always)
    subscript(i: Int) -> ProfileView {
        let s = skillOffsets[i]..<skillOffsets[i + 1]
        let t = titleOffsets[i]..<titleOffsets[i + 1]
        return ProfileView(
            skills: UnsafeBufferPointer(rebasing: skillIDs[s]), skillWeights: UnsafeBufferPointer(rebasing: skillWeights[s]),
            titles: UnsafeBufferPointer(rebasing: titleIDs[t]), titleWeights: UnsafeBufferPointer(rebasing: titleWeights[t]),
            tempo: tempo[i], city: places[i].0, region: places[i].1)
    }
}

/// One field's part in a pair's similarity.
public struct FieldContribution: Sendable, Equatable {
    public var field: MetricField
    /// The field's similarity s_f in [0, 1].
    public var similarity: Double
    /// w_f / Σ w over the fields both people have (0 when either lacks the field); for a query
    /// (`explain(_:_:missingEvidence:)`), over the fields the query has.
    public var share: Double
    /// share × similarity: the amounts add up to the pair's similarity.
    public var contribution: Double { share * similarity }
}

/// Why two people are similar: every field's contribution and the shared features behind them.
public struct SimilarityExplanation: Sendable, Equatable {
    public var similarity: Double
    public var fields: [FieldContribution]
    /// Shared skills with their part of the pair's similarity, largest first.
    public var sharedSkills: [(feature: String, contribution: Double)]
    /// Shared titles with their part of the pair's similarity, largest first.
    public var sharedTitles: [(feature: String, contribution: Double)]

    public static func == (a: SimilarityExplanation, b: SimilarityExplanation) -> Bool {
        a.similarity == b.similarity && a.fields == b.fields && a.sharedSkills.map(\.feature) == b.sharedSkills.map(\.feature)
            && a.sharedTitles.map(\.feature) == b.sharedTitles.map(\.feature)
    }
}

/// The people metric the analyst configures (`MetricWeights`): for two people a and b with fields
/// F(a), F(b) present,
///
///     sim(a, b) = Σ_{f ∈ F(a) ∩ F(b)} w_f · s_f(a, b) / Σ_{f ∈ F(a) ∩ F(b)} w_f
///
/// so a field one of them lacks is left out and the weights of the rest are renormalised for that
/// pair, instead of counting as dissimilar. Fields:
/// - skills: cosine of TF-IDF vectors over canonical skills (sublinear tf, smoothed idf);
/// - titles: cosine of TF-IDF vectors over canonical titles, each earlier position weighted by
///   `titleRecencyDecay` relative to the next;
/// - tempo: `CareerTempo.similarity` (exp(−‖z_a − z_b‖² / 8)) of standardised (average tenure in months,
///   job changes per year, years of experience, seniority progression per year), computed from dated
///   positions up to the latest month in the data;
/// - location: 1 in the same city, `sameRegion` in the same region only (text after the last comma),
///   else 0.
/// A pair with no field in common has similarity 0.
public struct PeopleMetric: Sendable {
    public let weights: MetricWeights
    public let vectorizer: PeopleVectorizer
    let columns: [String: UInt32]
    /// The standardisation of career tempo learnt from the fitted population.
    public let tempoScale: TempoScale
    let cities: [String: Int32]
    let regions: [String: Int32]

    /// Learns vocabulary, idf, tempo statistics and locations from `people`; returns their profiles.
    /// - Parameter threads: worker threads for the per-person work (nil: all cores); never changes the result.
    public static func fit(_ people: [Person], weights: MetricWeights, threads: Int? = nil) -> (metric: PeopleMetric, profiles: [PersonProfile]) {
        var vectorizer = PeopleVectorizer(weights: weights)
        let terms = vectorizer.terms(of: people, threads: threads)
        vectorizer.fit(terms: terms, threads: threads)
        let tempo = TempoScale.fit(people)
        var cities: [String: Int32] = [:]
        var regions: [String: Int32] = [:]
        for person in people {
            guard let (city, region) = PeopleMetric.place(person) else { continue }
            if cities[city] == nil { cities[city] = Int32(cities.count) }
            if regions[region] == nil { regions[region] = Int32(regions.count) }
        }
        let metric = PeopleMetric(
            weights: weights, vectorizer: vectorizer, columns: vectorizer.columnIndex, tempoScale: tempo, cities: cities, regions: regions)
        var profiles = [PersonProfile](repeating: PersonProfile(), count: people.count)
        profiles.withUnsafeMutableBufferPointer { buffer in
            let shared = UncheckedSendable(buffer)
            let chunk = 2048
            ParallelRunner(threads: threads).forEach(items: (people.count + chunk - 1) / chunk) { c, _ in
                for i in (c * chunk)..<min(people.count, (c + 1) * chunk) { shared.value[i] = metric.profile(people[i], terms: terms[i]) }
            }
        }
        return (metric, profiles)
    }

    /// The text vectors (skills and titles) of people from their profiles: the same rows as
    /// `vectorizer.transform` of the people, without analysing them again.
    public func vectors(_ profiles: [PersonProfile]) -> SparseVectors {
        var rows = SparseRowBuilder(columnCount: vectorizer.vocabulary.count, capacity: profiles.count)
        for p in profiles {
            rows.append(
                skills: Array(zip(p.skills, p.skillWeights)), titles: Array(zip(p.titles, p.titleWeights)), weights: weights)
        }
        return rows.vectors
    }

    /// (city, region) of a person's location: the whole text folded, and the part after the last comma.
    static func place(_ person: Person) -> (String, String)? {
        guard let text = person.location?.trimmingCharacters(in: .whitespaces).lowercased(), !text.isEmpty else { return nil }
        let region = text.split(separator: ",").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? text
        return (text, region)
    }

    /// The profile of any person (unknown skills, titles and places are left out).
    public func profile(_ person: Person) -> PersonProfile { profile(person, terms: vectorizer.terms(person)) }

    /// The profile of a person whose features are already known (`vectorizer.terms`).
    public func profile(_ person: Person, terms: PersonTerms) -> PersonProfile {
        var profile = PersonProfile()
        let (skills, titles) = vectorizer.fieldBlocks(terms, columns: columns)
        profile.skills = skills.map(\.0)
        profile.skillWeights = skills.map(\.1)
        profile.titles = titles.map(\.0)
        profile.titleWeights = titles.map(\.1)
        if weights.tempo > 0 { profile.tempo = tempoScale.standardized(person) }
        if let (city, region) = PeopleMetric.place(person) {
            profile.city = cities[city] ?? -2
            profile.region = regions[region] ?? -2
        }
        return profile
    }

    static func cosine(_ a: UnsafeBufferPointer<UInt32>, _ wa: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<UInt32>, _ wb: UnsafeBufferPointer<Float>) -> Double {
        var i = 0
        var j = 0
        var sum: Float = 0
        while i < a.count && j < b.count {
            if a[i] == b[j] {
                sum += wa[i] * wb[j]
                i += 1
                j += 1
            } else if a[i] < b[j] {
                i += 1
            } else {
                j += 1
            }
        }
        return Double(min(max(sum, 0), 1))
    }

    /// s_f(a, b) for a field both people have.
    public func fieldSimilarity(_ field: MetricField, _ a: PersonProfile, _ b: PersonProfile) -> Double {
        a.withView { a in b.withView { b in fieldSimilarity(field, a, b) } }
    }

    /// `fieldSimilarity` of two borrowed profiles.
    func fieldSimilarity(_ field: MetricField, _ a: ProfileView, _ b: ProfileView) -> Double {
        switch field {
        case .skills: return PeopleMetric.cosine(a.skills, a.skillWeights, b.skills, b.skillWeights)
        case .titles: return PeopleMetric.cosine(a.titles, a.titleWeights, b.titles, b.titleWeights)
        case .tempo:
            guard let x = a.tempo, let y = b.tempo else { return 0 }
            return CareerTempo.similarity(x, y)
        case .location:
            if a.city >= 0 && a.city == b.city { return 1 }
            if a.region >= 0 && a.region == b.region { return weights.sameRegion }
            return 0
        }
    }

    public func weight(_ field: MetricField) -> Double {
        switch field {
        case .skills: return weights.skills
        case .titles: return weights.titles
        case .tempo: return weights.tempo
        case .location: return weights.location
        }
    }

    /// sim(a, b), as defined above. With `text` (the dense path), skills and titles are one text
    /// field of weight w_skills + w_titles whose similarity is `text` (the embedding cosine).
    public func similarity(_ a: PersonProfile, _ b: PersonProfile, text: Double? = nil) -> Double {
        a.withView { a in b.withView { b in similarity(a, b, text: text) } }
    }

    /// `similarity` of two borrowed profiles (the pair loops: no reference counting per pair).
    func similarity(_ a: ProfileView, _ b: ProfileView, text: Double? = nil) -> Double {
        var total = 0.0
        var weightSum = 0.0
        if let text {
            let bothText = (a.has(.skills) || a.has(.titles)) && (b.has(.skills) || b.has(.titles))
            let w = weights.skills + weights.titles
            if bothText && w > 0 {
                total += w * min(max(text, 0), 1)
                weightSum += w
            }
            for field in MetricField.beyondText {
                let w = weight(field)
                guard w > 0, a.has(field), b.has(field) else { continue }
                total += w * fieldSimilarity(field, a, b)
                weightSum += w
            }
            return weightSum > 0 ? total / weightSum : 0
        }
        for field in MetricField.all {
            let w = weight(field)
            guard w > 0, a.has(field), b.has(field) else { continue }
            total += w * fieldSimilarity(field, a, b)
            weightSum += w
        }
        return weightSum > 0 ? total / weightSum : 0
    }

    /// How well `other` answers `query` (`kindred similar`): the weighted mean over the fields the query
    /// has, a field `other` lacks scoring 0 (missing evidence, not a free pass; unlike `similarity`, which
    /// leaves out a field either person lacks, so that the graph's edges are symmetric). With `text`
    /// (dense models), skills and titles are one text field whose similarity is `text`.
    public func querySimilarity(_ query: PersonProfile, _ other: PersonProfile, text: Double? = nil) -> Double {
        var total = 0.0
        var weightSum = 0.0
        if let text {
            let w = weights.skills + weights.titles
            if w > 0 && (query.has(.skills) || query.has(.titles)) {
                if other.has(.skills) || other.has(.titles) { total += w * min(max(text, 0), 1) }
                weightSum += w
            }
            for field in MetricField.beyondText where weight(field) > 0 && query.has(field) {
                if other.has(field) { total += weight(field) * fieldSimilarity(field, query, other) }
                weightSum += weight(field)
            }
        } else {
            for field in MetricField.all where weight(field) > 0 && query.has(field) {
                if other.has(field) { total += weight(field) * fieldSimilarity(field, query, other) }
                weightSum += weight(field)
            }
        }
        return weightSum > 0 ? total / weightSum : 0
    }

    /// sim(a, b) with every field's share and the shared skills and titles that drive it.
    ///
    /// With `missingEvidence`, `a` is a query: every field `a` has counts, and one that `b` lacks scores
    /// 0 for its full share (no free pass), as `querySimilarity`.
    public func explain(_ a: PersonProfile, _ b: PersonProfile, missingEvidence: Bool = false) -> SimilarityExplanation {
        func counts(_ field: MetricField) -> Bool { a.has(field) && (missingEvidence || b.has(field)) }
        var weightSum = 0.0
        for field in MetricField.allCases where weight(field) > 0 && counts(field) { weightSum += weight(field) }
        var fields: [FieldContribution] = []
        var total = 0.0
        var shareOf: [MetricField: Double] = [:]
        for field in MetricField.allCases where weight(field) > 0 {
            let both = a.has(field) && b.has(field)
            let share = counts(field) && weightSum > 0 ? weight(field) / weightSum : 0
            let s = both ? fieldSimilarity(field, a, b) : 0
            fields.append(FieldContribution(field: field, similarity: s, share: share))
            shareOf[field] = share
            total += share * s
        }
        func shared(_ xa: [UInt32], _ wa: [Float], _ xb: [UInt32], _ wb: [Float], share: Double) -> [(String, Double)] {
            var out: [(String, Double)] = []
            var i = 0
            var j = 0
            while i < xa.count && j < xb.count {
                if xa[i] == xb[j] {
                    let text = PeopleVectorizer.displayName(of: vectorizer.vocabulary[Int(xa[i])])
                    out.append((text, share * Double(wa[i] * wb[j])))
                    i += 1
                    j += 1
                } else if xa[i] < xb[j] {
                    i += 1
                } else {
                    j += 1
                }
            }
            return out.sorted { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
        }
        return SimilarityExplanation(
            similarity: total, fields: fields,
            sharedSkills: shared(a.skills, a.skillWeights, b.skills, b.skillWeights, share: shareOf[.skills] ?? 0).map { (feature: $0.0, contribution: $0.1) },
            sharedTitles: shared(a.titles, a.titleWeights, b.titles, b.titleWeights, share: shareOf[.titles] ?? 0).map { (feature: $0.0, contribution: $0.1) })
    }
}

/// Re-scores k-NN candidates with the full people metric and keeps the best k of each row.
public enum MetricRerank {
    /// - Parameters:
    ///   - candidates: each row's candidates (from the sparse or dense search, usually c·k of them).
    ///   - denseText: use the candidates' scores as the text similarity (the LSA path).
    /// - Returns: a k-column table, best first (ties to the smaller id), scores ≥ `minimumSimilarity`
    ///   and > 0. Each row depends only on its own candidates, so the table does not depend on threads.
    ///   - threads: worker threads (nil: all cores); rows are independent, so the table never depends on it.
    public static func rerank(
        _ candidates: NeighborTable, profiles: [PersonProfile], metric: PeopleMetric, k: Int, minimumSimilarity: Float, denseText: Bool,
        threads: Int? = nil, progress: ProgressCounter? = nil
    ) -> NeighborTable {
        let n = candidates.rowCount
        let c = candidates.k
        var neighbors = [UInt32](repeating: .max, count: n * k)
        var similarities = [Float](repeating: -.infinity, count: n * k)
        let rowsPerChunk = 1024
        neighbors.withUnsafeMutableBufferPointer { neighborBuffer in
            similarities.withUnsafeMutableBufferPointer { similarityBuffer in
                let shared = UncheckedSendable((neighborBuffer, similarityBuffer))
                // Profiles laid out flat and spans taken once: no reference counting per pair.
                let table = ProfileTable(profiles)
                candidates.neighbors.withUnsafeBufferPointer { candidateBuffer in
                candidates.similarities.withUnsafeBufferPointer { scoreBuffer in
                let spans = UncheckedSendable((candidateBuffer, scoreBuffer))
                ParallelRunner(threads: threads).forEach(items: (n + rowsPerChunk - 1) / rowsPerChunk) { chunk, _ in
                    let (neighbors, similarities) = shared.value
                    let (candidateIDs, candidateScores) = spans.value
                    var scored: [(Float, UInt32)] = []
                    scored.reserveCapacity(c)
                    for r in (chunk * rowsPerChunk)..<min(n, (chunk + 1) * rowsPerChunk) {
                        scored.removeAll(keepingCapacity: true)
                        for j in 0..<c {
                            let o = candidateIDs[r * c + j]
                            guard o != .max else { break }
                            let text = denseText ? Double(candidateScores[r * c + j]) : nil
                            let s = Float(metric.similarity(table[r], table[Int(o)], text: text))
                            if s > 0 && s >= minimumSimilarity { scored.append((s, o)) }
                        }
                        scored.sort { NeighborRank.better($0.0, $0.1, $1.0, $1.1) }
                        for (j, pair) in scored.prefix(k).enumerated() {
                            neighbors[r * k + j] = pair.1
                            similarities[r * k + j] = pair.0
                        }
                    }
                    progress?.add(min(n, (chunk + 1) * rowsPerChunk) - chunk * rowsPerChunk)
                }
                }
                }
            }
        }
        return NeighborTable(k: k, neighbors: neighbors, similarities: similarities)
    }
}
