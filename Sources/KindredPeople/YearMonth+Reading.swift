/// How to read a full numeric date whose first two numbers could both be the month (`03/04/2019`).
///
/// Only truly ambiguous dates use it: `25/12/2019` is 25 December whatever the order, and `04/04/2019`
/// is April either way. A date read by this rule is flagged (`ambiguous_start`/`ambiguous_end`).
public enum DateOrder: String, Sendable, CaseIterable {
    /// Month first, `MM/DD/YYYY` (Excel's United States default). Kindred's default.
    case mdy
    /// Day first, `DD/MM/YYYY` (most of Europe).
    case dmy
}

/// What a date cell said, read leniently (see `YearMonth.reading(_:order:)`).
public enum DateReading: Equatable, Sendable {
    /// A month; `precision` says how sure the reading is.
    case month(YearMonth, DatePrecision)
    /// `present`, `current`, `now`, `today` (any case): an open end, still in the job.
    case present
    /// Nothing Kindred can read: the date counts as missing and the position is flagged `unreadable_*`.
    case unreadable
}

/// How exactly a date cell gave its month.
public enum DatePrecision: String, Sendable {
    /// The month was written (`2019-03`, `Mar 2019`, `03/2019`, `2019-03-15`, …).
    case exact
    /// Only a year (`2019`): January for a start, December for an end; flagged `year_only_*`.
    case yearOnly = "year_only"
    /// Day and month could be swapped (`03/04/2019`) and `DateOrder` decided; flagged `ambiguous_*`.
    case ambiguous
}

extension YearMonth {
    /// The end of the range of years accepted from people files (the start is 1900, as in `init(parsing:)`).
    public static let latestReadableYear = 2200

    /// Reads a job-history date as people write it.
    ///
    /// Accepted (spaces around the text are ignored, letters in any case):
    /// - `2019-03`, `2019/03`, `2019.03`, `2019-3`; `03/2019`, `3/2019`, `03-2019`, `03.2019`
    /// - `2019-03-15`, `2019/03/15`; ISO date-times `2019-03-01T00:00:00Z`, `…T09:30:00+02:00`,
    ///   `2019-03-01 09:30` (the calendar date as written: no time-zone conversion)
    /// - `15/03/2019`, `03/15/2019`, `15.03.2019`; when both of the first two numbers are 1–12 and differ,
    ///   `order` decides and the reading is `.ambiguous`
    /// - English month names, full or three-letter, with or without a dot (`Sept` too): `Jan 2019`,
    ///   `March 2019`, `Sept. 2019`, `2019 Mar`, `March 5, 2019`, `5 March 2019`, `Mar-2019`
    /// - `2019` alone: `.yearOnly` (the caller picks January for a start, December for an end)
    /// - `present`, `current`, `now`, `today`: `.present`
    ///
    /// Years must be 1900–2200 and written with four digits (`03/19` is unreadable: which century?).
    /// - Parameters:
    ///   - text: the cell as typed.
    ///   - order: how to read an ambiguous `a/b/YYYY`.
    ///   - yearOnlyMonth: the month a year alone stands for (1 for a start, 12 for an end).
    /// - Returns: the reading; `.unreadable` for anything else (never a guess).
    /// - Complexity: O(n) in the length of the text; the common `YYYY-MM` allocates nothing.
    public static func reading(_ text: String, order: DateOrder = .mdy, yearOnlyMonth: Int = 1) -> DateReading {
        if let month = YearMonth(parsing: text) { return .month(month, .exact) }
        var tokens = DateTokens()
        var text = text
        let ok = text.withUTF8 { tokens.scan($0) }
        guard ok, tokens.count > 0 else { return .unreadable }
        return tokens.interpret(order: order, yearOnlyMonth: yearOnlyMonth)
    }
}

extension Position {
    /// Sets `start` from a date cell as typed (see `YearMonth.reading(_:order:yearOnlyMonth:)`): a year
    /// alone is January; an unreadable date (or `present` as a start) leaves `start` nil and is flagged
    /// `unreadable_start`, never an error, so the person is kept.
    public mutating func readStart(_ text: String, order: DateOrder) {
        switch YearMonth.reading(text, order: order, yearOnlyMonth: 1) {
        case .month(let month, let precision):
            start = month
            if precision != .exact { flagDate(precision.rawValue + "_start") }
        case .present, .unreadable:
            start = nil
            flagDate("unreadable_start")
        }
    }

