import Foundation
import KindredClean
import KindredCore
import KindredPeople

/// How two people are compared: the weight of each field of the people metric (TOML `[metric]`,
/// `kindred graph` flags). See `PeopleMetric` for the formula.
///
/// Skills and titles form the text vector that the k-NN search ranks by; each field's TF-IDF block is
/// scaled to unit length and multiplied by √weight, and a field a person lacks is left out of their
/// normalisation. Career tempo and location (off by default) join when the candidates are re-scored.
public struct MetricWeights: Codable, Sendable, Equatable {
    /// Weight of the skills field (canonical skills, and the skills as typed where a dictionary mapped
    /// them to another form; TF-IDF with sublinear tf, cosine). 2 by default: on real vocabularies a person's skills say more about their
    /// occupation than their titles (`scripts/eval-people`, dev split).
    public var skills: Double = 2.0
    /// Weight of the titles field (current and earlier canonical titles, TF-IDF weighted by recency).
    public var titles: Double = 1.0
    /// How much each earlier position counts relative to the next more recent one (0…1). 0.75 by
    /// default: earlier jobs are evidence too (`scripts/eval-people`, dev split: 0.75 beat 0.25, 0.5 and 1).
    public var titleRecencyDecay: Double = 0.75
    /// Weight of career tempo (`CareerTempo`: average tenure, job changes per year, years of
    /// experience, seniority progression). 0.1 by default: the largest weight tried (0, 0.1, 0.25, 0.5,
    /// 1) whose median NMI over 3 seeds on `scripts/eval-people`'s dev split stays within 0.005 of
    /// tempo off on both data sets (variants 0.962 vs 0.963, reported 0.989 vs 0.987), so a change
    /// of tenure or switch frequency moves a person's similarities in proportion, in the graph and in
    /// projection alike.
    public var tempo: Double = 0.1
    /// Weight of location: same city, or the same region only.
    public var location: Double = 0
    /// Location similarity of two people in the same region (the text after the last comma) but
    /// different cities.
    public var sameRegion: Double = 0.5

    public init(
        skills: Double = 2.0, titles: Double = 1.0, titleRecencyDecay: Double = 0.75, tempo: Double = 0.1, location: Double = 0,
        sameRegion: Double = 0.5
    ) {
        self.skills = skills
        self.titles = titles
        self.titleRecencyDecay = titleRecencyDecay
        self.tempo = tempo
        self.location = location
        self.sameRegion = sameRegion
    }

    /// The keys of the config's `[metric]` table, also used in manifests.
    enum CodingKeys: String, CodingKey {
        case skills, titles
        case titleRecencyDecay = "title_recency_decay"
        case tempo, location
        case sameRegion = "same_region"
    }

    /// A weight left out reads as its default.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        skills = try c.decodeIfPresent(Double.self, forKey: .skills) ?? skills
        titles = try c.decodeIfPresent(Double.self, forKey: .titles) ?? titles
        titleRecencyDecay = try c.decodeIfPresent(Double.self, forKey: .titleRecencyDecay) ?? titleRecencyDecay
        tempo = try c.decodeIfPresent(Double.self, forKey: .tempo) ?? tempo
        location = try c.decodeIfPresent(Double.self, forKey: .location) ?? location
        sameRegion = try c.decodeIfPresent(Double.self, forKey: .sameRegion) ?? sameRegion
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

/// Turns people into sparse TF-IDF vectors over their skills and titles, keeping what was typed beside
/// what the cleaning made of it.
///
/// Features are `skill:<skill>` (canonical, and as typed when mapped to another form), `title:<canonical
/// title>` (weighted by the mapping's confidence) and `tw:<word>` (the folded words of each title as typed);
/// rare misspellings read as their frequent spelling (`SpellingFixes`); idf = ln((1+n)/(1+df)) + 1
/// (smoothed, as scikit-learn). Vocabulary order is sorted by feature text, so vectors do not depend
/// on input order beyond the people themselves.
public struct PeopleVectorizer: Sendable {
    public let weights: MetricWeights
    /// Feature texts, indexed by column.
    public private(set) var vocabulary: [String] = []
    /// Inverse document frequency per column.
    public private(set) var idf: [Float] = []
    /// Rare features read as a frequent one they misspell (`SpellingFixes`), learned by `fit`.
    public private(set) var spellingFixes: [String: String] = [:]

