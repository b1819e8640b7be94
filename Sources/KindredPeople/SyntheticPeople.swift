import KindredCore

/// Settings for synthetic people: how many, the seed, and how dirty the data is.
/// Every rate is a probability in [0, 1].
public struct SynthOptions: Sendable {
    public var seed: UInt64 = 1
    /// Chance that a title or skill gets a misspelling (1–2 character edits).
    public var typoRate = 0.12
    /// Chance of case noise (all lower, all upper, random case).
    public var caseNoiseRate = 0.15
    /// Chance of punctuation noise (hyphens, dots, doubled spaces).
    public var punctuationRate = 0.1
    /// Chance that a title carries a seniority word ("Senior", "Lead", "II"…).
    public var seniorityRate = 0.25
    /// Chance that a title is written as a synonym/variant rather than the canonical title.
    public var synonymRate = 0.7
    /// Chance that a finished position has no end date.
    public var missingEndRate = 0.3
    /// Chance that a person has no skills at all.
    public var missingSkillsRate = 0.03
    /// Chance that an earlier position is in a related occupation of the same family.
    public var careerMoveRate = 0.35
    /// Chance that an earlier position is in another family altogether (career changers).
    public var crossFamilyRate = 0.05
    /// Mean number of generic skills ("Communication", "Microsoft Office"…) a person lists.
    public var genericSkills = 1.5
    /// Chance that a record is written malformed (to exercise quarantine); 0 by default.
    public var malformedRate = 0.0

    public init() {}
}

/// Generates synthetic people from an occupation catalogue, one person at a time, so any number can
/// be streamed in constant memory. Person `i` depends only on the catalogue, the options and `i`.
///
/// Each person has 1–6 positions, titles drawn from the occupation's canonical title and variants
/// (earlier positions sometimes from related occupations in the same family), companies, start and
/// end months, skills sampled from the occupation, and the configured dirt. The ground truth is the
/// occupation of the current (latest) position.
public struct SyntheticPeople: Sendable {
    public let catalog: OccupationCatalog
    public let options: SynthOptions
    /// The month the synthetic careers end in (fixed, so output never depends on the clock).
    public static let referenceMonth = YearMonth(year: 2026, month: 6)

    public init(catalog: OccupationCatalog, options: SynthOptions) throws {
        guard !catalog.occupations.isEmpty else { throw KindredError.usage("the catalogue has no occupations") }
        self.catalog = catalog
        self.options = options
    }

    /// One generated record.
    public struct Record: Sendable {
        public var person: Person
        /// The JSON line to write (malformed when the options ask for it).
        public var line: String
        public var occupation: Occupation
    }