    /// Sets `end` from a date cell as typed: `present` (`current`, `now`, `today`) leaves it open
    /// (`endIsPresent`); a year alone is December; an unreadable date leaves `end` nil, flagged
    /// `unreadable_end`.
    public mutating func readEnd(_ text: String, order: DateOrder) {
        switch YearMonth.reading(text, order: order, yearOnlyMonth: 12) {
        case .month(let month, let precision):
            end = month
            if precision != .exact { flagDate(precision.rawValue + "_end") }
        case .present:
            end = nil
            endIsPresent = true
        case .unreadable:
            end = nil
            flagDate("unreadable_end")
        }
    }

    private mutating func flagDate(_ issue: String) {
        if !dateIssues.contains(issue) { dateIssues.append(issue) }
    }
}

/// The numbers and words of a date cell, at most three of them (the time after an ISO date is cut off
/// first), held inline: scanning allocates nothing.
struct DateTokens {
    enum Kind: Equatable { case number(value: Int, digits: Int), month(Int), present }
    var kinds: (Kind, Kind, Kind) = (.present, .present, .present)
    var count = 0
    /// The separators seen between numbers (bit 0 `-`, 1 `/`, 2 `.`, 3 space or comma).
    var separators = 0

    subscript(i: Int) -> Kind {
        switch i {
        case 0: return kinds.0
        case 1: return kinds.1
        default: return kinds.2
        }
    }

    mutating func append(_ kind: Kind) -> Bool {
        switch count {
        case 0: kinds.0 = kind
        case 1: kinds.1 = kind
        case 2: kinds.2 = kind
        default: return false
        }
        count += 1
        return true
    }

