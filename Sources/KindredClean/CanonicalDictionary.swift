import Foundation
import KindredPeople

/// The result of mapping one free-text value to a canonical form.
public struct CanonicalMatch: Sendable, Equatable {
    /// How a value was mapped.
    public enum Method: String, Sendable {
        /// Same words as a dictionary spelling after folding and abbreviation expansion.
        case exact
        /// Same set of words in another order (key collision on the word fingerprint).
        case fingerprint
        /// Nearest dictionary spelling by word TF-IDF cosine with typo-tolerant word lookup.
        case nearest
        /// An analyst's override.
        case override
        /// A cluster of variants learned from the data itself, named by its most frequent spelling.
        case learned
        /// A fuzzy mapping that the person's skills contradict (demoted by `PersonCleaner`; never
        /// produced by a dictionary lookup).
        case contradicted
        /// Nothing close enough: left as typed (normalised).
        case none
    }

    /// The canonical text (the dictionary's form, or the normalised input when nothing matched).
    public var canonical: String
    /// Catalogue occupation id, for titles that matched.
    public var occupation: String?
    /// A level split off a title ("senior", "ii"…).
    public var seniority: String?
    /// 1 for an exact match after normalisation, lower for a fuzzier match, 0 when nothing matched.
    public var confidence: Double
    /// How the value was mapped.
    public var method: Method

    public init(canonical: String, occupation: String?, seniority: String?, confidence: Double, method: Method) {
        self.canonical = canonical
        self.occupation = occupation
        self.seniority = seniority
        self.confidence = confidence
        self.method = method
    }
}

/// Maps free-text titles or skills to canonical forms.
///
/// A value is normalised (`TextNormalizer`), level words are split off titles (`Seniority`), title
/// abbreviations are expanded (`Abbreviations`), and each word is looked up in the dictionary's
/// vocabulary: known words as they are, unknown ones by typo-tolerant lookup (`WordVocabulary`: up to
/// four readings, each with a similarity). Then, in order:
/// 1. **exact**: the words equal a dictionary spelling's (confidence 1);
/// 2. **folded**: equal after folding inflections ("Accountants" = "Accountant"; 0.98);
/// 3. **fingerprint**: the same set of folded words in another order (OpenRefine's key collision; 0.97);
/// 4. **nearest**: the dictionary spellings sharing a word with the query are scored by the TF-IDF
///    cosine of their word vectors (an inverted index over words: blocking, not a scan), each query
///    word weighted by its reading's similarity; the best few are re-ranked by adding
///    `characterWeight ×` the Damerau–Levenshtein similarity of the whole strings, so that of two
///    spellings with the same words the one closer in characters wins. The match is kept when the
///    cosine is at least `minimumScore`; its confidence is the cosine (at most 0.96).
/// Otherwise the value is left as typed (normalised), confidence 0.
///
/// Build once (`titles(from:)`, `skills(from:)`, or `add` then `seal`), then match with one `Matcher`
/// per thread; the dictionary itself is immutable and shared.
///
/// - Complexity: a value costs O(words + postings of its words' tokens + re-ranked candidates ×
///   length²); building is O(total characters).
public struct CanonicalDictionary: Sendable {
    struct Entry: Sendable {
        let canonical: String
        let occupation: String?
        /// The spelling's words as indexed (after level split and expansion), for re-ranking.
        let surface: [Unicode.Scalar]
    }

