import Foundation
import KindredPeople

/// How two people are compared: the weight of each field of the people metric (TOML `[metric]`,
/// `kindred graph` flags). See `PeopleMetric` for the formula.
///
/// Skills and titles form the text vector that the k-NN search ranks by; each field's TF-IDF block is
/// scaled to unit length and multiplied by √weight, and a field a person lacks is left out of their
/// normalisation. Career tempo and location (off by default) join when the candidates are re-scored.
public struct MetricWeights: Sendable, Equatable {
    /// Weight of the skills field (canonical skills, TF-IDF with sublinear tf, cosine).
    public var skills: Double = 1.0
    /// Weight of the titles field (current and earlier canonical titles, TF-IDF weighted by recency).
    public var titles: Double = 1.0
    /// How much each earlier position counts relative to the next more recent one (0…1).
    public var titleRecencyDecay: Double = 0.5
    /// Weight of career tempo: average tenure, job changes per year, years of experience.
    public var tempo: Double = 0
    /// Weight of location: same city, or the same region only.
    public var location: Double = 0
    /// Location similarity of two people in the same region (the text after the last comma) but
    /// different cities.
    public var sameRegion: Double = 0.5

    public init(
        skills: Double = 1.0, titles: Double = 1.0, titleRecencyDecay: Double = 0.5, tempo: Double = 0, location: Double = 0,
        sameRegion: Double = 0.5
    ) {
        self.skills = skills
        self.titles = titles
        self.titleRecencyDecay = titleRecencyDecay
        self.tempo = tempo
        self.location = location
        self.sameRegion = sameRegion
    }

    /// Checks ranges: weights finite and ≥ 0, skills + titles > 0, decay and sameRegion in [0, 1].
    /// Returns the first problem as (field, message), or nil.
    public func problem() -> (field: String, message: String)? {
        for (name, value) in [("skills", skills), ("titles", titles), ("tempo", tempo), ("location", location)] {
            if !value.isFinite || value < 0 { return (name, "weight must be a finite number ≥ 0") }
        }
        if skills + titles <= 0 { return ("skills", "skills and titles weights cannot both be 0 (they drive the neighbour search)") }
        if !(0...1).contains(titleRecencyDecay) { return ("title_recency_decay", "must be in [0, 1]") }
        if !(0...1).contains(sameRegion) { return ("same_region", "must be in [0, 1]") }
        return nil
    }
}

/// Turns people into sparse TF-IDF vectors over canonical skills and titles.
///
/// Features are `skill:<canonical skill>` and `title:<canonical title>`; idf = ln((1+n)/(1+df)) + 1
/// (smoothed, as scikit-learn). Vocabulary order is sorted by feature text, so vectors do not depend
/// on input order beyond the people themselves.
public struct PeopleVectorizer: Sendable {
    public let weights: MetricWeights
    /// Feature texts, indexed by column.
    public private(set) var vocabulary: [String] = []
    /// Inverse document frequency per column.
    public private(set) var idf: [Float] = []

    public init(weights: MetricWeights = MetricWeights()) {
        self.weights = weights
    }

    /// A fitted vectorizer from a stored vocabulary (ascending feature texts) and its idf.
    public init(weights: MetricWeights, vocabulary: [String], idf: [Float]) {
        precondition(vocabulary.count == idf.count, "one idf per feature")
        self.weights = weights
        self.vocabulary = vocabulary
        self.idf = idf
    }

