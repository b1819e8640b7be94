import Foundation
import KindredPeople

/// Cleans one person at a time: canonical titles and skills, positions in date order, dates checked
/// and completed (`DateAudit`), the id replaced by its pseudonym, direct identifiers (name, e-mail,
/// phone, birth year) dropped, and personal data typed into free text masked (`PrivacyMask`). Keeps
/// the (masked) raw values beside the canonical ones.
///
/// `clean(_:)` maps values with the cleaner's own matchers and caches (one cleaner per thread);
/// `clean(_:pseudonymizer:dates:title:skill:statistics:)` is the same logic with the mapping handed
/// in, for callers that map distinct values in bulk (`CleanStage`).
public struct PersonCleaner {
    public let titles: CanonicalDictionary
    public let skills: CanonicalDictionary
    public let pseudonymizer: Pseudonymizer
    /// Date checks and imputation.
    public var dates: DateAudit
    private var titleMatcher: CanonicalDictionary.Matcher
    private var skillMatcher: CanonicalDictionary.Matcher
    private var titleCache: [String: CanonicalMatch] = [:]
    private var skillCache: [String: CanonicalMatch] = [:]
    /// Counts of what happened, for the reconciliation and the report.
    public private(set) var statistics = CleanStatistics()
    /// Distinct values the caches keep, shared and own together (then values are matched each time):
    /// bounds memory.
    public var cacheLimit = Int.max
    /// Mappings every worker reads (`SharedMappings`): looked up before the cleaner's own caches, which
    /// then hold only what this cleaner mapped since its owner last took them (`takeNewMappings`).
    public var shared = SharedMappings()
    /// Mappings that win over the dictionary (an analyst's overrides, learned variants), if any.
    public var preferredTitle: (@Sendable (String) -> CanonicalMatch?)?
    /// The catalogue's skills per occupation, to check fuzzy title mappings against the whole person.
    public var evidence: OccupationEvidence?

    public init(titles: CanonicalDictionary, skills: CanonicalDictionary, pseudonymizer: Pseudonymizer, dates: DateAudit = DateAudit(asOf: YearMonth(year: 2100, month: 1))) {
        self.titles = titles
        self.skills = skills
        self.pseudonymizer = pseudonymizer
        self.dates = dates
        titleMatcher = CanonicalDictionary.Matcher(titles)
        skillMatcher = CanonicalDictionary.Matcher(skills)
    }

    /// A cleaner whose dictionaries come from a catalogue.
    public init(catalog: OccupationCatalog, pseudonymizer: Pseudonymizer, dates: DateAudit = DateAudit(asOf: YearMonth(year: 2100, month: 1))) {
        self.init(titles: .titles(from: catalog), skills: .skills(from: catalog), pseudonymizer: pseudonymizer, dates: dates)
        evidence = OccupationEvidence.of(catalog)
    }

    /// The cleaned person.
    public mutating func clean(_ person: Person) -> Person {
        var statistics = self.statistics
        let out = PersonCleaner.clean(
            person, pseudonymizer: pseudonymizer, dates: dates,
            title: { raw in self.lookUpTitle(raw) }, skill: { raw in self.lookUpSkill(raw) }, evidence: evidence, statistics: &statistics)
        self.statistics = statistics
        return out
    }

    private mutating func lookUpTitle(_ raw: String) -> CanonicalMatch {
        if let preferred = preferredTitle?(raw) { return preferred }
        if let cached = shared.titles[raw] ?? titleCache[raw] { return cached }
        let match = titleMatcher.match(raw)
        if shared.titles.count + titleCache.count < cacheLimit { titleCache[raw] = match }
        return match
    }

    private mutating func lookUpSkill(_ raw: String) -> CanonicalMatch {
        if let cached = shared.skills[raw] ?? skillCache[raw] { return cached }
        let match = skillMatcher.match(raw)
        if shared.skills.count + skillCache.count < cacheLimit { skillCache[raw] = match }
        return match
    }

    /// The values this cleaner mapped itself since the last call (its own caches, emptied), for the
    /// owner to add to the shared mappings between chunks.
    public mutating func takeNewMappings() -> (titles: [String: CanonicalMatch], skills: [String: CanonicalMatch]) {
        defer {
            titleCache = [:]
            skillCache = [:]
        }
        return (titleCache, skillCache)
    }

