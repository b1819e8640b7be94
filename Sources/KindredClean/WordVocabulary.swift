/// The words of a dictionary, with fuzzy lookup for words that are not in it.
///
/// Every dictionary word (its *surface*) belongs to a *token*: its folded form (`WordStem`), so
/// "accountants" and "accountant" are one token. A query word resolves to a token and a similarity:
/// 1. the surface or its folded form is known: similarity 1;
/// 2. a known surface within Damerau–Levenshtein distance 1 (4–7 characters) or 2 (8 or more), found
///    by character-bigram blocking with count filtering (an edit breaks at most three padded bigrams —
///    a transposition does — so a candidate must share `grams − 3·edits`), the nearest winning, then the one with
///    the higher Jaro–Winkler similarity, then the more frequent: similarity `1 − edits/length`;
/// 3. a consonant skeleton ("mngr", "dsptchr": first letter, then consonants) of a known surface:
///    similarity 0.8.
/// Otherwise the word is unknown.
///
/// - Complexity: building is O(total characters); a fuzzy lookup touches the postings of the word's
///   bigrams (a few thousand entries for the full O*NET vocabulary).
struct WordVocabulary: Sendable {
    /// Surface → index.
    private(set) var surfaceIndex: [String: Int32] = [:]
    private(set) var surfaces: [[Unicode.Scalar]] = []
    /// Token of each surface.
    private(set) var surfaceToken: [Int32] = []
    /// Folded form → token.
    private(set) var tokenIndex: [String: Int32] = [:]
    private(set) var tokens: [String] = []
    /// How many dictionary entries hold each surface (a tie-break for fuzzy lookups).
    private(set) var surfaceFrequency: [Int32] = []
    private var skeletons: [String: [Int32]] = [:]
    /// Fuzzy indexes over surfaces and over distinct skeletons, built by `seal()`.
    private var surfaceGrams = FuzzyStringIndex()
    private var skeletonGrams = FuzzyStringIndex()
    private var skeletonSurfaces: [[Int32]] = []

    /// The token of a dictionary word, registering it.
    mutating func register(_ word: String) -> Int32 {
        if let s = surfaceIndex[word] {
            surfaceFrequency[Int(s)] += 1
            return surfaceToken[Int(s)]
        }
        let stem = WordStem.of(word)
        let token: Int32
        if let t = tokenIndex[stem] {
            token = t
        } else {
            token = Int32(tokens.count)
            tokenIndex[stem] = token
            tokens.append(stem)
        }
        surfaceIndex[word] = Int32(surfaces.count)
        surfaces.append(Array(word.unicodeScalars))
        surfaceToken.append(token)
        surfaceFrequency.append(1)
        return token
    }

    /// Builds the fuzzy-lookup structures once every word is registered.
    mutating func seal() {
        surfaceGrams = FuzzyStringIndex(surfaces)
        var lists: [String: [Int32]] = [:]
        for (s, scalars) in surfaces.enumerated() where scalars.count >= 4 {
            let skeleton = WordVocabulary.skeleton(scalars)
            guard skeleton.unicodeScalars.count >= 3, skeleton.unicodeScalars.count < scalars.count else { continue }
            lists[skeleton, default: []].append(Int32(s))
        }
        // Most frequent surfaces first, a few per skeleton; skeletons in sorted order (deterministic).
        skeletons = [:]
        var keys: [[Unicode.Scalar]] = []
        skeletonSurfaces = []
        for key in lists.keys.sorted() {
            let sorted = lists[key]!.sorted {
                surfaceFrequency[Int($0)] != surfaceFrequency[Int($1)] ? surfaceFrequency[Int($0)] > surfaceFrequency[Int($1)] : $0 < $1
            }
            let kept = Array(sorted.prefix(WordVocabulary.maximumReadings))
            skeletons[key] = kept
            keys.append(Array(key.unicodeScalars))
            skeletonSurfaces.append(kept)
        }
        skeletonGrams = FuzzyStringIndex(keys)
    }

    /// Padded bigrams of a word as 64-bit keys ("^a", "ab", …, "z$").
    static func bigrams(_ scalars: [Unicode.Scalar]) -> [UInt64] {
        var out: [UInt64] = []
        out.reserveCapacity(scalars.count + 1)
        var previous: UInt64 = 0x5E  // ^
        for scalar in scalars {
            let value = UInt64(scalar.value) + 1
            out.append(previous << 32 | value)
            previous = value
        }
        out.append(previous << 32 | 0x24)  // $
        return out
    }

    /// First letter, then the word's consonants.
    static func skeleton(_ scalars: [Unicode.Scalar]) -> String {
        var out = String.UnicodeScalarView()
        for (i, scalar) in scalars.enumerated() where i == 0 || !"aeiou".unicodeScalars.contains(scalar) {
            out.append(scalar)
        }
        return String(out)
    }

    /// Edits allowed for a word of this length.
    static func tolerance(forLength length: Int) -> Int {
        length < 4 ? 0 : length < 5 ? 1 : 2
    }

    /// One way to read a query word: a dictionary token and how sure that reading is.
    typealias Reading = (token: Int32, similarity: Float)