    static func titleTerms(_ person: Person, decay: Double) -> [(String, Double)] {
        var terms: [String: Double] = [:]
        var weight = 1.0
        for position in person.positions.reversed() {
            let key = "title:" + position.title.lowercased()
            terms[key] = max(terms[key] ?? 0, weight)
            weight *= decay
        }
        return terms.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Distinct skill features with their term frequency (a skill listed twice counts twice).
    static func skillCounts(_ person: Person) -> [(String, Int)] {
        var counts: [String: Int] = [:]
        for skill in person.skills { counts["skill:" + skill.lowercased(), default: 0] += 1 }
        return counts.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    static func skillTerms(_ person: Person) -> [String] { skillCounts(person).map(\.0) }

    /// Learns the vocabulary and idf from `people` and returns their vectors.
    public mutating func fitTransform(_ people: [Person]) -> SparseVectors {
        fit(people)
        return transform(people)
    }

    /// Learns the vocabulary and idf from `people`.
    public mutating func fit(_ people: [Person]) {
        var documentFrequency: [String: Int] = [:]
        for person in people {
            for term in PeopleVectorizer.skillTerms(person) { documentFrequency[term, default: 0] += 1 }
            for (term, _) in PeopleVectorizer.titleTerms(person, decay: weights.titleRecencyDecay) {
                documentFrequency[term, default: 0] += 1
            }
        }
        vocabulary = documentFrequency.keys.sorted()
        let n = Double(people.count)
        idf = vocabulary.map { Float(log((1 + n) / (1 + Double(documentFrequency[$0]!))) + 1) }
    }

    /// The skills and titles blocks of one person, each scaled to unit length (empty when the person
    /// has no known feature of that field), columns ascending. Skills use sublinear tf (1 + ln tf).
    public func fieldBlocks(_ person: Person, columns column: [String: UInt32]) -> (skills: [(UInt32, Float)], titles: [(UInt32, Float)]) {
        var skillBlock: [(UInt32, Float)] = []
        for (term, count) in PeopleVectorizer.skillCounts(person) {
            if let c = column[term] { skillBlock.append((c, idf[Int(c)] * Float(1 + log(Double(count))))) }
        }
        var titleBlock: [(UInt32, Float)] = []
        for (term, weight) in PeopleVectorizer.titleTerms(person, decay: weights.titleRecencyDecay) {
            if let c = column[term] { titleBlock.append((c, idf[Int(c)] * Float(weight))) }
        }
        func unit(_ block: [(UInt32, Float)]) -> [(UInt32, Float)] {
            let norm = block.reduce(Float(0)) { $0 + $1.1 * $1.1 }.squareRoot()
            guard norm > 0 else { return [] }
            return block.sorted { $0.0 < $1.0 }.map { ($0.0, $0.1 / norm) }
        }
        return (unit(skillBlock), unit(titleBlock))
    }

    /// Column of each vocabulary feature.
    public var columnIndex: [String: UInt32] {
        var column: [String: UInt32] = [:]
        for (index, term) in vocabulary.enumerated() { column[term] = UInt32(index) }
        return column
    }

    /// Vectors of `people` with the learned vocabulary (unknown features are ignored).
    public func transform(_ people: [Person]) -> SparseVectors {
        transform(people[...], columns: columnIndex)
    }

    /// Vectors of `people` with a column index made once by the caller (`columnIndex`).
    public func transform(_ people: ArraySlice<Person>, columns column: [String: UInt32]) -> SparseVectors {
        var offsets = [0]
        offsets.reserveCapacity(people.count + 1)
        var columns: [UInt32] = []
        var values: [Float] = []
        for person in people {
            let (skillBlock, titleBlock) = fieldBlocks(person, columns: column)
            var row: [(UInt32, Float)] = []
            var total = 0.0
            for (block, weight) in [(skillBlock, weights.skills), (titleBlock, weights.titles)] where weight > 0 && !block.isEmpty {
                let scale = Float(weight.squareRoot())
                for (c, v) in block { row.append((c, v * scale)) }
                total += weight
            }
            if total > 0 {
                let scale = Float(1 / total.squareRoot())
                row.sort { $0.0 < $1.0 }
                for (c, v) in row {
                    columns.append(c)
                    values.append(v * scale)
                }
            }
            offsets.append(columns.count)
        }
        return SparseVectors(offsets: offsets, columns: columns, values: values, columnCount: vocabulary.count)
    }
}