    /// The masked form of every free-text value of a person, in the order `clean` looks them up:
    /// position titles (as given), then skills.
    public static func maskedValues(of person: Person) -> (titles: [String], skills: [String]) {
        let values = masked(person)
        return (values.titles.map(\.text), values.skills.map(\.text))
    }

    /// A person's position titles (as given) and skills, masked, each with whether anything was
    /// masked: computed once, then handed to `clean(_:masked:…)` so it does not mask them again.
    public struct MaskedValues: Sendable {
        public var titles: [(text: String, masked: Bool)]
        public var skills: [(text: String, masked: Bool)]
        public init(titles: [(text: String, masked: Bool)] = [], skills: [(text: String, masked: Bool)] = []) {
            self.titles = titles
            self.skills = skills
        }
    }

    /// The masked titles and skills of a person (`PrivacyMask` with the person's own identifiers).
    public static func masked(_ person: Person) -> MaskedValues {
        let mask = PrivacyMask(name: person.name, email: person.email, phone: person.phone)
        // By index: `map` over the positions would copy each one (a dozen strings retained and released).
        let positions = person.positions
        return MaskedValues(titles: positions.indices.map { mask.mask(positions[$0].title) }, skills: person.skills.map { mask.mask($0) })
    }

    /// The masked titles alone (`maskedValues(of:)`'s titles).
    public static func maskedTitles(of person: Person) -> [String] {
        let mask = PrivacyMask(name: person.name, email: person.email, phone: person.phone)
        return person.positions.map { mask.mask($0.title).text }
    }

    /// Cleans a person with the given value mappings (called with the masked raw values).
    ///
    /// With `evidence`, the person's skills vote for an occupation: a nearest-match mapping of the current
    /// title to an occupation that the skills do not support while they clearly support another is
    /// demoted (`title_match` = `contradicted`, confidence halved). Earlier titles are not checked: the
    /// skills describe the current job.
    public static func clean(
        _ person: Person, masked premasked: MaskedValues? = nil, pseudonymizer: Pseudonymizer, dates: DateAudit,
        title: (String) -> CanonicalMatch, skill: (String) -> CanonicalMatch, evidence: OccupationEvidence? = nil,
        statistics: inout CleanStatistics
    ) -> Person {
        let mask = PrivacyMask(name: person.name, email: person.email, phone: person.phone)
        func masked(_ text: String) -> String {
            let (out, changed) = mask.mask(text)
            if changed { statistics.valuesMasked += 1 }
            return out
        }
        var out = Person(id: pseudonymizer.pseudonym(for: person.id))
        out.location = person.location.map { masked($0.trimmingSpaces()) }.flatMap { $0.isEmpty ? nil : $0 }
        var canonicalSkills: [String] = []
        var rawSkills: [String] = []
        var seenSkills = Set<String>()
        for (k, raw) in person.skills.enumerated() {
            let value: String
            if let premasked {
                value = premasked.skills[k].text
                if premasked.skills[k].masked { statistics.valuesMasked += 1 }
            } else {
                value = masked(raw)
            }
            rawSkills.append(value)
            let match = skill(value)
            statistics.skills += 1
            statistics.count(match, isTitle: false)
            // A skill that was nothing but personal data (now a mask label) is no skill.
            let empty = PrivacyMask.withoutPlaceholders(match.canonical).trimmingSpaces().isEmpty
            if !empty, seenSkills.insert(match.canonical).inserted { canonicalSkills.append(match.canonical) }
        }
        out.skills = canonicalSkills
        out.rawSkills = rawSkills
        // Chronological order; positions without a start keep their relative order at the end.
        let ordered = person.positions.enumerated().sorted { a, b in
            switch (a.element.start, b.element.start) {
            case let (x?, y?): return x != y ? x < y : a.offset < b.offset
            case (.some, .none): return true
            case (.none, .some): return false
            case (.none, .none): return a.offset < b.offset
            }
        }
        for (offset, position) in ordered {
            let value: String
            if let premasked {
                value = premasked.titles[offset].text
                if premasked.titles[offset].masked { statistics.valuesMasked += 1 }
            } else {
                value = masked(position.title)
            }
            let match = title(value)
            statistics.titles += 1
            statistics.count(match, isTitle: true)
            var cleaned = Position(
                title: match.canonical, rawTitle: value, occupation: match.occupation, seniority: match.seniority,
                confidence: match.confidence, company: position.company.map { masked($0.trimmingSpaces()) },
                start: position.start, end: position.end)
            cleaned.titleMatch = match.method.rawValue
            cleaned.endIsPresent = position.endIsPresent
            // Flags from reading the dates (unreadable, year only, ambiguous) stay on the position and are counted.
            cleaned.dateIssues = position.dateIssues
            for issue in position.dateIssues { statistics.dateIssues[issue, default: 0] += 1 }
            out.positions.append(cleaned)
        }
        // Skills describe the current job (earlier ones may have been other occupations: careers change).
        if let evidence, let i = out.currentPositionIndex, out.positions[i].titleMatch == CanonicalMatch.Method.nearest.rawValue,
            let occupation = out.positions[i].occupation, evidence.contradicts(skills: out.skills, occupation: occupation)
        {
            out.positions[i].titleMatch = PersonCleaner.contradicted
            out.positions[i].confidence = (out.positions[i].confidence ?? 0) / 2
            statistics.titlesContradicted += 1
        }
        var personIssues: [String] = []
        let audit = dates.audit(&out.positions, birthYear: person.birthYear, personIssues: &personIssues)
        out.dateIssues = personIssues
        statistics.endDatesInferred += audit.endsInferred
        statistics.datesImputed += audit.datesImputed
        for (issue, count) in audit.issues { statistics.dateIssues[issue, default: 0] += count }
        statistics.people += 1
        return out
    }
}