    /// The readings of a query word, surest first (at most `maximumReadings`; empty for an unknown word).
    /// `counts` is scratch of at least `surfaces.count` zeros, left zeroed.
    func resolve(_ word: String, counts: UnsafeMutableBufferPointer<UInt16>) -> [Reading] {
        if let s = surfaceIndex[word] { return [(surfaceToken[Int(s)], 1)] }
        if let t = tokenIndex[WordStem.of(word)] { return [(t, 1)] }
        let scalars = Array(word.unicodeScalars)
        var readings: [Reading] = []
        func add(_ token: Int32, _ similarity: Float) {
            if let i = readings.firstIndex(where: { $0.token == token }) {
                readings[i].similarity = max(readings[i].similarity, similarity)
            } else {
                readings.append((token, similarity))
            }
        }
        let limit = WordVocabulary.tolerance(forLength: scalars.count)
        if limit > 0 {
            for (surface, distance) in nearest(scalars, limit: limit, counts: counts) {
                add(surfaceToken[surface], Float(1 - Double(distance) / Double(max(scalars.count, surfaces[surface].count))))
            }
        }
        let skeleton = WordVocabulary.skeleton(scalars)
        if scalars.count >= 3, skeleton == word {
            if let list = skeletons[skeleton] {
                for s in list { add(surfaceToken[Int(s)], 0.8) }
            } else if scalars.count >= 4 {
                // A skeleton with a typo in it ("hndlf" for "hndlr").
                let near = skeletonGrams.nearest(scalars, limit: 1, counts: counts, maximum: 2) { _ in 0 }
                for (k, _) in near {
                    for s in skeletonSurfaces[k].prefix(2) { add(surfaceToken[Int(s)], 0.65) }
                }
            }
        }
        readings.sort { $0.similarity != $1.similarity ? $0.similarity > $1.similarity : $0.token < $1.token }
        if readings.count > WordVocabulary.maximumReadings { readings.removeLast(readings.count - WordVocabulary.maximumReadings) }
        return readings
    }

    /// Most readings kept per query word.
    static let maximumReadings = 4

    /// Surfaces within `limit` edits, nearest first.
    private func nearest(_ scalars: [Unicode.Scalar], limit: Int, counts: UnsafeMutableBufferPointer<UInt16>) -> [(Int, Int)] {
        surfaceGrams.nearest(scalars, limit: limit, counts: counts, maximum: WordVocabulary.maximumReadings) { surfaceFrequency[$0] }
    }
}

/// Strings indexed by padded character bigrams, for nearest-string lookups within a few
/// Damerau–Levenshtein edits (count filtering: an edit breaks at most three bigrams, so a candidate
/// must share `grams − 3·edits` of the query's; survivors are verified by the exact distance).
struct FuzzyStringIndex: Sendable {
    private(set) var strings: [[Unicode.Scalar]] = []
    private var gramIndex: [UInt64: Int32] = [:]
    private var offsets: [Int32] = [0]
    private var postings: [Int32] = []

    init() {}

    init(_ strings: [[Unicode.Scalar]]) {
        self.strings = strings
        var lists: [[Int32]] = []
        for (s, scalars) in strings.enumerated() where scalars.count >= 3 {
            var seen = Set<UInt64>()
            for gram in WordVocabulary.bigrams(scalars) where seen.insert(gram).inserted {
                let g: Int32
                if let existing = gramIndex[gram] {
                    g = existing
                } else {
                    g = Int32(lists.count)
                    gramIndex[gram] = g
                    lists.append([])
                }
                lists[Int(g)].append(Int32(s))
            }
        }
        offsets.reserveCapacity(lists.count + 1)
        for list in lists {
            postings.append(contentsOf: list)
            offsets.append(Int32(postings.count))
        }
    }

    /// Strings within `limit` edits of `scalars`: those at the smallest distance found and one more,
    /// nearest first, then by Jaro–Winkler similarity, then by `rank` (higher first), then by index.
    /// `counts` is zeroed scratch of at least `strings.count`, left zeroed.
    func nearest(
        _ scalars: [Unicode.Scalar], limit: Int, counts: UnsafeMutableBufferPointer<UInt16>, maximum: Int, rank: (Int) -> Int32
    ) -> [(Int, Int)] {
        let grams = WordVocabulary.bigrams(scalars)
        let needed = max(1, grams.count - 3 * limit)
        var candidates: [Int32] = []
        offsets.withUnsafeBufferPointer { offsets in
            postings.withUnsafeBufferPointer { postings in
                var seen = Set<UInt64>()
                for gram in grams where seen.insert(gram).inserted {
                    guard let g = gramIndex[gram] else { continue }
                    for p in Int(offsets[Int(g)])..<Int(offsets[Int(g) + 1]) {
                        let s = Int(postings[p])
                        counts[s] &+= 1
                        if Int(counts[s]) == needed { candidates.append(Int32(s)) }
                    }
                }
                for gram in seen {
                    guard let g = gramIndex[gram] else { continue }
                    for p in Int(offsets[Int(g)])..<Int(offsets[Int(g) + 1]) { counts[Int(postings[p])] = 0 }
                }
            }
        }
        var found: [(index: Int, distance: Int, jw: Double)] = []
        var bound = limit
        for candidate in candidates {
            let s = Int(candidate)
            let other = strings[s]
            guard abs(other.count - scalars.count) <= bound else { continue }
            let distance = EditDistance.damerauLevenshtein(scalars, other, limit: bound)
            guard distance <= bound else { continue }
            found.append((s, distance, JaroWinkler.similarity(scalars, other)))
            bound = min(bound, distance + 1)
        }
        found.removeAll { $0.distance > bound }
        found.sort {
            if $0.distance != $1.distance { return $0.distance < $1.distance }
            if $0.jw != $1.jw { return $0.jw > $1.jw }
            let r0 = rank($0.index), r1 = rank($1.index)
            if r0 != r1 { return r0 > r1 }
            return $0.index < $1.index
        }
        return found.prefix(maximum).map { ($0.index, $0.distance) }
    }
}