    public init(weights: MetricWeights = MetricWeights()) {
        self.weights = weights
    }

    /// A fitted vectorizer from a stored vocabulary (ascending feature texts), its idf and its spelling fixes.
    public init(weights: MetricWeights, vocabulary: [String], idf: [Float], spellingFixes: [String: String] = [:]) {
        precondition(vocabulary.count == idf.count, "one idf per feature")
        self.weights = weights
        self.vocabulary = vocabulary
        self.idf = idf
        self.spellingFixes = spellingFixes
    }

    /// Title features of a person, each with its weight (the largest over the positions that carry it).
    ///
    /// Each position, the current one weighing 1 and each earlier one `decay` times the next, gives:
    /// - `tw:<word>`: the folded words of the title as typed (`EvidenceWords.title`); a title that the
    ///   cleaning only respelled (learned variant, or left as typed) gives the words of that spelling;
    /// - `title:<title>`: the whole canonical title, weighted by the mapping's confidence when it came
    ///   from a dictionary (a sure mapping adds an occupation-wide feature; an unsure one adds little).
    /// So a wrong mapping cannot erase what was typed.
    static func titleTerms(_ person: Person, decay: Double, cache: inout WordCache) -> [(String, Double)] {
        var terms: [String: Double] = [:]
        var weight = 1.0
        for position in person.positions.reversed() {
            let mapped = position.occupation != nil
            let phraseWeight = weight * (mapped ? min(max(position.confidence ?? 1, 0), 1) : 1)
            if phraseWeight > 0 {
                let key = "title:" + position.title.lowercased()
                terms[key] = max(terms[key] ?? 0, phraseWeight)
            }
            for word in cache.titleWords(mapped ? (position.rawTitle ?? position.title) : position.title) {
                terms[word] = max(terms[word] ?? 0, weight)
            }
            weight *= decay
        }
        return terms.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Distinct skill features with their term frequency: `skill:<canonical skill>` (a skill listed
    /// twice counts twice), and the skill as typed (normalised: `TextNormalizer`) where the cleaning
    /// mapped it to another canonical form, so a dictionary's mapping adds evidence beside what was
    /// typed instead of replacing it. (Without a dictionary the two are the same feature.)
    static func skillCounts(_ person: Person, cache: inout WordCache) -> [(String, Int)] {
        var counts: [String: Int] = [:]
        for skill in person.skills { counts["skill:" + skill.lowercased(), default: 0] += 1 }
        if let raw = person.rawSkills {
            for skill in raw {
                let typed = cache.skillPhrase(skill)
                if !typed.isEmpty, counts[typed] == nil { counts[typed] = 1 }
            }
        }
        return counts.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// A feature as people read it: a whole title or skill as it is (`software engineer`), a word of
    /// a title as typed as `word: <folded word>` (`word: softwar`).
    public static func displayName(of feature: String) -> String {
        guard let colon = feature.firstIndex(of: ":") else { return feature }
        let kind = feature[..<colon]
        let text = String(feature[feature.index(after: colon)...])
        return kind == "tw" ? "word: " + text : text
    }

    /// The features of one person (see `titleTerms` and `skillCounts`).
    public func terms(_ person: Person) -> PersonTerms {
        var cache = WordCache()
        return terms(person, cache: &cache)
    }

    func terms(_ person: Person, cache: inout WordCache) -> PersonTerms {
        PersonTerms(
            titles: PeopleVectorizer.titleTerms(person, decay: weights.titleRecencyDecay, cache: &cache),
            skills: PeopleVectorizer.skillCounts(person, cache: &cache))
    }

    /// The features of many people, in their order, in parallel chunks (each worker analyses a distinct
    /// title or skill text once). The result does not depend on `threads`.
    public func terms(of people: [Person], threads: Int? = nil) -> [PersonTerms] { terms(of: people[...], threads: threads) }

    /// `terms(of:threads:)` for a slice.
    public func terms(of people: ArraySlice<Person>, threads: Int? = nil) -> [PersonTerms] {
        let n = people.count
        let chunk = 2048
        let runner = ParallelRunner(threads: threads)
        var out = [PersonTerms](repeating: PersonTerms(titles: [], skills: []), count: n)
        // One cache per worker (what a text analyses to does not depend on who analyses it).
        var caches = [WordCache](repeating: WordCache(), count: runner.workers)
        out.withUnsafeMutableBufferPointer { buffer in
            caches.withUnsafeMutableBufferPointer { cacheBuffer in
                let shared = UncheckedSendable(buffer)
                let sharedCaches = UncheckedSendable(cacheBuffer)
                let base = people.startIndex
                runner.forEach(items: (n + chunk - 1) / chunk) { c, worker in
                    for i in (c * chunk)..<min(n, (c + 1) * chunk) {
                        shared.value[i] = terms(people[base + i], cache: &sharedCaches.value[worker])
                    }
                }
            }
        }
        return out
    }

    /// Learns the vocabulary and idf from `people` and returns their vectors.
    public mutating func fitTransform(_ people: [Person]) -> SparseVectors {
        let all = terms(of: people)
        fit(terms: all)
        return transform(terms: all, columns: columnIndex)
    }

    /// Learns the vocabulary and idf from `people`.
    public mutating func fit(_ people: [Person]) { fit(terms: terms(of: people)) }

    /// Learns the vocabulary and idf from people's features (`terms(of:)`).
    public mutating func fit(terms all: [PersonTerms], threads: Int? = nil) {
        var documentFrequency = PeopleVectorizer.documentFrequency(all, fixes: [:], threads: threads)
        // Misspellings join their frequent spelling: counted as it, and read as it from now on.
        spellingFixes = SpellingFixes.learn(documentFrequency: documentFrequency, threads: threads)
        if !spellingFixes.isEmpty {
            documentFrequency = PeopleVectorizer.documentFrequency(all, fixes: spellingFixes, threads: threads)
        }
        vocabulary = documentFrequency.keys.sorted()
        let n = Double(all.count)
        idf = vocabulary.map { Float(log((1 + n) / (1 + Double(documentFrequency[$0]!))) + 1) }
    }

    /// The number of people with each feature (read through `fixes`), counted by each worker over
    /// chunks of people and then summed, so the counts do not depend on `threads`.
    static func documentFrequency(_ all: [PersonTerms], fixes: [String: String], threads: Int?) -> [String: Int] {
        let runner = ParallelRunner(threads: threads)
        let chunk = 4096
        var partial = [[String: Int]](repeating: [:], count: runner.workers)
        partial.withUnsafeMutableBufferPointer { buffer in
            let shared = UncheckedSendable(buffer)
            runner.forEach(items: (all.count + chunk - 1) / chunk) { c, worker in
                var seen = Set<String>()
                for i in (c * chunk)..<min(all.count, (c + 1) * chunk) {
                    let terms = all[i]
                    if fixes.isEmpty {
                        // Features of one person are distinct already.
                        for (term, _) in terms.skills { shared.value[worker][term, default: 0] += 1 }
                        for (term, _) in terms.titles { shared.value[worker][term, default: 0] += 1 }
                    } else {
                        seen.removeAll(keepingCapacity: true)
                        for (term, _) in terms.skills { seen.insert(fixes[term] ?? term) }
                        for (term, _) in terms.titles { seen.insert(fixes[term] ?? term) }
                        for term in seen { shared.value[worker][term, default: 0] += 1 }
                    }
                }
            }
        }
        var total = partial[0]
        for other in partial.dropFirst() { total.merge(other, uniquingKeysWith: +) }
        return total
    }

    /// The skills and titles blocks of one person, each scaled to unit length (empty when the person
    /// has no known feature of that field), columns ascending. Skills use sublinear tf (1 + ln tf).
    public func fieldBlocks(_ person: Person, columns column: [String: UInt32]) -> (skills: [(UInt32, Float)], titles: [(UInt32, Float)]) {
        fieldBlocks(terms(person), columns: column)
    }

    /// `fieldBlocks(_:columns:)` from a person's features.
    public func fieldBlocks(_ terms: PersonTerms, columns column: [String: UInt32]) -> (skills: [(UInt32, Float)], titles: [(UInt32, Float)]) {
        // Features in column order (a spelling fix can send two features to one column: counts add up,
        // title weights take the larger), so every sum below runs in one fixed order.
        var skillCounts: [(UInt32, Float)] = []
        for (term, count) in terms.skills {
            if let c = column[spellingFixes[term] ?? term] { skillCounts.append((c, Float(count))) }
        }
        var titleWeights: [(UInt32, Float)] = []
        for (term, weight) in terms.titles {
            if let c = column[spellingFixes[term] ?? term] { titleWeights.append((c, Float(weight))) }
        }
        return blocks(skillCounts: skillCounts, titleWeights: titleWeights)
    }

    /// The unit skills and titles blocks from (column, count) and (column, recency weight) pairs in any
    /// order (pairs of one column combine: counts add up, weights take the larger).
    func blocks(skillCounts: [(UInt32, Float)], titleWeights: [(UInt32, Float)]) -> (skills: [(UInt32, Float)], titles: [(UInt32, Float)]) {
        let skillBlock = PeopleVectorizer.merged(skillCounts, +).map { ($0.0, idf[Int($0.0)] * Float(1 + log(Double($0.1)))) }
        let titleBlock = PeopleVectorizer.merged(titleWeights, max).map { ($0.0, idf[Int($0.0)] * $0.1) }
        func unit(_ block: [(UInt32, Float)]) -> [(UInt32, Float)] {
            let norm = block.reduce(Float(0)) { $0 + $1.1 * $1.1 }.squareRoot()
            guard norm > 0 else { return [] }
            return block.map { ($0.0, $0.1 / norm) }
        }
        return (unit(skillBlock), unit(titleBlock))
    }

    /// Entries sorted by column, those of one column combined.
    static func merged(_ entries: [(UInt32, Float)], _ combine: (Float, Float) -> Float) -> [(UInt32, Float)] {
        let sorted = entries.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        var out: [(UInt32, Float)] = []
        out.reserveCapacity(sorted.count)
        for (c, v) in sorted {
            if let last = out.last, last.0 == c { out[out.count - 1].1 = combine(last.1, v) } else { out.append((c, v)) }
        }
        return out
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
        transform(terms: terms(of: people), columns: column)
    }

    /// Vectors of `people` on the caller's thread, each distinct text read through the caller's
    /// `FeatureColumnCache` (kept across calls: a worker that projects block after block analyses each
    /// distinct title or skill once, and a person's features are found without building their texts).
    /// The same vectors as `transform(_:columns:)`.
    public func transform(_ people: ArraySlice<Person>, columns column: [String: UInt32], cache: inout FeatureColumnCache) -> SparseVectors {
        var rows = SparseRowBuilder(columnCount: vocabulary.count, capacity: people.count)
        var skillTerms: [(term: Int32, column: Int32, count: Int)] = []
        var titleTerms: [(term: Int32, column: Int32, weight: Double)] = []
        var skillCounts: [(UInt32, Float)] = []
        var titleWeights: [(UInt32, Float)] = []
        for person in people {
            cache.startPerson()
            // Skills: each canonical skill counts; the skill as typed adds 1 when it is another feature.
            skillTerms.removeAll(keepingCapacity: true)
            for skill in person.skills {
                let t = cache.skill(skill, vectorizer: self, columns: column)
                if let at = skillTerms.firstIndex(where: { $0.term == t.term }) { skillTerms[at].count += 1 } else { skillTerms.append((t.term, t.column, 1)) }
            }
            if let raw = person.rawSkills {
                for skill in raw {
                    guard let t = cache.typedSkill(skill, vectorizer: self, columns: column) else { continue }
                    if !skillTerms.contains(where: { $0.term == t.term }) { skillTerms.append((t.term, t.column, 1)) }
                }
            }
            // Titles: the largest recency weight of each feature over the positions.
            titleTerms.removeAll(keepingCapacity: true)
            func add(_ t: (term: Int32, column: Int32), _ w: Double) {
                if let at = titleTerms.firstIndex(where: { $0.term == t.term }) {
                    titleTerms[at].weight = max(titleTerms[at].weight, w)
                } else {
                    titleTerms.append((t.term, t.column, w))
                }
            }
            var weight = 1.0
            let decay = weights.titleRecencyDecay
            for position in person.positions.reversed() {
                let mapped = position.occupation != nil
                let phraseWeight = weight * (mapped ? min(max(position.confidence ?? 1, 0), 1) : 1)
                if phraseWeight > 0 { add(cache.titlePhrase(position.title, vectorizer: self, columns: column), phraseWeight) }
                for t in cache.titleWords(mapped ? (position.rawTitle ?? position.title) : position.title, vectorizer: self, columns: column) {
                    add(t, weight)
                }
                weight *= decay
            }
            skillCounts.removeAll(keepingCapacity: true)
            for t in skillTerms where t.column >= 0 { skillCounts.append((UInt32(t.column), Float(t.count))) }
            titleWeights.removeAll(keepingCapacity: true)
            for t in titleTerms where t.column >= 0 { titleWeights.append((UInt32(t.column), Float(t.weight))) }
            let (skillBlock, titleBlock) = blocks(skillCounts: skillCounts, titleWeights: titleWeights)
            rows.append(skills: skillBlock, titles: titleBlock, weights: weights)
        }
        return rows.vectors
    }

    /// Vectors from people's features.
    func transform(terms all: [PersonTerms], columns column: [String: UInt32]) -> SparseVectors {
        var rows = SparseRowBuilder(columnCount: vocabulary.count, capacity: all.count)
        for terms in all {
            let (skillBlock, titleBlock) = fieldBlocks(terms, columns: column)
            rows.append(skills: skillBlock, titles: titleBlock, weights: weights)
        }
        return rows.vectors
    }
}

/// A person's features before weighting: title features with their recency weight, skill features
/// with their count (`PeopleVectorizer.terms`).
public struct PersonTerms: Sendable, Equatable {
    public var titles: [(String, Double)]
    public var skills: [(String, Int)]

    public static func == (a: PersonTerms, b: PersonTerms) -> Bool {
        a.titles.map(\.0) == b.titles.map(\.0) && a.titles.map(\.1) == b.titles.map(\.1) && a.skills.map(\.0) == b.skills.map(\.0)
            && a.skills.map(\.1) == b.skills.map(\.1)
    }
}

/// Word features of title and skill texts, each distinct text analysed once (up to `limit` texts of
/// each kind; beyond that, texts are analysed each time: memory stays bounded). One per thread.
public struct WordCache {
    private var titles: [String: [String]] = [:]
    private var skills: [String: String] = [:]
    /// Distinct texts of each kind kept.
    public let limit: Int

    public init(limit: Int = 1_000_000) { self.limit = limit }

    mutating func titleWords(_ text: String) -> [String] {
        if let known = titles[text] { return known }
        let words = EvidenceWords.title(text).map { "tw:" + $0 }
        if titles.count < limit { titles[text] = words }
        return words
    }

    /// `skill:<normalised text>` of a skill as typed ("" when nothing is left of it).
    mutating func skillPhrase(_ text: String) -> String {
        if let known = skills[text] { return known }
        let key = TextNormalizer.key(PrivacyMask.withoutPlaceholders(text))
        let phrase = key.isEmpty ? "" : "skill:" + key
        if skills.count < limit { skills[text] = phrase }
        return phrase
    }
}

/// The vocabulary column of each distinct title and skill text one worker has seen (after spelling
/// fixes; −1 for a feature the vocabulary lacks), and a number for each distinct feature, so that a
/// person's features are combined by number instead of by text. Bounded: beyond `limit` texts of a
/// kind, texts are analysed each time (their feature numbers then come from a second, bounded table).
/// One per thread, for one vectorizer.
public struct FeatureColumnCache {
    public typealias Term = (term: Int32, column: Int32)
    private var terms: [String: Int32] = [:]
    private var columnOfTerm: [Int32] = []
    private var skills: [String: Term] = [:]
    private var typedSkills: [String: Term?] = [:]
    private var titlePhrases: [String: Term] = [:]
    private var titleWords: [String: [Term]] = [:]
    /// `tw:` features by the title's normalised key (texts that differ only in case or punctuation).
    private var titleKeys: [String: [Term]] = [:]
    /// Each word of a title key as `EvidenceWords.title` reads it: its expansion, each part with its
    /// level role and feature (nil for a function word).
    private var keyWords: [String: [(role: Seniority.Role, term: Term?)]] = [:]
    /// Scratch of `titleWords(ofKey:)`.
    private var parts: [(role: Seniority.Role, term: Term?)] = []
    private var roles: [Seniority.Role] = []
    private var levelMarks: [Bool] = []
    private var words = WordCache()
    /// Distinct texts of each kind kept.
    public let limit: Int

    public init(limit: Int = 20_000) {
        self.limit = limit
        // The texts' features are cached here; the word analysis is not kept a second time.
        words = WordCache(limit: 0)
    }

    /// The number and column of a feature text. Past 4 × `limit` features the table starts again
    /// (numbers only need to tell apart the features of one person, and every cache of texts is
    /// emptied with it).
    private mutating func term(_ text: String, vectorizer: PeopleVectorizer, columns: [String: UInt32]) -> Term {
        if let t = terms[text] { return (t, columnOfTerm[Int(t)]) }
        let column = columns[vectorizer.spellingFixes[text] ?? text].map { Int32($0) } ?? -1
        let t = Int32(columnOfTerm.count)
        terms[text] = t
        columnOfTerm.append(column)
        return (t, column)
    }

    /// Called before each person: empties every table when the feature table is full (never in the
    /// middle of a person, whose features are told apart by number).
    mutating func startPerson() {
        guard columnOfTerm.count >= 4 * limit else { return }
        terms.removeAll(keepingCapacity: true)
        columnOfTerm.removeAll(keepingCapacity: true)
        skills.removeAll(keepingCapacity: true)
        typedSkills.removeAll(keepingCapacity: true)
        titlePhrases.removeAll(keepingCapacity: true)
        titleWords.removeAll(keepingCapacity: true)
        titleKeys.removeAll(keepingCapacity: true)
        keyWords.removeAll(keepingCapacity: true)
    }

    /// `skill:<canonical skill, lower-cased>`.
    mutating func skill(_ text: String, vectorizer: PeopleVectorizer, columns: [String: UInt32]) -> Term {
        if let t = skills[text] { return t }
        let t = term("skill:" + text.lowercased(), vectorizer: vectorizer, columns: columns)
        if skills.count < limit { skills[text] = t }
        return t
    }

    /// The skill as typed (`WordCache.skillPhrase`), nil when nothing is left of it.
    mutating func typedSkill(_ text: String, vectorizer: PeopleVectorizer, columns: [String: UInt32]) -> Term? {
        if let t = typedSkills[text] { return t }
        let phrase = words.skillPhrase(text)
        let t = phrase.isEmpty ? nil : term(phrase, vectorizer: vectorizer, columns: columns)
        if typedSkills.count < limit { typedSkills[text] = t }
        return t
    }

    /// `title:<canonical title, lower-cased>`.
    mutating func titlePhrase(_ text: String, vectorizer: PeopleVectorizer, columns: [String: UInt32]) -> Term {
        if let t = titlePhrases[text] { return t }
        let t = term("title:" + text.lowercased(), vectorizer: vectorizer, columns: columns)
        if titlePhrases.count < limit { titlePhrases[text] = t }
        return t
    }

    /// `tw:<word>` of each folded word of a title as typed.
    mutating func titleWords(_ text: String, vectorizer: PeopleVectorizer, columns: [String: UInt32]) -> [Term] {
        if let t = titleWords[text] { return t }
        let key = TextNormalizer.key(PrivacyMask.withoutPlaceholders(text))
        let found: [Term]
        if let t = titleKeys[key] {
            found = t
        } else {
            found = titleWords(ofKey: key, vectorizer: vectorizer, columns: columns)
            if titleKeys.count < limit { titleKeys[key] = found }
        }
        if titleWords.count < limit { titleWords[text] = found }
        return found
    }

    /// The features of `EvidenceWords.title` for a text whose key is `key`, found word by word: each
    /// distinct word's parts (`EvidenceWords.titleParts`) taken once, then the same rule as `title`:
    /// level words split off (`Seniority.markLevels`), function words dropped, each folded word once.
    private mutating func titleWords(ofKey key: String, vectorizer: PeopleVectorizer, columns: [String: UInt32]) -> [Term] {
        parts.removeAll(keepingCapacity: true)
        for word in TextNormalizer.words(key) {
            let word = String(word)
            if let known = keyWords[word] {
                parts.append(contentsOf: known)
                continue
            }
            var described: [(role: Seniority.Role, term: Term?)] = []
            for part in EvidenceWords.titleParts(ofWord: word) {
                described.append((part.role, part.folded.map { term("tw:" + $0, vectorizer: vectorizer, columns: columns) }))
            }
            if keyWords.count < limit { keyWords[word] = described }
            parts.append(contentsOf: described)
        }
        roles.removeAll(keepingCapacity: true)
        for part in parts { roles.append(part.role) }
        Seniority.markLevels(roles, into: &levelMarks)
        var found: [Term] = []
        for (i, part) in parts.enumerated() where !levelMarks[i] {
            guard let t = part.term, !found.contains(where: { $0.term == t.term }) else { continue }
            found.append(t)
        }
        return found
    }
}

/// Rows of the people's text vectors: each field's unit block times √w_f, the row divided by
/// √(Σ w_f over the fields the person has), so a row is unit length whatever fields it has.
struct SparseRowBuilder {
    private var offsets: [Int]
    private var columns: [UInt32] = []
    private var values: [Float] = []
    private let columnCount: Int

    init(columnCount: Int, capacity: Int) {
        self.columnCount = columnCount
        offsets = [0]
        offsets.reserveCapacity(capacity + 1)
    }

    mutating func append(skills: [(UInt32, Float)], titles: [(UInt32, Float)], weights: MetricWeights) {
        var row: [(UInt32, Float)] = []
        var total = 0.0
        for (block, weight) in [(skills, weights.skills), (titles, weights.titles)] where weight > 0 && !block.isEmpty {
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

    var vectors: SparseVectors { SparseVectors(offsets: offsets, columns: columns, values: values, columnCount: columnCount) }
}


/// Spelling variants learned from the people themselves, no dictionary needed: a rare feature (a title
/// word or a whole skill that at most `rareAtMost` people have, 5 characters or more) is read as a
/// frequent feature of the same kind (at least `frequentAtLeast` people, and 3× as many) that one
/// deletion on each side makes equal (a symmetric-delete index: one inserted, dropped, changed or swapped
/// letter, or one letter moved) and whose Damerau–Levenshtein distance is at most 1 (2 from 8 characters):
/// "sofware" as "software", "microsoft excell" as "microsoft excel". Of several, the most frequent wins
/// (ties: the smaller text), so the fixes depend only on the counts.
///
/// - Complexity: O(Σ length of the features), with one distance computation per candidate pair.
enum SpellingFixes {
    static let rareAtMost = 2
    static let frequentAtLeast = 5

    static func learn(documentFrequency df: [String: Int], threads: Int? = nil) -> [String: String] {
        // Frequent features, in a fixed order, indexed by the hashes of their one-deletion keys.
        let frequent = df.filter { $0.value >= frequentAtLeast }.keys.sorted()
        let frequentBytes = frequent.map { Array($0.utf8) }
        let frequentCounts = frequent.map { df[$0]! }
        var byKey: [UInt64: [Int32]] = [:]
        for (i, bytes) in frequentBytes.enumerated() {
            guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), bytes.count - colon - 1 >= 4 else { continue }
            byKey[hash(bytes, skipping: -1), default: []].append(Int32(i))
            for j in (colon + 1)..<bytes.count { byKey[hash(bytes, skipping: j), default: []].append(Int32(i)) }
        }
        // Each rare feature is looked up on its own: in parallel chunks, in a fixed (sorted) order.
        let rare = df.filter { $0.value <= rareAtMost }.keys.sorted()
        var found = [Int32](repeating: -1, count: rare.count)
        let chunk = 4096
        found.withUnsafeMutableBufferPointer { buffer in
            let shared = UncheckedSendable(buffer)
            ParallelRunner(threads: threads).forEach(items: (rare.count + chunk - 1) / chunk) { c, _ in
                for r in (c * chunk)..<min(rare.count, (c + 1) * chunk) {
                    shared.value[r] = bestFix(
                        rare[r], count: df[rare[r]]!, frequent: frequent, frequentBytes: frequentBytes, frequentCounts: frequentCounts, byKey: byKey)
                }
            }
        }
        var fixes: [String: String] = [:]
        for (term, fix) in zip(rare, found) where fix >= 0 { fixes[term] = frequent[Int(fix)] }
        return fixes
    }

    /// FNV-1a 64 of `bytes` with the byte at `skipping` left out (none when negative).
    static func hash(_ bytes: [UInt8], skipping: Int) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for (i, b) in bytes.enumerated() where i != skipping {
            h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3
        }
        return h
    }

    /// The index (in `frequent`) of the frequent feature a rare one misspells, or −1.
    static func bestFix(
        _ term: String, count n: Int, frequent: [String], frequentBytes: [[UInt8]], frequentCounts: [Int], byKey: [UInt64: [Int32]]
    ) -> Int32 {
        let bytes = Array(term.utf8)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { return -1 }
        let text = Array(term.unicodeScalars.drop { $0 != ":" }.dropFirst())
        guard text.count >= 5 else { return -1 }
        let limit = text.count >= 8 ? 2 : 1
        var best: Int32 = -1
        var checked = Set<Int32>()
        for skip in [-1] + Array((colon + 1)..<bytes.count) {
            for candidate in byKey[hash(bytes, skipping: skip)] ?? [] where checked.insert(candidate).inserted {
                let m = frequentCounts[Int(candidate)]
                guard m >= 3 * n else { continue }
                let other = frequentBytes[Int(candidate)]
                // Same kind of feature (the text before the colon), then the real distance.
                guard other.count > colon, other[colon] == UInt8(ascii: ":"), other[..<colon] == bytes[..<colon] else { continue }
                let b = Array(frequent[Int(candidate)].unicodeScalars.drop { $0 != ":" }.dropFirst())
                guard EditDistance.damerauLevenshtein(text, b, limit: limit) <= limit else { continue }
                if best < 0 || m > frequentCounts[Int(best)] || (m == frequentCounts[Int(best)] && candidate < best) { best = candidate }
            }
        }
        return best
    }
}