    /// Splits the bytes into tokens; false for any character that has no place in a date.
    mutating func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        var end = bytes.count
        while i < end && (bytes[i] == 32 || bytes[i] == 9) { i += 1 }
        while end > i && (bytes[end - 1] == 32 || bytes[end - 1] == 9) { end -= 1 }
        // An ISO date-time: keep the date, drop `T…` or ` hh:mm…`.
        if end - i > 10, isDigits(bytes, i, 4), bytes[i + 4] == UInt8(ascii: "-"), isDigits(bytes, i + 5, 2),
            bytes[i + 7] == UInt8(ascii: "-"), isDigits(bytes, i + 8, 2)
        {
            let next = bytes[i + 10] | 0x20
            if next == UInt8(ascii: "t") || (next == 32 && end - i > 13 && bytes[i + 13] == UInt8(ascii: ":")) { end = i + 10 }
        }
        var pendingSeparator = 0
        var endsWithMonthDot = false
        while i < end {
            endsWithMonthDot = false
            let b = bytes[i]
            if b >= 48 && b <= 57 {
                var value = 0
                let first = i
                while i < end && bytes[i] >= 48 && bytes[i] <= 57 && i - first < 5 {
                    value = value * 10 + Int(bytes[i] - 48)
                    i += 1
                }
                if i < end && bytes[i] >= 48 && bytes[i] <= 57 { return false }
                if count > 0 && pendingSeparator == 0 { return false }
                separators |= pendingSeparator
                pendingSeparator = 0
                guard append(.number(value: value, digits: i - first)) else { return false }
            } else if (b | 0x20) >= 97 && (b | 0x20) <= 122 {
                let first = i
                var word: UInt64 = 0
                while i < end && (bytes[i] | 0x20) >= 97 && (bytes[i] | 0x20) <= 122 {
                    if i - first < 8 { word = word << 8 | UInt64(bytes[i] | 0x20) }
                    i += 1
                }
                let length = i - first
                if count > 0 && pendingSeparator == 0 { return false }
                pendingSeparator = 0
                if let month = DateTokens.month(word, length: length) {
                    guard append(.month(month)) else { return false }
                    if i < end && bytes[i] == UInt8(ascii: ".") && length <= 4 {
                        // `Sept.`: the abbreviation's dot, which also separates (`Sept.2019`).
                        i += 1
                        pendingSeparator = 8
                        endsWithMonthDot = true
                    }
                } else if count == 0 && DateTokens.isPresent(word, length: length) {
                    guard append(.present) else { return false }
                } else {
                    return false
                }
            } else {
                switch b {
                case UInt8(ascii: "-"): pendingSeparator |= 1
                case UInt8(ascii: "/"): pendingSeparator |= 2
                case UInt8(ascii: "."): pendingSeparator |= 4
                case 32, 9, UInt8(ascii: ","): pendingSeparator |= 8
                default: return false
                }
                if count == 0 { return false }
                i += 1
            }
        }
        return pendingSeparator == 0 || endsWithMonthDot
    }

    private func isDigits(_ bytes: UnsafeBufferPointer<UInt8>, _ from: Int, _ n: Int) -> Bool {
        for j in from..<(from + n) where !(bytes[j] >= 48 && bytes[j] <= 57) { return false }
        return true
    }

    /// Packs up to eight lower-case ASCII letters into an integer (first letter highest).
    static func pack(_ word: String) -> UInt64 { word.utf8.reduce(0) { $0 << 8 | UInt64($1) } }

    static let monthWords: [(UInt64, Int, Int)] = {
        let names = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"]
        var out: [(UInt64, Int, Int)] = []
        for (index, name) in names.enumerated() {
            out.append((pack(String(name.prefix(8))), name.count, index + 1))
            if name.count > 3 { out.append((pack(String(name.prefix(3))), 3, index + 1)) }
        }
        out.append((pack("sept"), 4, 9))
        return out
    }()

    static func month(_ word: UInt64, length: Int) -> Int? {
        for (packed, count, month) in monthWords where count == length && packed == word { return month }
        return nil
    }

    static let presentWords: [(UInt64, Int)] = ["present", "current", "now", "today"].map { (pack($0), $0.count) }

    static func isPresent(_ word: UInt64, length: Int) -> Bool {
        presentWords.contains { $0.0 == word && $0.1 == length }
    }

    /// The tokens as a date, or `.unreadable`.
    func interpret(order: DateOrder, yearOnlyMonth: Int) -> DateReading {
        func year(_ kind: Kind) -> Int? {
            guard case .number(let value, 4) = kind, (1900...YearMonth.latestReadableYear).contains(value) else { return nil }
            return value
        }
        func small(_ kind: Kind, _ range: ClosedRange<Int>) -> Int? {
            guard case .number(let value, let digits) = kind, digits <= 2, range.contains(value) else { return nil }
            return value
        }
        func month(_ kind: Kind) -> Int? { if case .month(let m) = kind { return m } else { return nil } }
        func found(_ y: Int, _ m: Int, _ precision: DatePrecision = .exact) -> DateReading {
            .month(YearMonth(year: y, month: m), precision)
        }
        // Numbers only: one kind of separator (`2019-03/15` is not a date).
        let allNumbers = (0..<count).allSatisfy { if case .number = self[$0] { return true } else { return false } }
        if allNumbers && separators.nonzeroBitCount > 1 { return .unreadable }
        switch count {
        case 1:
            if self[0] == .present { return .present }
            if let y = year(self[0]) { return found(y, yearOnlyMonth, .yearOnly) }
        case 2:
            if let y = year(self[0]), let m = small(self[1], 1...12) ?? month(self[1]) { return found(y, m) }
            if let m = small(self[0], 1...12) ?? month(self[0]), let y = year(self[1]) { return found(y, m) }
        case 3:
            if allNumbers {
                if let y = year(self[0]), let m = small(self[1], 1...12), small(self[2], 1...31) != nil { return found(y, m) }
                guard let a = small(self[0], 1...31), let b = small(self[1], 1...31), let y = year(self[2]) else { return .unreadable }
                switch (a <= 12, b <= 12) {
                case (true, true) where a == b: return found(y, a)
                case (true, true): return found(y, order == .mdy ? a : b, .ambiguous)
                case (true, false): return found(y, a)
                case (false, true): return found(y, b)
                case (false, false): return .unreadable
                }
            }
            // `March 5, 2019`, `5 March 2019`, `2019 Mar 5`.
            if let m = month(self[0]), small(self[1], 1...31) != nil, let y = year(self[2]) { return found(y, m) }
            if small(self[0], 1...31) != nil, let m = month(self[1]), let y = year(self[2]) { return found(y, m) }
            if let y = year(self[0]), let m = month(self[1]), small(self[2], 1...31) != nil { return found(y, m) }
        default: break
        }
        return .unreadable
    }
}
