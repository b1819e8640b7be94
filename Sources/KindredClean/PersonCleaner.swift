import KindredPeople

/// Cleans one person at a time: canonical titles and skills, positions in date order, missing end
/// dates inferred from the next position's start, the id replaced by its pseudonym, and direct
/// identifiers (name, e-mail, phone) dropped. Keeps the raw values beside the canonical ones.
///
/// A value type with a per-instance cache of mappings; one cleaner per thread.
public struct PersonCleaner {
    public let titles: CanonicalDictionary
    public let skills: CanonicalDictionary
    public let pseudonymizer: Pseudonymizer
    private var titleCache: [String: CanonicalMatch] = [:]
    private var skillCache: [String: CanonicalMatch] = [:]
    /// Counts of what happened, for the reconciliation and the report.
    public private(set) var statistics = CleanStatistics()

    public init(titles: CanonicalDictionary, skills: CanonicalDictionary, pseudonymizer: Pseudonymizer) {
        self.titles = titles
        self.skills = skills
        self.pseudonymizer = pseudonymizer
    }

    /// A cleaner whose dictionaries come from a catalogue.
    public init(catalog: OccupationCatalog, pseudonymizer: Pseudonymizer) {
        self.init(titles: .titles(from: catalog), skills: .skills(from: catalog), pseudonymizer: pseudonymizer)
    }

    mutating func title(_ raw: String) -> CanonicalMatch {
        if let cached = titleCache[raw] { return cached }
        let match = titles.match(raw)
        titleCache[raw] = match
        return match
    }

    mutating func skill(_ raw: String) -> CanonicalMatch {
        if let cached = skillCache[raw] { return cached }
        let match = skills.match(raw)
        skillCache[raw] = match
        return match
    }

    /// The cleaned person.
    public mutating func clean(_ person: Person) -> Person {
        var out = Person(id: pseudonymizer.pseudonym(for: person.id))
        out.location = person.location.map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
        var canonicalSkills: [String] = []
        var seenSkills = Set<String>()
        for raw in person.skills {
            let match = skill(raw)
            statistics.skills += 1
            if match.confidence == 1 { statistics.skillsExact += 1 } else if match.confidence > 0 { statistics.skillsFuzzy += 1 } else { statistics.skillsUnmatched += 1 }
            if !match.canonical.isEmpty, seenSkills.insert(match.canonical).inserted { canonicalSkills.append(match.canonical) }
        }
        out.skills = canonicalSkills
        out.rawSkills = person.skills
        // Chronological order; positions without a start keep their relative order at the end.
        let ordered = person.positions.enumerated().sorted { a, b in
            switch (a.element.start, b.element.start) {
            case let (x?, y?): return x != y ? x < y : a.offset < b.offset
            case (.some, .none): return true
            case (.none, .some): return false
            case (.none, .none): return a.offset < b.offset
            }
        }.map(\.element)
        for (index, position) in ordered.enumerated() {
            let match = title(position.title)
            statistics.titles += 1
            if match.confidence == 1 { statistics.titlesExact += 1 } else if match.confidence > 0 { statistics.titlesFuzzy += 1 } else { statistics.titlesUnmatched += 1 }
            var cleaned = Position(
                title: match.canonical, rawTitle: position.title, occupation: match.occupation, seniority: match.seniority,
                confidence: match.confidence, company: position.company?.trimmingCharacters(in: .whitespaces),
                start: position.start, end: position.end)
            if cleaned.end == nil, index + 1 < ordered.count, let next = ordered[index + 1].start,
                let start = cleaned.start, next >= start
            {
                cleaned.end = next
                cleaned.endInferred = true
                statistics.endDatesInferred += 1
            }
            out.positions.append(cleaned)
        }
        statistics.people += 1
        return out
    }
}

/// Counts kept while cleaning.
public struct CleanStatistics: Sendable, Equatable {
    public var people = 0
    public var titles = 0
    public var titlesExact = 0
    public var titlesFuzzy = 0
    public var titlesUnmatched = 0
    public var skills = 0
    public var skillsExact = 0
    public var skillsFuzzy = 0
    public var skillsUnmatched = 0
    public var endDatesInferred = 0

    public init() {}
}