    /// Person number `index` (0-based).
    public func record(at index: Int) -> Record {
        var rng = SeededGenerator(seed: options.seed, stream: UInt64(index))
        let occupation = catalog.occupations[Int(rng.next() % UInt64(catalog.occupations.count))]
        let id = "p" + String(index + 1).leftPadded(to: 7)
        let first = SyntheticNames.first[Int(rng.next() % UInt64(SyntheticNames.first.count))]
        let last = SyntheticNames.last[Int(rng.next() % UInt64(SyntheticNames.last.count))]
        var person = Person(id: id)
        person.name = first + " " + last
        person.email = first.lowercased() + "." + last.lowercased() + "\(rng.next() % 100)@example.com"
        person.phone = "+1-555-" + String(rng.next() % 10_000).leftPadded(to: 4)
        let city = SyntheticNames.cities[Int(rng.next() % UInt64(SyntheticNames.cities.count))]
        person.location = city

        // Job history, generated backwards from the current job.
        let count = 1 + Int(rng.next() % 6)
        var cursor = SyntheticPeople.referenceMonth.ordinal
        let current = rng.nextUnit() < 0.85
        if !current { cursor -= Int(rng.next() % 18) + 1 }
        var occupationsHeld: [Occupation] = []
        var positions: [Position] = []
        for step in 0..<count {
            var held = occupation
            let move = rng.nextUnit()
            if step > 0, move < options.careerMoveRate, !occupation.related.isEmpty {
                let relatedID = occupation.related[Int(rng.next() % UInt64(occupation.related.count))]
                if let index = catalog.indexByID[relatedID] { held = catalog.occupations[index] }
            } else if step > 0, move < options.careerMoveRate + options.crossFamilyRate {
                held = catalog.occupations[Int(rng.next() % UInt64(catalog.occupations.count))]
            }
            occupationsHeld.append(held)
            let tenure = 6 + Int(rng.next() % 72)
            let end = cursor
            let start = end - tenure
            var position = Position(title: dirtyTitle(for: held, rng: &rng))
            position.company = SyntheticNames.company(for: held.family, rng: &rng)
            position.start = YearMonth(ordinal: start)
            if step == 0 && current {
                position.end = nil
            } else if rng.nextUnit() >= options.missingEndRate {
                position.end = YearMonth(ordinal: end)
            }
            positions.append(position)
            cursor = start - Int(rng.next() % 5)
            if cursor < YearMonth(year: 1975, month: 1).ordinal { break }
        }
        person.positions = positions.reversed()

        // Skills: mostly from the current occupation, a few from earlier ones.
        if rng.nextUnit() >= options.missingSkillsRate {
            var chosen: [String] = []
            let wanted = min(occupation.skills.count, 5 + Int(rng.next() % 6))
            var pool = occupation.skills
            for _ in 0..<wanted where !pool.isEmpty {
                chosen.append(pool.remove(at: Int(rng.next() % UInt64(pool.count))))
            }
            for held in occupationsHeld.dropFirst() where held.id != occupation.id && !held.skills.isEmpty {
                let extra = held.skills[Int(rng.next() % UInt64(held.skills.count))]
                if !chosen.contains(extra) { chosen.append(extra) }
            }
            // Generic skills: a Poisson-like count with the configured mean (sum of Bernoulli trials).
            let trials = Int((options.genericSkills * 2).rounded(.up))
            for _ in 0..<trials where rng.nextUnit() < options.genericSkills / Double(max(trials, 1)) {
                let generic = SyntheticNames.genericSkills[Int(rng.next() % UInt64(SyntheticNames.genericSkills.count))]
                if !chosen.contains(generic) { chosen.append(generic) }
            }
            person.skills = chosen.map { dirty($0, rng: &rng) }
        }
        var line = PeopleJSON.line(for: person)
        if rng.nextUnit() < options.malformedRate {
            line = malformed(line, person: person, rng: &rng)
        }
        return Record(person: person, line: line, occupation: occupation)
    }

    func dirtyTitle(for occupation: Occupation, rng: inout SeededGenerator) -> String {
        var title = occupation.title
        if !occupation.variants.isEmpty, rng.nextUnit() < options.synonymRate {
            title = occupation.variants[Int(rng.next() % UInt64(occupation.variants.count))]
        }
        if rng.nextUnit() < options.seniorityRate {
            let words = SyntheticNames.seniority
            let word = words[Int(rng.next() % UInt64(words.count))]
            title = word.hasPrefix(" ") ? title + word : word + " " + title
        }
        return dirty(title, rng: &rng)
    }

    func dirty(_ text: String, rng: inout SeededGenerator) -> String {
        var value = text
        if rng.nextUnit() < options.typoRate { value = Misspelling.apply(to: value, edits: 1 + Int(rng.next() % 2), rng: &rng) }
        if rng.nextUnit() < options.caseNoiseRate {
            switch rng.next() % 3 {
            case 0: value = value.lowercased()
            case 1: value = value.uppercased()
            default: value = String(value.map { rng.next() % 2 == 0 ? Character($0.lowercased()) : Character($0.uppercased()) })
            }
        }
        if rng.nextUnit() < options.punctuationRate {
            switch rng.next() % 3 {
            case 0: value = value.replacingAll(" ", with: "-")
            case 1: value = value + "."
            default: value = " " + value.replacingAll(" ", with: "  ")
            }
        }
        return value
    }

    func malformed(_ line: String, person: Person, rng: inout SeededGenerator) -> String {
        switch rng.next() % 4 {
        case 0: return String(line.prefix(line.count / 2))  // truncated JSON
        case 1:
            var copy = person
            copy.id = ""
            return PeopleJSON.line(for: copy)  // empty id
        case 2:
            var copy = person
            if !copy.positions.isEmpty { copy.positions[0].title = " " }
            else { copy.id = " " }
            return PeopleJSON.line(for: copy)  // missing title
        default: return line.replacingAll("[", with: "{")  // broken structure
        }
    }
}