    /// Whether level words are split off and abbreviations expanded (titles: yes; skills: no).
    public let splitsSeniority: Bool
    /// Lowest cosine accepted as a nearest match. Measured on noisy and held-out O*NET titles
    /// (`scripts/eval-clean`), nearest matches below 0.8 land on the right occupation a third of the time
    /// or less, so they are left as typed (confidence 0) instead: an unsure mapping adds no evidence.
    public var minimumScore: Double = 0.8
    /// Weight of the character similarity when re-ranking the best nearest candidates.
    public var characterWeight: Float = 0.3
    /// Below this cosine the nearest candidates vote for an occupation instead.
    public var voteBelow: Float = 0.9
    private var entries: [Entry] = []
    private var entryTokens: [[Int32]] = []
    private var entryIsCanonical: [Bool] = []
    /// Scores against a canonical title (the occupation's own name) count this many times more.
    public var canonicalBoost: Float = 1.25
    private var exact: [String: Int32] = [:]
    private var folded: [String: Int32] = [:]
    private var fingerprints: [String: Int32] = [:]
    var vocabulary = WordVocabulary()
    private var index: PostingIndex?

    /// An empty dictionary.
    public init(splitsSeniority: Bool) {
        self.splitsSeniority = splitsSeniority
        vocabulary.twoEditsKeepFirstLetter = !splitsSeniority
    }

    /// Number of distinct spellings (after normalisation).
    public var count: Int { entries.count }

    /// Adds a spelling of a canonical form. The first canonical form given for a spelling wins.
    public mutating func add(_ spelling: String, canonical: String, occupation: String? = nil) {
        let words = Self.words(of: spelling, splitsSeniority: splitsSeniority).title
        guard !words.isEmpty else { return }
        let surface = words.joined(separator: " ")
        guard exact[surface] == nil else { return }
        let entry = Int32(entries.count)
        exact[surface] = entry
        let stems = words.map(WordStem.of)
        let key = stems.joined(separator: " ")
        if folded[key] == nil { folded[key] = entry }
        let fingerprint = Set(stems).sorted().joined(separator: " ")
        if fingerprints[fingerprint] == nil { fingerprints[fingerprint] = entry }
        entries.append(Entry(canonical: canonical, occupation: occupation, surface: Array(surface.unicodeScalars)))
        entryTokens.append(words.map { vocabulary.register($0) })
        entryIsCanonical.append(occupation != nil && spelling == canonical)
        index = nil
    }

    /// Builds the lookup structures; call after the last `add` (a `Matcher` over an unsealed
    /// dictionary seals a copy first).
    public mutating func seal() {
        vocabulary.seal()
        index = PostingIndex(entryTokens: entryTokens, entryScale: entryIsCanonical.map { $0 ? canonicalBoost : 1 }, tokenCount: vocabulary.tokens.count)
    }

    /// The title dictionary of a catalogue: canonical titles first, then their variants.
    public static func titles(from catalog: OccupationCatalog) -> CanonicalDictionary {
        var dictionary = CanonicalDictionary(splitsSeniority: true)
        for occupation in catalog.occupations {
            dictionary.add(occupation.title, canonical: occupation.title, occupation: occupation.id)
        }
        for occupation in catalog.occupations {
            for variant in occupation.variants {
                dictionary.add(variant, canonical: occupation.title, occupation: occupation.id)
            }
        }
        dictionary.seal()
        return dictionary
    }

    /// The skill dictionary of a catalogue.
    public static func skills(from catalog: OccupationCatalog) -> CanonicalDictionary {
        var dictionary = CanonicalDictionary(splitsSeniority: false)
        for occupation in catalog.occupations {
            for skill in occupation.skills { dictionary.add(skill, canonical: skill) }
        }
        dictionary.seal()
        return dictionary
    }

    /// The normalised words of a value and its level words.
    static func words(of text: String, splitsSeniority: Bool) -> (title: [String], level: String?) {
        let parts = analyse(text, splitsSeniority: splitsSeniority)
        return (parts.title, parts.level)
    }

    /// The normalised words of a value, its level words, and other readings of abbreviated words.
    static func analyse(_ text: String, splitsSeniority: Bool) -> (title: [String], level: String?, alternatives: [[String]]) {
        analyse(key: TextNormalizer.key(text), splitsSeniority: splitsSeniority)
    }