/// Value mappings shared by the workers of one job: one read-mostly cache instead of one per worker.
/// Workers read it (a value, so reading it from many threads is safe) while a chunk is cleaned; between
/// chunks, with no worker holding it, the owner adds what the workers mapped (`add`), in place. A
/// mapping is a function of the value alone, so what is cached never changes an output.
public struct SharedMappings: Sendable {
    public private(set) var titles: [String: CanonicalMatch] = [:]
    public private(set) var skills: [String: CanonicalMatch] = [:]

    public init() {}

    /// Adds new mappings while the total stays within `limit` per kind.
    public mutating func add(titles newTitles: [String: CanonicalMatch], skills newSkills: [String: CanonicalMatch], limit: Int) {
        for (value, match) in newTitles where titles.count < limit { titles[value] = match }
        for (value, match) in newSkills where skills.count < limit { skills[value] = match }
    }

    public var count: Int { titles.count + skills.count }
}

extension PersonCleaner {
    /// The `title_match` of a fuzzy title mapping that the person's skills contradict.
    public static let contradicted = "contradicted"
}

/// Counts kept while cleaning (summable across workers).
public struct CleanStatistics: Sendable, Equatable {
    public var people = 0
    public var titles = 0
    public var titlesExact = 0
    public var titlesFuzzy = 0
    public var titlesUnmatched = 0
    public var titlesOverridden = 0
    public var titlesLearned = 0
    /// Fuzzy title mappings demoted because the person's skills support another occupation.
    public var titlesContradicted = 0
    public var skills = 0
    public var skillsExact = 0
    public var skillsFuzzy = 0
    public var skillsUnmatched = 0
    public var endDatesInferred = 0
    public var datesImputed = 0
    /// Free-text values in which personal data was masked.
    public var valuesMasked = 0
    /// Date problems by kind.
    public var dateIssues: [String: Int] = [:]

    public init() {}

    mutating func count(_ match: CanonicalMatch, isTitle: Bool) {
        let exact = match.confidence == 1
        let none = match.method == .none
        if isTitle {
            if match.method == .override { titlesOverridden += 1 }
            if match.method == .learned { titlesLearned += 1 }
            if none { titlesUnmatched += 1 } else if exact { titlesExact += 1 } else { titlesFuzzy += 1 }
        } else {
            if none { skillsUnmatched += 1 } else if exact { skillsExact += 1 } else { skillsFuzzy += 1 }
        }
    }

    /// Adds another worker's counts.
    public mutating func add(_ other: CleanStatistics) {
        people += other.people
        titles += other.titles
        titlesExact += other.titlesExact
        titlesFuzzy += other.titlesFuzzy
        titlesUnmatched += other.titlesUnmatched
        titlesOverridden += other.titlesOverridden
        titlesLearned += other.titlesLearned
        titlesContradicted += other.titlesContradicted
        skills += other.skills
        skillsExact += other.skillsExact
        skillsFuzzy += other.skillsFuzzy
        skillsUnmatched += other.skillsUnmatched
        endDatesInferred += other.endDatesInferred
        datesImputed += other.datesImputed
        valuesMasked += other.valuesMasked
        for (issue, count) in other.dateIssues { dateIssues[issue, default: 0] += count }
    }
}
