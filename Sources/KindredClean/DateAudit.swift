import KindredPeople

/// Checks and completes the dates of a job history (positions in chronological order).
///
/// - A missing end becomes the next position's start when that start is known and not earlier
///   (contiguous positions; `endInferred`); an end written `present` (`endIsPresent`) stays open.
/// - Flags set while reading (`unreadable_*`, `year_only_*`, `ambiguous_*`) are kept beside these.
/// - Impossible dates are flagged, never changed: `end_before_start`, `future_start` and `future_end`
///   (after `asOf`), `before_age_14` (a start before the person turned 14, when a birth year is
///   given) on the position; `career_over_60_years` (first start to last date) on the person.
/// - With `typicalTenureMonths`, a closed position (one that has a later position) still missing its
///   end gets `start + tenure` (capped at the next position's start and `asOf`), and a position with
///   an end but no start gets `end − tenure`; both are marked (`endImputed`, `startImputed`).
public struct DateAudit: Sendable {
    /// The month dates are checked against ("future" means after it).
    public var asOf: YearMonth
    /// Typical tenure used to impute missing dates; nil: no imputation.
    public var typicalTenureMonths: Int?

    public init(asOf: YearMonth, typicalTenureMonths: Int? = nil) {
        self.asOf = asOf
        self.typicalTenureMonths = typicalTenureMonths
    }

    /// What the audit did to one person, for the statistics.
    public struct Outcome: Sendable, Equatable {
        public var endsInferred = 0
        public var datesImputed = 0
        public var issues: [String: Int] = [:]
    }

    /// Audits `positions` (already in chronological order) of a person born in `birthYear`.
    public func audit(_ positions: inout [Position], birthYear: Int?, personIssues: inout [String]) -> Outcome {
        var outcome = Outcome()
        func flag(_ index: Int, _ issue: String) {
            if !positions[index].dateIssues.contains(issue) { positions[index].dateIssues.append(issue) }
            outcome.issues[issue, default: 0] += 1
        }
        for index in positions.indices {
            let position = positions[index]
            if let start = position.start, let end = position.end, end < start { flag(index, "end_before_start") }
            if let start = position.start, start > asOf { flag(index, "future_start") }
            if let end = position.end, end > asOf { flag(index, "future_end") }
            if let birthYear, let start = position.start, start.ordinal < (birthYear + 14) * 12 { flag(index, "before_age_14") }
        }
        // Contiguous positions: a missing end is the next start.
        for index in positions.indices where positions[index].end == nil && !positions[index].endIsPresent && index + 1 < positions.count {
            guard let next = positions[index + 1].start, let start = positions[index].start, next >= start else { continue }
            positions[index].end = next
            positions[index].endInferred = true
            outcome.endsInferred += 1
        }
        if let tenure = typicalTenureMonths, tenure > 0 {
            for index in positions.indices {
                if positions[index].end == nil, !positions[index].endIsPresent, index + 1 < positions.count, let start = positions[index].start {
                    var end = YearMonth(ordinal: start.ordinal + tenure)
                    if let next = positions[index + 1].start, next >= start, next < end { end = next }
                    if end > asOf { end = asOf }
                    if end >= start {
                        positions[index].end = end
                        positions[index].endImputed = true
                        outcome.datesImputed += 1
                    }
                }
                if positions[index].start == nil, let end = positions[index].end {
                    var start = YearMonth(ordinal: end.ordinal - tenure)
                    if index > 0, let previous = positions[index - 1].end ?? positions[index - 1].start, previous > start, previous <= end {
                        start = previous
                    }
                    positions[index].start = start
                    positions[index].startImputed = true
                    outcome.datesImputed += 1
                }
            }
        }
        let starts = positions.compactMap(\.start)
        let lasts = positions.compactMap { $0.end ?? $0.start }
        if let first = starts.min(), let last = lasts.max(), last.ordinal - first.ordinal > 60 * 12 {
            personIssues.append("career_over_60_years")
            outcome.issues["career_over_60_years", default: 0] += 1
        }
        return outcome
    }
}