    /// `analyse(_:splitsSeniority:)` of a text whose normalised key (`TextNormalizer.key`) is `key`.
    static func analyse(key: String, splitsSeniority: Bool) -> (title: [String], level: String?, alternatives: [[String]]) {
        let raw = TextNormalizer.words(key).map(String.init)
        guard splitsSeniority else { return (raw, nil, []) }
        let parts = Seniority.splitWordsKeepingAlternatives(raw, expand: true)
        return (parts.title, parts.level.isEmpty ? nil : parts.level.joined(separator: " "), parts.alternatives)
    }

    /// Maps one value (convenience: builds a one-off matcher; use a `Matcher` for many values).
    public func match(_ text: String) -> CanonicalMatch {
        var matcher = Matcher(self)
        return matcher.match(text)
    }

    /// Matches values against one dictionary with reusable scratch buffers; one per thread.
    public struct Matcher {
        /// The (sealed) dictionary matched against.
        public let dictionary: CanonicalDictionary
        private let index: PostingIndex
        private var scores: [Float]
        /// Entries scored for the current value (scratch sized to the dictionary: no growth in the loop).
        private var touched: [Int32]
        private var gramCounts: [UInt16]
        private var wordCache: [String: [WordVocabulary.Reading]] = [:]
        /// Matches by normalised key: a match depends on the text only through its key (when the key has
        /// words), so "BaR CaPTAIN" and "Bar Captain" are matched once. Emptied when full.
        private var keyCache: [String: CanonicalMatch] = [:]
        /// Keys `keyCache` holds at most (then it starts again: memory stays bounded, answers are the same).
        static let keyCacheLimit = 20_000
        /// Candidates re-ranked by character similarity.
        static let reranked = 8
        /// Candidates that vote for an occupation when the best is not close.
        static let voters = 30

        /// A matcher over `dictionary` (sealing a copy when it is not sealed).
        public init(_ dictionary: CanonicalDictionary) {
            var sealed = dictionary
            if sealed.index == nil { sealed.seal() }
            self.dictionary = sealed
            index = sealed.index!
            scores = [Float](repeating: 0, count: sealed.entries.count)
            gramCounts = [UInt16](repeating: 0, count: sealed.vocabulary.surfaces.count)
            touched = [Int32](repeating: 0, count: sealed.entries.count)
        }

        mutating func readings(_ word: String) -> [WordVocabulary.Reading] {
            if let cached = wordCache[word] { return cached }
            // The scratch is moved out while in use, so the vocabulary is read in place (a copy of it
            // would retain and release each of its dozen buffers on every lookup).
            var counts: [UInt16] = []
            swap(&counts, &gramCounts)
            let resolved = counts.withUnsafeMutableBufferPointer { dictionary.vocabulary.resolve(word, counts: $0) }
            swap(&counts, &gramCounts)
            if wordCache.count >= 100_000 { wordCache.removeAll(keepingCapacity: true) }
            wordCache[word] = resolved
            return resolved
        }

        /// Maps one value.
        public mutating func match(_ text: String) -> CanonicalMatch {
            let key = TextNormalizer.key(PrivacyMask.withoutPlaceholders(text))
            if let known = keyCache[key] { return known }
            let match = match(text, key: key)
            // An empty key (no words) keeps the text itself as its answer: not a function of the key.
            if !key.isEmpty {
                if keyCache.count >= Matcher.keyCacheLimit { keyCache.removeAll(keepingCapacity: true) }
                keyCache[key] = match
            }
            return match
        }

