/// The words of a dictionary, with fuzzy lookup for words that are not in it.
///
/// Every dictionary word (its *surface*) belongs to a *token*: its folded form (`WordStem`), so
/// "accountants" and "accountant" are one token. A query word resolves to up to four readings
/// (token, similarity), surest first:
/// 1. the surface or its folded form is known: similarity 1;
/// 2. the known surfaces at the smallest Damerau–Levenshtein distance, at most 1 (4 letters) or 2
///    (5 or more), found by symmetric deletion (`FuzzyStringIndex`), then by Jaro–Winkler, then by
///    frequency: similarity `1 − edits/length`;
/// 3. surfaces whose consonant skeleton ("mngr", "dsptchr": first letter, then consonants) the word
///    is, or is one edit from: similarity 0.8 (0.65 with the edit).
/// Otherwise the word is unknown (no readings).
///
/// - Complexity: building is O(surfaces × length²) for the two-deletion index; a lookup hashes the
///   word's O(length²) deletions and verifies the few candidates they name.
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
    /// Most edits a fuzzy lookup allows (1 or 2).
    var maximumEdits = 2
    /// Whether a two-edit reading must keep the word's first letter (skills: their words are mostly
    /// names of tools and methods, where a two-edit neighbour with another initial is another thing:
    /// "solving" is not "moving").
    var twoEditsKeepFirstLetter = false
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
        surfaceGrams = FuzzyStringIndex(surfaces, deletions: maximumEdits)
        surfaceGrams.twoEditsKeepFirstLetter = twoEditsKeepFirstLetter
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
        skeletonGrams = FuzzyStringIndex(keys, deletions: 1)
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

    /// Words this long or longer may be two edits from a dictionary word; shorter ones one.
    static let twoEditsFrom = 5
    /// Edits allowed for a word of this length.
    static func tolerance(forLength length: Int) -> Int {
        length < 4 ? 0 : length < WordVocabulary.twoEditsFrom ? 1 : 2
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
        let limit = min(maximumEdits, WordVocabulary.tolerance(forLength: scalars.count))
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
        // The closure captures the one array it reads, not the whole vocabulary (a copy of the struct).
        let frequency = surfaceFrequency
        return surfaceGrams.nearest(scalars, limit: limit, counts: counts, maximum: WordVocabulary.maximumReadings) { frequency[$0] }
    }
}

/// Strings with one of two ways to find those within a few Damerau–Levenshtein edits of a query:
/// - a symmetric-delete index (`deletions` 1 or 2: each string and what is left after deleting up to
///   that many characters, as 64-bit hashes) — exact and cheap for lookups within `deletions` edits;
/// - padded character bigrams with count filtering (an edit breaks at most three bigrams, so a
///   candidate must share `max(grams) − 3·edits`) for larger limits (the variant clusterer's long keys).
/// Candidates are verified by the exact distance.
struct FuzzyStringIndex: Sendable {
    private(set) var strings: [[Unicode.Scalar]] = []
    private var grams = KeyPostings()
    /// Distinct bigrams of each string.
    private var gramTotals: [UInt16] = []
    /// Symmetric-delete index: each string and what is left of it after up to `deletions` character
    /// deletions → the strings that produce it (CSR).
    private var deletes = KeyPostings()
    private(set) var deletions = 0
    /// Whether a two-edit match must keep the first letter.
    var twoEditsKeepFirstLetter = false

    init() {}

    /// - Parameter deletions: depth of the symmetric-delete index, which then serves every lookup (limits
    ///   up to `deletions`: exact, and cheaper than bigram counting); 0 builds the bigram index instead,
    ///   for any limit.
    init(_ strings: [[Unicode.Scalar]], deletions: Int = 0) {
        self.strings = strings
        self.deletions = deletions
        gramTotals = [UInt16](repeating: 0, count: strings.count)
        var gramBuilder = KeyPostings.Builder()
        var deleteBuilder = KeyPostings.Builder()
        for (s, scalars) in strings.enumerated() {
            if deletions == 0 && scalars.count >= 3 {
                var seen = Set<UInt64>()
                for gram in WordVocabulary.bigrams(scalars) where seen.insert(gram).inserted {
                    gramTotals[s] += 1
                    gramBuilder.add(gram, Int32(s))
                }
            }
            if deletions > 0 {
                for variant in FuzzyStringIndex.variants(scalars, deletions: deletions) { deleteBuilder.add(variant, Int32(s)) }
            }
        }
        grams = gramBuilder.build()
        deletes = deleteBuilder.build()
    }

