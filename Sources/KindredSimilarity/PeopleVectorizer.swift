import Foundation
import KindredPeople

/// How two people are compared: the weight of each field in the blended cosine similarity.
///
/// Each field's TF-IDF block is scaled to unit length and multiplied by √weight, so the dot product
/// of two people is Σ_f w_f·cos_f(a, b) / √(Σ w_f present in a · Σ w_f present in b): a field that a
/// person lacks is left out of their normalisation instead of counting as dissimilar.
public struct MetricWeights: Sendable, Equatable {
    /// Weight of the skills field (canonical skills, TF-IDF).
    public var skills: Double = 1.0
    /// Weight of the titles field (current and earlier canonical titles, TF-IDF weighted by recency).
    public var titles: Double = 1.0
    /// How much each earlier position counts relative to the next more recent one (0…1).
    public var titleRecencyDecay: Double = 0.5

    public init(skills: Double = 1.0, titles: Double = 1.0, titleRecencyDecay: Double = 0.5) {
        self.skills = skills
        self.titles = titles
        self.titleRecencyDecay = titleRecencyDecay
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

    static func skillTerms(_ person: Person) -> [String] {
        Array(Set(person.skills.map { "skill:" + $0.lowercased() })).sorted()
    }

    /// Learns the vocabulary and idf from `people` and returns their vectors.
    public mutating func fitTransform(_ people: [Person]) -> SparseVectors {
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
        return transform(people)
    }

    /// Vectors of `people` with the learned vocabulary (unknown features are ignored).
    public func transform(_ people: [Person]) -> SparseVectors {
        var column: [String: UInt32] = [:]
        for (index, term) in vocabulary.enumerated() { column[term] = UInt32(index) }
        var offsets = [0]
        offsets.reserveCapacity(people.count + 1)
        var columns: [UInt32] = []
        var values: [Float] = []
        for person in people {
            var skillBlock: [(UInt32, Float)] = []
            for term in PeopleVectorizer.skillTerms(person) {
                if let c = column[term] { skillBlock.append((c, idf[Int(c)])) }
            }
            var titleBlock: [(UInt32, Float)] = []
            for (term, weight) in PeopleVectorizer.titleTerms(person, decay: weights.titleRecencyDecay) {
                if let c = column[term] { titleBlock.append((c, idf[Int(c)] * Float(weight))) }
            }
            var row: [(UInt32, Float)] = []
            var total = 0.0
            for (block, weight) in [(skillBlock, weights.skills), (titleBlock, weights.titles)] where weight > 0 {
                let norm = block.reduce(Float(0)) { $0 + $1.1 * $1.1 }.squareRoot()
                guard norm > 0 else { continue }
                let scale = Float(weight.squareRoot()) / norm
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