        /// Maps one value whose normalised key (after mask labels are taken out) is `key`.
        private mutating func match(_ text: String, key: String) -> CanonicalMatch {
            let (words, level, alternatives) = CanonicalDictionary.analyse(key: key, splitsSeniority: dictionary.splitsSeniority)
            let asTyped = words.joined(separator: " ")
            func result(_ entry: Int32, _ confidence: Double, _ method: CanonicalMatch.Method) -> CanonicalMatch {
                let e = dictionary.entries[Int(entry)]
                return CanonicalMatch(canonical: e.canonical, occupation: e.occupation, seniority: level, confidence: confidence, method: method)
            }
            if words.isEmpty {
                // Nothing to match (punctuation only, or only mask labels): keep the text itself, so the
                // clean record still has a title.
                return CanonicalMatch(
                    canonical: text.trimmingCharacters(in: .whitespaces), occupation: nil, seniority: level, confidence: 0, method: .none)
            }
            // No dictionary (the default: variants are learned from the input): nothing can match.
            if dictionary.entries.isEmpty { return CanonicalMatch(canonical: asTyped, occupation: nil, seniority: level, confidence: 0, method: .none) }
            if let entry = dictionary.exact[asTyped] { return result(entry, 1, .exact) }
            let stems = words.map(WordStem.of)
            if let entry = dictionary.folded[stems.joined(separator: " ")] { return result(entry, 0.98, .exact) }
            if let entry = dictionary.fingerprints[Set(stems).sorted().joined(separator: " ")] {
                return result(entry, 0.97, .fingerprint)
            }
            var query = words.map { readings($0) }
            for (position, others) in alternatives.enumerated() where !others.isEmpty {
                for other in others {
                    let token = dictionary.vocabulary.tokenIndex[WordStem.of(other)]
                    if let token, !query[position].contains(where: { $0.token == token }) { query[position].append((token, 0.9)) }
                }
            }
            if let (entry, score) = nearest(query, surface: Array(asTyped.unicodeScalars)), Double(score) >= dictionary.minimumScore {
                return result(entry, min(0.96, Double(score)), .nearest)
            }
            return CanonicalMatch(canonical: asTyped, occupation: nil, seniority: level, confidence: 0, method: .none)
        }

        /// The best entry for the query's readings, and its cosine.
        mutating func nearest(_ query: [[WordVocabulary.Reading]], surface: [Unicode.Scalar]) -> (Int32, Float)? {
            // Each word weighs its surest reading's idf × similarity in the norm; unknown words weigh the
            // highest idf, so a query with unknown words cannot reach a high cosine.
            var norm: Float = 0
            for readings in query {
                var w = readings.isEmpty ? index.maximumIDF : 0
                for (token, similarity) in readings { w = max(w, index.idf[Int(token)] * similarity) }
                norm += w * w
            }
            guard norm > 0 else { return nil }
            let scale = 1 / norm.squareRoot()
            let index = self.index
            var top: [(entry: Int32, score: Float)] = []
            top.reserveCapacity(Matcher.voters + 1)
            let idf = index.idf
            touched.withUnsafeMutableBufferPointer { touched in
            scores.withUnsafeMutableBufferPointer { scores in
                index.offsets.withUnsafeBufferPointer { offsets in
                    index.postingEntries.withUnsafeBufferPointer { postingEntries in
                        index.postingWeights.withUnsafeBufferPointer { postingWeights in
                            var touchedCount = 0
                            for readings in query {
                                for (token, similarity) in readings {
                                    let w = idf[Int(token)] * similarity * scale
                                    for p in Int(offsets[Int(token)])..<Int(offsets[Int(token) + 1]) {
                                        let e = Int(postingEntries[p])
                                        if scores[e] == 0 {
                                            touched[touchedCount] = Int32(e)
                                            touchedCount += 1
                                        }
                                        scores[e] += w * postingWeights[p]
                                    }
                                }
                            }
                            // Keep the best few (score descending, then dictionary order).
                            let k = Matcher.voters
                            for e in touched[0..<touchedCount] {
                                let s = scores[Int(e)]
                                scores[Int(e)] = 0
                                if top.count == k, let last = top.last, s < last.score || (s == last.score && e > last.entry) { continue }
                                var i = top.count
                                while i > 0, top[i - 1].score < s || (top[i - 1].score == s && top[i - 1].entry > e) { i -= 1 }
                                top.insert((e, s), at: i)
                                if top.count > k { top.removeLast() }
                            }
                        }
                    }
                }
            }
            }
            guard let first = top.first else { return nil }
            let weight = dictionary.characterWeight
            guard weight > 0, top.count > 1 else { return (first.entry, first.score) }
            var best = first
            var bestFinal = -Float.infinity
            for candidate in top.prefix(Matcher.reranked) where candidate.score >= first.score - weight {
                let other = dictionary.entries[Int(candidate.entry)].surface
                let length = max(surface.count, other.count)
                let distance = EditDistance.damerauLevenshtein(surface, other, limit: length)
                let final = candidate.score + weight * (1 - Float(distance) / Float(max(length, 1)))
                if final > bestFinal {
                    bestFinal = final
                    best = candidate
                }
            }
            if best.score >= dictionary.voteBelow { return (best.entry, best.score) }
            // Not close to any one spelling: the occupation whose spellings are together closest wins
            // (k-nearest-neighbour vote, each candidate weighing its cosine to the power 4), named by
            // its best candidate.
            var votes: [String: (sum: Float, entry: Int32, score: Float)] = [:]
            for candidate in top {
                guard let occupation = dictionary.entries[Int(candidate.entry)].occupation else { continue }
                let s = candidate.score
                let vote = s * s * s * s
                if let current = votes[occupation] {
                    votes[occupation] = (current.sum + vote, current.entry, current.score)
                } else {
                    votes[occupation] = (vote, candidate.entry, s)
                }
            }
            var winner: (sum: Float, entry: Int32, score: Float)?
            for (_, v) in votes where winner == nil || v.sum > winner!.sum || (v.sum == winner!.sum && v.entry < winner!.entry) {
                winner = v
            }
            guard let winner else { return (best.entry, best.score) }
            if dictionary.entries[Int(winner.entry)].occupation == dictionary.entries[Int(best.entry)].occupation { return (best.entry, best.score) }
            return (winner.entry, winner.score)
        }
    }
}