    /// Hashes (64-bit FNV-1a) of a string and of what is left after deleting up to `deletions` (1 or 2)
    /// of its characters. A collision only adds a candidate that the exact distance then rejects.
    static func variants(_ scalars: [Unicode.Scalar], deletions: Int) -> [UInt64] {
        let n = scalars.count
        var out: [UInt64] = []
        out.reserveCapacity(1 + n + (deletions > 1 ? n * (n - 1) / 2 : 0))
        func hash(skipping a: Int, _ b: Int) -> UInt64 {
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for i in 0..<n where i != a && i != b {
                h = (h ^ UInt64(scalars[i].value)) &* 0x100_0000_01b3
            }
            return (h ^ UInt64(n - (a >= 0 ? 1 : 0) - (b >= 0 ? 1 : 0))) &* 0x100_0000_01b3
        }
        out.append(hash(skipping: -1, -1))
        guard n > 0 else { return out }
        for i in 0..<n {
            // Deleting either of two equal neighbours leaves the same string: hash it once.
            if i > 0 && scalars[i] == scalars[i - 1] { continue }
            out.append(hash(skipping: i, -1))
        }
        if deletions > 1 && n > 1 {
            for i in 0..<n {
                for j in (i + 1)..<n { out.append(hash(skipping: i, j)) }
            }
        }
        return out
    }

    /// Strings within `limit` (≤ `deletions`) edits with their distances, found by symmetric deletion
    /// (complete for substitutions, insertions, deletions and adjacent transpositions), verified by the
    /// exact distance.
    func within(_ scalars: [Unicode.Scalar], limit: Int, counts: UnsafeMutableBufferPointer<UInt16>) -> [(index: Int, distance: Int, jw: Double)] {
        var candidates: [Int] = []
        for variant in FuzzyStringIndex.variants(scalars, deletions: limit) {
            for p in deletes.range(of: variant) {
                let s = Int(deletes.items[p])
                if counts[s] == 0 {
                    counts[s] = 1
                    candidates.append(s)
                }
            }
        }
        for s in candidates { counts[s] = 0 }
        var found: [(index: Int, distance: Int, jw: Double)] = []
        for s in candidates where abs(strings[s].count - scalars.count) <= limit {
            let distance = EditDistance.damerauLevenshtein(scalars, strings[s], limit: limit)
            // With `twoEditsKeepFirstLetter`, two edits only between words with the same first letter.
            guard distance <= 1 || (distance <= limit && (!twoEditsKeepFirstLetter || strings[s].first == scalars.first)) else { continue }
            found.append((s, distance, JaroWinkler.similarity(scalars, strings[s])))
        }
        return found
    }

