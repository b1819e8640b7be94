import KindredPeople

/// The result of mapping one free-text value to a canonical form.
public struct CanonicalMatch: Sendable, Equatable {
    /// The canonical text (the dictionary's form, or the normalised input when nothing matched).
    public var canonical: String
    /// Catalogue occupation id, for titles that matched.
    public var occupation: String?
    /// A level split off a title ("senior", "ii"…).
    public var seniority: String?
    /// 1 for an exact match after normalisation, lower for a match by edit distance, 0 when nothing matched.
    public var confidence: Double
}

/// Maps free-text titles or skills to canonical forms: exact match of the normalised key, then the
/// nearest dictionary key by Damerau–Levenshtein distance within a tolerance that grows with length
/// (1 edit from 4 characters, 2 from 9, 3 from 16). Results are cached per distinct input.
///
/// This is the first version: a scan over the dictionary keys for values not found exactly.
public struct CanonicalDictionary: Sendable {
    struct Entry: Sendable {
        let key: [Unicode.Scalar]
        let canonical: String
        let occupation: String?
    }

    private var exact: [String: Int] = [:]
    private var entries: [Entry] = []
    /// Whether level words are split off before matching (titles: yes; skills: no).
    public let splitsSeniority: Bool

    /// An empty dictionary.
    public init(splitsSeniority: Bool) {
        self.splitsSeniority = splitsSeniority
    }

    /// Adds a spelling of a canonical form. The first canonical form given for a key wins.
    public mutating func add(_ spelling: String, canonical: String, occupation: String? = nil) {
        var key = TextNormalizer.key(spelling)
        if splitsSeniority { key = Seniority.split(key).title }
        guard !key.isEmpty, exact[key] == nil else { return }
        exact[key] = entries.count
        entries.append(Entry(key: Array(key.unicodeScalars), canonical: canonical, occupation: occupation))
    }

    /// Number of distinct keys.
    public var count: Int { entries.count }

    /// The title dictionary of a catalogue: canonical titles and their variants.
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
        return dictionary
    }

    /// The skill dictionary of a catalogue.
    public static func skills(from catalog: OccupationCatalog) -> CanonicalDictionary {
        var dictionary = CanonicalDictionary(splitsSeniority: false)
        for occupation in catalog.occupations {
            for skill in occupation.skills { dictionary.add(skill, canonical: skill) }
        }
        return dictionary
    }

    static func tolerance(forLength length: Int) -> Int {
        switch length {
        case ..<4: return 0
        case ..<9: return 1
        case ..<16: return 2
        default: return 3
        }
    }

    /// Maps one value.
    public func match(_ text: String) -> CanonicalMatch {
        var key = TextNormalizer.key(text)
        var seniority: String?
        if splitsSeniority {
            let parts = Seniority.split(key)
            key = parts.title
            seniority = parts.level
        }
        if let index = exact[key] {
            let entry = entries[index]
            return CanonicalMatch(canonical: entry.canonical, occupation: entry.occupation, seniority: seniority, confidence: 1)
        }
        let scalars = Array(key.unicodeScalars)
        let limit = CanonicalDictionary.tolerance(forLength: scalars.count)
        var best = -1
        var bestDistance = limit + 1
        if limit > 0 {
            for (index, entry) in entries.enumerated() where abs(entry.key.count - scalars.count) < bestDistance {
                let distance = EditDistance.damerauLevenshtein(scalars, entry.key, limit: bestDistance - 1)
                if distance < bestDistance {
                    bestDistance = distance
                    best = index
                }
            }
        }
        if best >= 0 {
            let entry = entries[best]
            let confidence = max(0.05, 1 - Double(bestDistance) / Double(max(scalars.count, 1)))
            return CanonicalMatch(canonical: entry.canonical, occupation: entry.occupation, seniority: seniority, confidence: confidence)
        }
        return CanonicalMatch(canonical: key, occupation: nil, seniority: seniority, confidence: 0)
    }
}