/// Token → entry postings with TF-IDF weights (each entry's vector L2-normalised), in CSR form.
final class PostingIndex: Sendable {
    let idf: [Float]
    let maximumIDF: Float
    let offsets: [Int32]
    let postingEntries: [Int32]
    let postingWeights: [Float]

    /// - Parameter entryScale: a factor on each entry's weights (1: plain cosine).
    init(entryTokens: [[Int32]], entryScale: [Float], tokenCount: Int) {
        var frequency = [Int](repeating: 0, count: tokenCount)
        for tokens in entryTokens {
            for token in Set(tokens) { frequency[Int(token)] += 1 }
        }
        let n = Double(max(1, entryTokens.count))
        let idf = frequency.map { Float(log(1 + n / Double(max($0, 1)))) }
        var counts = [Int32](repeating: 0, count: tokenCount + 1)
        for tokens in entryTokens {
            for token in Set(tokens) { counts[Int(token) + 1] += 1 }
        }
        for t in 0..<tokenCount { counts[t + 1] += counts[t] }
        var cursor = counts
        var entries = [Int32](repeating: 0, count: Int(counts[tokenCount]))
        var weights = [Float](repeating: 0, count: Int(counts[tokenCount]))
        for (e, tokens) in entryTokens.enumerated() {
            var weightOf: [Int32: Float] = [:]
            for token in tokens {
                let w = idf[Int(token)]
                weightOf[token] = max(weightOf[token] ?? 0, w)
            }
            let unique = weightOf.keys.sorted()
            var norm: Float = 0
            for token in unique { norm += weightOf[token]! * weightOf[token]! }
            let scale = entryScale[e] / max(norm, 1e-12).squareRoot()
            for token in unique {
                let p = Int(cursor[Int(token)])
                cursor[Int(token)] += 1
                entries[p] = Int32(e)
                weights[p] = weightOf[token]! * scale
            }
        }
        self.idf = idf
        maximumIDF = Float(log(1 + n))
        offsets = counts
        postingEntries = entries
        postingWeights = weights
    }
}