    /// Strings within `limit` edits of `scalars`: those at the smallest distance (or up to `slack` more),
    /// nearest first, then by Jaro–Winkler
    /// similarity, then by `rank` (higher first), then by index; at most `maximum`.
    /// `counts` is zeroed scratch of at least `strings.count`, left zeroed.
    func nearest(
        _ scalars: [Unicode.Scalar], limit: Int, counts: UnsafeMutableBufferPointer<UInt16>, maximum: Int, slack: Int = 0,
        rank: (Int) -> Int32
    ) -> [(Int, Int)] {
        precondition(deletions == 0 || limit <= deletions, "a symmetric-delete index serves limits up to its depth")
        if deletions > 0 {
            return FuzzyStringIndex.ranked(within(scalars, limit: limit, counts: counts), maximum: maximum, slack: slack, rank: rank)
        }
        var queryGrams = WordVocabulary.bigrams(scalars)
        queryGrams.sort()
        var unique = 0
        for g in queryGrams where unique == 0 || queryGrams[unique - 1] != g {
            queryGrams[unique] = g
            unique += 1
        }
        queryGrams.removeLast(queryGrams.count - unique)
        let needed = max(1, unique - 3 * limit)
        let lists = queryGrams.map { grams.range(of: $0) }.filter { !$0.isEmpty }
        var candidates: [(index: Int32, shared: Int32)] = []
        grams.items.withUnsafeBufferPointer { postings in
            var reached: [Int32] = []
            for range in lists {
                for p in range {
                    let s = Int(postings[p])
                    counts[s] &+= 1
                    if Int(counts[s]) == needed { reached.append(Int32(s)) }
                }
            }
            // A candidate must share max(its grams, ours) − 3·limit bigrams; read the counts, then
            // leave the scratch zeroed.
            for s in reached {
                let shared = Int(counts[Int(s)])
                let other = Int(gramTotals[Int(s)])
                if shared >= max(unique, other) - 3 * limit { candidates.append((s, Int32(shared))) }
            }
            for range in lists {
                for p in range { counts[Int(postings[p])] = 0 }
            }
        }
        // Most shared bigrams first, so the bound tightens early.
        candidates.sort { $0.shared != $1.shared ? $0.shared > $1.shared : $0.index < $1.index }
        var found: [(index: Int, distance: Int, jw: Double)] = []
        var bound = limit
        for (candidate, shared) in candidates {
            let s = Int(candidate)
            let other = strings[s]
            guard abs(other.count - scalars.count) <= bound, Int(shared) >= max(unique, Int(gramTotals[s])) - 3 * bound else { continue }
            let distance = EditDistance.damerauLevenshtein(scalars, other, limit: bound)
            guard distance <= bound else { continue }
            found.append((s, distance, JaroWinkler.similarity(scalars, other)))
            bound = min(bound, distance + slack)
        }
        found.removeAll { $0.distance > bound }
        return FuzzyStringIndex.ranked(found, maximum: maximum, slack: slack, rank: rank)
    }

    /// Nearest first, then by Jaro–Winkler similarity, then by `rank` (higher first), then by index.
    static func ranked(_ found: [(index: Int, distance: Int, jw: Double)], maximum: Int, slack: Int, rank: (Int) -> Int32) -> [(Int, Int)] {
        let best = found.map(\.distance).min() ?? 0
        var found = found.filter { $0.distance <= best + slack }
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

/// Lists of string indices by 64-bit key (bigrams, deletion hashes), in CSR form.
struct KeyPostings: Sendable {
    private var slots: [UInt64: Int32] = [:]
    private var offsets: [Int32] = [0]
    /// The indices of every list, one after the other.
    private(set) var items: [Int32] = []

    /// The positions in `items` of the list for `key` (empty when the key is unknown).
    func range(of key: UInt64) -> Range<Int> {
        guard let slot = slots[key] else { return 0..<0 }
        return Int(offsets[Int(slot)])..<Int(offsets[Int(slot) + 1])
    }

    /// Collects (key, index) pairs; an index given twice in a row for one key is kept once.
    struct Builder {
        private var slots: [UInt64: Int32] = [:]
        private var lists: [[Int32]] = []

        mutating func add(_ key: UInt64, _ index: Int32) {
            if let slot = slots[key] {
                if lists[Int(slot)].last != index { lists[Int(slot)].append(index) }
            } else {
                slots[key] = Int32(lists.count)
                lists.append([index])
            }
        }

        func build() -> KeyPostings {
            var out = KeyPostings()
            out.slots = slots
            out.offsets.reserveCapacity(lists.count + 1)
            for list in lists {
                out.items.append(contentsOf: list)
                out.offsets.append(Int32(out.items.count))
            }
            return out
        }
    }
}
