/// One controlled change to a person's record, as `kindred sensitivity` applies it step by step. Every
/// variation is deterministic and leaves the id and everything it does not name untouched.
public enum CareerVariation: Sendable, Equatable {
    /// Every dated position lasts `months` longer (shorter when negative, at least one month); the gaps
    /// between positions and the end of the latest one are kept, so earlier jobs move back in time and
    /// the career grows or shrinks with them.
    case tenure(months: Int)
    /// `count` more job switches: the longest dated position (the earliest among equals) is split
    /// into two halves with the same title, `count` times.
    case switches(count: Int)
    /// The last `count` skills are dropped, with the last `count` skills as typed (cleaning keeps them
    /// in the same order, and the metric reads both).
    case dropSkills(count: Int)
    /// The latest position takes the title of `position` (its title, raw title, occupation, seniority
    /// and mapping; dates and company stay): pass a cleaned position when the record is clean.
    case title(Position)

    /// `person` with this variation applied. `reference` is the month open positions run to
    /// (months since year 0).
    public func apply(to person: Person, reference: Int) -> Person {
        var p = person
        switch self {
        case .tenure(let months): p.positions = CareerVariation.shiftTenure(person.positions, by: months, reference: reference)
        case .switches(let count):
            for _ in 0..<max(count, 0) { p.positions = CareerVariation.splitLongest(p.positions, reference: reference) }
        case .dropSkills(let count):
            p.skills = Array(person.skills.dropLast(max(0, min(count, person.skills.count))))
            p.rawSkills = person.rawSkills.map { Array($0.dropLast(max(0, min(count, $0.count)))) }
        case .title(let title):
            if let i = person.currentPositionIndex {
                p.positions[i].title = title.title
                p.positions[i].rawTitle = title.rawTitle
                p.positions[i].occupation = title.occupation
                p.positions[i].seniority = title.seniority
                p.positions[i].confidence = title.confidence
                p.positions[i].titleMatch = title.titleMatch
            } else {
                p.positions.append(title)
            }
        }
        return p
    }

    /// Dated positions, latest first, rebuilt backwards from the latest one's end with every duration
    /// changed by `months` and the gaps kept. Positions without a start are left as they are.
    static func shiftTenure(_ positions: [Position], by months: Int, reference: Int) -> [Position] {
        let dated = positions.indices.filter { positions[$0].start != nil }.sorted {
            (positions[$0].start!.ordinal, $0) > (positions[$1].start!.ordinal, $1)
        }
        var out = positions
        var nextStart: Int?
        var nextOriginalStart: Int?
        for i in dated {
            let start = positions[i].start!.ordinal
            let end = positions[i].end?.ordinal ?? max(reference, start)
            let duration = max(1, end - start + months)
            var newEnd = end
            if let nextStart, let nextOriginalStart {
                // Keep the gap (or overlap) to the next position.
                newEnd = nextStart - (nextOriginalStart - end)
            }
            let newStart = newEnd - duration
            out[i].start = YearMonth(ordinal: max(0, newStart))
            if positions[i].end != nil { out[i].end = YearMonth(ordinal: max(0, newEnd)) }
            nextStart = newStart
            nextOriginalStart = start
        }
        return out
    }

    /// The positions with the longest dated one split at its middle month into two with the same title.
    static func splitLongest(_ positions: [Position], reference: Int) -> [Position] {
        var longest: (index: Int, length: Int)?
        for (i, position) in positions.enumerated() {
            guard let start = position.start?.ordinal else { continue }
            let length = (position.end?.ordinal ?? max(reference, start)) - start
            if longest == nil || length > longest!.length { longest = (i, length) }
        }
        guard let (i, length) = longest, length >= 2 else { return positions }
        let start = positions[i].start!.ordinal
        let middle = start + length / 2
        var first = positions[i]
        first.end = YearMonth(ordinal: middle)
        first.endInferred = false
        first.endIsPresent = false
        var second = positions[i]
        second.start = YearMonth(ordinal: middle)
        var out = positions
        out[i] = first
        out.insert(second, at: i + 1)
        return out
    }
}