/// Character-level misspellings: substitution, deletion, insertion, transposition of letters.
public enum Misspelling {
    /// Applies `edits` random edits to letters of `text` (short words are left alone).
    public static func apply(to text: String, edits: Int, rng: inout SeededGenerator) -> String {
        var chars = Array(text)
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        for _ in 0..<edits {
            let positions = chars.indices.filter { chars[$0].isLetter }
            guard positions.count >= 4 else { break }
            let at = positions[Int(rng.next() % UInt64(positions.count))]
            switch rng.next() % 4 {
            case 0: chars[at] = letters[Int(rng.next() % 26)]
            case 1: chars.remove(at: at)
            case 2: chars.insert(letters[Int(rng.next() % 26)], at: at)
            default:
                if at + 1 < chars.count, chars[at + 1].isLetter { chars.swapAt(at, at + 1) }
            }
        }
        return String(chars)
    }
}

extension String {
    /// Left-pads with zeros to `width` characters.
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// Name, company and place lists for synthetic people (invented; any likeness is chance).
enum SyntheticNames {
    static let first = [
        "Ava", "Liam", "Noah", "Emma", "Olivia", "Mateo", "Sofia", "Amara", "Kenji", "Priya", "Lucas", "Chloe",
        "Omar", "Fatima", "Ivan", "Elena", "Tariq", "Mei", "Jonas", "Ingrid", "Diego", "Lucia", "Kwame", "Zara",
        "Hugo", "Nina", "Arjun", "Leila", "Felix", "Hana",
    ]
    static let last = [
        "Smith", "Garcia", "Nguyen", "Okafor", "Kowalski", "Haddad", "Tanaka", "Silva", "Novak", "Larsen",
        "Moreau", "Rossi", "Schmidt", "Patel", "Cohen", "Ibrahim", "Murphy", "Andersson", "Costa", "Yilmaz",
    ]
    static let cities = [
        "Austin, TX", "Denver, CO", "Seattle, WA", "Boston, MA", "Chicago, IL", "Atlanta, GA", "Phoenix, AZ",
        "Portland, OR", "Columbus, OH", "Raleigh, NC", "Nashville, TN", "Minneapolis, MN",
    ]
    static let genericSkills = [
        "Communication", "Teamwork", "Microsoft Office", "Customer Service", "Problem Solving", "Leadership",
        "Time Management", "Attention to Detail", "Organization", "English", "Spanish", "Project Management",
    ]
    static let seniority = ["Senior", "Sr.", "Lead", "Junior", "Jr.", "Principal", "Trainee", " II", " III", " I"]
    static let companyStems = [
        "Northwind", "Bluebird", "Summit", "Riverside", "Granite", "Harbor", "Pioneer", "Cedar", "Lakeside",
        "Meridian", "Redwood", "Evergreen",
    ]
    static let companySuffixes: [String: [String]] = [
        "emergency services": ["Fire Department", "EMS", "Police Department", "Emergency Services"],
        "law": ["Law Group", "LLP", "Legal", "County Court"],
        "software": ["Labs", "Software", "Technologies", "Systems"],
        "health care": ["Hospital", "Health", "Medical Center", "Clinic"],
        "education": ["School District", "Academy", "University", "High School"],
        "skilled trades": ["Builders", "Electric", "Plumbing", "Construction"],
        "finance": ["Bank", "Capital", "Financial", "Credit Union"],
        "hospitality": ["Hotel", "Bistro", "Resort", "Catering"],
        "logistics": ["Logistics", "Freight", "Distribution", "Transport"],
        "marketing and sales": ["Marketing", "Retail", "Brands", "Sales"],
    ]

    static func company(for family: String, rng: inout SeededGenerator) -> String {
        let stem = companyStems[Int(rng.next() % UInt64(companyStems.count))]
        let suffixes = companySuffixes[family] ?? ["Inc.", "Group", "Company", "Partners"]
        return stem + " " + suffixes[Int(rng.next() % UInt64(suffixes.count))]
    }
}
