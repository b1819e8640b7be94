/// A calendar month, the resolution of job-history dates (`YYYY-MM`).
public struct YearMonth: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var year: Int
    public var month: Int

    public init(year: Int, month: Int) {
        self.year = year
        self.month = month
    }

    /// Months since year 0: differences of ordinals are durations in months.
    public var ordinal: Int { year * 12 + (month - 1) }

    /// The month with the given ordinal.
    public init(ordinal: Int) {
        year = ordinal / 12
        month = ordinal % 12 + 1
    }

    /// Parses `YYYY-MM`, `YYYY-MM-DD` or `YYYY/MM`; nil when it is none of these or out of range.
    public init?(parsing text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 7 || bytes.count == 10 else { return nil }
        func digits(_ range: Range<Int>) -> Int? {
            var value = 0
            for i in range {
                let b = bytes[i]
                guard b >= 48 && b <= 57 else { return nil }
                value = value * 10 + Int(b - 48)
            }
            return value
        }
        guard bytes[4] == UInt8(ascii: "-") || bytes[4] == UInt8(ascii: "/"),
            let year = digits(0..<4), let month = digits(5..<7), (1...12).contains(month), year >= 1900
        else { return nil }
        if bytes.count == 10 {
            guard bytes[7] == bytes[4], let day = digits(8..<10), (1...31).contains(day) else { return nil }
        }
        self.year = year
        self.month = month
    }

    public static func < (a: YearMonth, b: YearMonth) -> Bool { a.ordinal < b.ordinal }

    /// `YYYY-MM`.
    public var description: String {
        let m = month < 10 ? "0\(month)" : "\(month)"
        return "\(year)-\(m)"
    }
}

/// One job in a person's history. Raw records fill `title`, `company` and dates; cleaning adds the
/// canonical title (in `title`), keeps the raw text in `rawTitle`, and marks inferred dates.
public struct Position: Sendable, Equatable {
    /// The job title (canonical after cleaning).
    public var title: String
    /// The title as typed, kept beside the canonical one after cleaning.
    public var rawTitle: String?
    /// Catalogue occupation id the title was mapped to, if any.
    public var occupation: String?
    /// Seniority or level split off the title ("senior", "lead", "ii", "intern"…), if any.
    public var seniority: String?
    /// Confidence of the title mapping in [0, 1].
    public var confidence: Double?
    public var company: String?
    public var start: YearMonth?
    public var end: YearMonth?
    /// True when `end` was inferred (from the next position's start), not given.
    public var endInferred: Bool
    /// True when `start` or `end` was imputed from a typical tenure (`kindred clean --impute-tenure`).
    public var startImputed = false
    public var endImputed = false
    /// True when the end was written `present`, `current`, `now` or `today`: `end` is nil and stays nil
    /// (still in the job; cleaning never infers or imputes an end for it).
    public var endIsPresent = false
    /// How the title was mapped ("exact", "fingerprint", "nearest", "override", "learned", "none").
    public var titleMatch: String?
    /// Date problems: found when reading ("unreadable_start"/"unreadable_end": the date was treated as
    /// missing; "year_only_start"/"year_only_end": a year alone, read as January/December;
    /// "ambiguous_start"/"ambiguous_end": day and month could be swapped, `DateOrder` decided) and by
    /// cleaning ("end_before_start", "future_start", "future_end", "before_age_14"); dates are kept as read.
    public var dateIssues: [String] = []

    public init(
        title: String, rawTitle: String? = nil, occupation: String? = nil, seniority: String? = nil,
        confidence: Double? = nil, company: String? = nil, start: YearMonth? = nil, end: YearMonth? = nil,
        endInferred: Bool = false
    ) {
        self.title = title
        self.rawTitle = rawTitle
        self.occupation = occupation
        self.seniority = seniority
        self.confidence = confidence
        self.company = company
        self.start = start
        self.end = end
        self.endInferred = endInferred
    }
}

/// A person record: identifiers, location, skills and job history.
///
/// Direct identifiers (`name`, `email`, `phone`) exist only in raw input; cleaning drops them and
/// replaces `id` with a keyed pseudonym.
public struct Person: Sendable, Equatable {
    public var id: String
    public var name: String?
    public var email: String?
    public var phone: String?
    public var location: String?
    /// Year of birth, when given: used to check dates (positions before age 14), never written out.
    public var birthYear: Int?
    /// Person-level date problems ("career_over_60_years").
    public var dateIssues: [String] = []
    /// Skills (canonical after cleaning).
    public var skills: [String]
    /// Skills as typed, kept after cleaning (parallel to nothing: the raw list as read).
    public var rawSkills: [String]?
    /// Job history in chronological order after cleaning; as given before.
    public var positions: [Position]

    public init(
        id: String, name: String? = nil, email: String? = nil, phone: String? = nil, location: String? = nil,
        skills: [String] = [], rawSkills: [String]? = nil, positions: [Position] = []
    ) {
        self.id = id
        self.name = name
        self.email = email
        self.phone = phone
        self.location = location
        self.skills = skills
        self.rawSkills = rawSkills
        self.positions = positions
    }

    /// The most recent position: the one with the latest start (the last one when dates are missing).
    public var currentPosition: Position? { currentPositionIndex.map { positions[$0] } }

    /// The index of `currentPosition` in `positions`.
    public var currentPositionIndex: Int? {
        var best: Int?
        for (index, position) in positions.enumerated() {
            guard let candidate = best else {
                best = index
                continue
            }
            if let s = position.start, let b = positions[candidate].start {
                if s >= b { best = index }
            } else {
                best = index
            }
        }
        return best
    }
}
