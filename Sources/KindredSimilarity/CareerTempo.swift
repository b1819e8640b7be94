import Foundation
import KindredPeople

/// Career tempo: how a person moves through their jobs, as four numbers read from dated positions
/// up to a reference month (the latest month in the fitted data):
///
/// 0. typical tenure: mean months per dated position (an open position runs to the reference);
/// 1. job changes per year of career;
/// 2. years of experience (first start to the reference);
/// 3. progression: seniority levels climbed per year (`seniorityLevel` of the latest position minus
///    that of the first, over the career's years, at least one).
///
/// The metric compares standardised tempos (`TempoScale`) with `similarity`, a smooth kernel, so a
/// change of tenure or switch frequency moves the similarity in proportion.
public enum CareerTempo {
    /// The raw tempo of `person`, nil when no position has a start date.
    public static func raw(_ person: Person, reference: Int) -> SIMD4<Float>? {
        var earliest = Int.max
        var tenureSum = 0.0
        var tenureCount = 0.0
        // The first position (earliest start, first of equals) and the last (latest start, last of
        // equals); their levels are read once, after the scan.
        var first: (start: Int, index: Int)?
        var last: (start: Int, index: Int)?
        for (index, position) in person.positions.enumerated() {
            guard let start = position.start?.ordinal else { continue }
            earliest = min(earliest, start)
            let end = position.end?.ordinal ?? reference
            if end >= start {
                tenureSum += Double(end - start)
                tenureCount += 1
            }
            if first == nil || start < first!.start { first = (start, index) }
            if last == nil || start >= last!.start { last = (start, index) }
        }
        guard earliest != Int.max, tenureCount > 0, let first, let last else { return nil }
        let years = max(Double(reference - earliest) / 12, 0)
        let changes = Double(max(person.positions.count - 1, 0)) / max(years, 0.5)
        let lastLevel = seniorityLevel(person.positions[last.index])
        let firstLevel = first.index == last.index ? lastLevel : seniorityLevel(person.positions[first.index])
        let progression = (lastLevel - firstLevel) / max(years, 1)
        return SIMD4(Float(tenureSum / tenureCount), Float(changes), Float(years), Float(progression))
    }

    /// The similarity of two standardised tempos: exp(−‖a − b‖² / 8), 1 for equal tempos, smooth in
    /// every component.
    @inline(__always)
    public static func similarity(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> Double {
        let d = a - b
        return exp(-Double((d * d).sum()) / 8)
    }

    /// A position's level on a 0–5 scale: the level words cleaning split off the title (intern 0,
    /// junior 1, none or "ii" 2, senior 3, lead 3.5) or the rank its title names (manager or supervisor
    /// 4, director or head 4.5, chief, president or executive 5), whichever is higher.
    public static func seniorityLevel(_ position: Position) -> Double {
        var level: Double?
        for word in (position.seniority ?? "").split(separator: " ") {
            let value: Double
            switch word {
            case "intern", "internship", "trainee", "apprentice", "entry": value = 0
            case "junior", "i", "1": value = 1
            case "ii", "2", "level": value = 2
            case "senior", "iii", "3": value = 3
            case "lead", "iv", "4", "v", "5": value = 3.5
            default: continue
            }
            level = max(level ?? value, value)
        }
        guard let rank = titleRank(position.title) else { return level ?? 2 }
        return max(level ?? 2, rank)
    }

    /// The rank a title's words name (see `seniorityLevel`), nil when none. ASCII titles are scanned
    /// as bytes (the same words as the `Character` path: ASCII letters are the only ASCII letters).
    static func titleRank(_ title: String) -> Double? {
        let scanned = title.utf8.withContiguousStorageIfAvailable { bytes -> (ascii: Bool, rank: Double?) in
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return (false, nil) }
            // Words are runs of ASCII letters, compared lower-cased with the rank words, no copies.
            var rank: Double?
            var start = -1
            for i in 0...bytes.count {
                if i < bytes.count, (bytes[i] | 0x20) >= UInt8(ascii: "a"), (bytes[i] | 0x20) <= UInt8(ascii: "z") {
                    if start < 0 { start = i }
                    continue
                }
                defer { start = -1 }
                guard start >= 0, (4...14).contains(i - start) else { continue }
                let word = bytes[start..<i]
                for (name, value) in rankWords where name.count == word.count && zip(name, word).allSatisfy({ $0 == ($1 | 0x20) }) {
                    rank = max(rank ?? value, value)
                }
            }
            return (true, rank)
        }
        if let scanned, scanned.ascii { return scanned.rank }
        return titleRankByCharacters(title)
    }

    /// `titleRank` read through `Character`s (any title; what the byte scan of ASCII titles equals).
    static func titleRankByCharacters(_ title: String) -> Double? {
        var rank: Double?
        for word in title.lowercased().split(whereSeparator: { !$0.isLetter }) {
            for (name, value) in rankWords where name.elementsEqual(word.utf8) { rank = max(rank ?? value, value) }
        }
        return rank
    }

    /// Rank words (lower-case ASCII) and the level each names, for both paths of `titleRank`.
    private static let rankWords: [(name: [UInt8], value: Double)] = [
        (Array("manager".utf8), 4), (Array("supervisor".utf8), 4), (Array("superintendent".utf8), 4),
        (Array("director".utf8), 4.5), (Array("head".utf8), 4.5),
        (Array("chief".utf8), 5), (Array("president".utf8), 5), (Array("executive".utf8), 5),
    ]
}

/// The standardisation of career tempo learnt from a population: each component's mean and inverse
/// standard deviation, and the reference month durations run to. Kept in the metric and the model so
/// the graph, the model and projection standardise a person the same way.
public struct TempoScale: Sendable, Equatable {
    public var mean: SIMD4<Float>
    /// 1 / standard deviation (0 for a component with no spread).
    public var scale: SIMD4<Float>
    /// Months since year 0 of the latest date in the fitted data.
    public var reference: Int

    public init(mean: SIMD4<Float>, scale: SIMD4<Float>, reference: Int) {
        self.mean = mean
        self.scale = scale
        self.reference = reference
    }

    /// Learns the reference month and the statistics from `people`.
    public static func fit(_ people: [Person]) -> TempoScale {
        var reference = 0
        for person in people {
            for position in person.positions {
                if let s = position.start { reference = max(reference, s.ordinal) }
                if let e = position.end { reference = max(reference, e.ordinal) }
            }
        }
        var sum = SIMD4<Double>(repeating: 0)
        var squares = SIMD4<Double>(repeating: 0)
        var count = 0.0
        for person in people {
            guard let raw = CareerTempo.raw(person, reference: reference) else { continue }
            let v = SIMD4<Double>(Double(raw.x), Double(raw.y), Double(raw.z), Double(raw.w))
            sum += v
            squares += v * v
            count += 1
        }
        var mean = SIMD4<Float>(repeating: 0)
        var scale = SIMD4<Float>(repeating: 1)
        if count > 0 {
            for i in 0..<4 {
                let m = sum[i] / count
                let variance = max(0, squares[i] / count - m * m)
                mean[i] = Float(m)
                scale[i] = variance > 1e-12 ? Float(1 / variance.squareRoot()) : 0
            }
        }
        return TempoScale(mean: mean, scale: scale, reference: reference)
    }

    /// The standardised tempo of `person`, nil when they have no dated position.
    public func standardized(_ person: Person) -> SIMD4<Float>? {
        CareerTempo.raw(person, reference: reference).map { ($0 - mean) * scale }
    }
}
