import Foundation
import KindredCore

/// Masks personal data that people type into free-text fields: e-mail addresses (`[email]`),
/// phone numbers (7 or more digits with the usual separators: `[phone]`), web addresses (`[url]`),
/// street addresses (a house number, words, and a street word such as "St" or "Avenue":
/// `[address]`), and the record's own name, e-mail and phone wherever they appear (`[name]`…).
///
/// Example: `"Nurse - call 555-010-2000 or ann@x.org"` → `"Nurse - call [phone] or [email]"`.
///
/// - Complexity: O(length) per value; values with no `@`, no digit run and no `www`/`http` return at once.
public struct PrivacyMask: Sendable {
    /// The record's own identifiers, lower-cased (empty ones dropped).
    private let own: [(text: String, label: String)]

    /// A mask that also hides the given identifiers of one person.
    public init(name: String? = nil, email: String? = nil, phone: String? = nil) {
        var own: [(String, String)] = []
        for (value, label) in [(name, "[name]"), (email, "[email]"), (phone, "[phone]")] {
            // `trimmingSpaces` trims what `CharacterSet.whitespaces` does (Zs and tab), without Foundation.
            if let value = value?.trimmingSpaces().lowercased(), value.count >= 3 { own.append((value, label)) }
        }
        self.own = own
    }

    /// The labels masked text carries.
    public static let placeholders = ["[email]", "[phone]", "[url]", "[address]", "[name]"]

    /// `text` without mask labels (what is matched: "Nurse [email]" is matched as "Nurse").
    public static func withoutPlaceholders(_ text: String) -> String {
        // A byte scan: `String.contains(_:)` goes through Foundation's range(of:) (7% of projection).
        guard text.utf8.contains(UInt8(ascii: "[")) else { return text }
        var out = text
        for label in placeholders { out = out.replacingOccurrences(of: label, with: " ") }
        return out
    }

    static let streetWords: Set<String> = [
        "st", "street", "ave", "avenue", "rd", "road", "blvd", "boulevard", "ln", "lane", "dr", "drive", "ct", "court",
        "way", "pl", "place", "hwy", "highway", "sq", "square", "terrace", "crescent",
    ]

    /// The masked text and whether anything was masked.
    public func mask(_ text: String) -> (text: String, masked: Bool) {
        var out = text
        var masked = false
        if !own.isEmpty, own.contains(where: { PrivacyMask.mayContain(text, $0.text) }) {
            let lower = out.lowercased()
            for (value, label) in own where PrivacyMask.contains(lower, value) {
                out = out.replacingOccurrences(of: value, with: label, options: .caseInsensitive)
                masked = true
            }
        }
        let (patterns, found) = PrivacyMask.maskPatterns(out)
        return (patterns, masked || found)
    }

    /// Masks e-mails, phones, URLs and street addresses.
    static func maskPatterns(_ text: String) -> (String, Bool) {
        // A scan of the UTF-8 bytes decides whether there can be anything to mask (most values: no).
        var digits = 0
        var maxRun = 0
        var hasAt = false
        var hasDigit = false
        var hasURL = false
        var text = text
        text.withUTF8 { bytes in
            var i = 0
            while i < bytes.count {
                let b = bytes[i]
                if b == 0x40 { hasAt = true }
                if b >= 0x30 && b <= 0x39 {
                    digits += 1
                    hasDigit = true
                } else if !(b == 0x20 || b == 0x2D || b == 0x2E || b == 0x28 || b == 0x29 || b == 0x2B || b == 0x2F) {
                    maxRun = max(maxRun, digits)
                    digits = 0
                }
                // "http" or "www." in any case.
                if !hasURL && i + 4 <= bytes.count {
                    let w = (bytes[i] | 0x20, bytes[i + 1] | 0x20, bytes[i + 2] | 0x20, bytes[i + 3])
                    if w.0 == 0x68 && w.1 == 0x74 && w.2 == 0x74 && (w.3 | 0x20) == 0x70 { hasURL = true }
                    if w.0 == 0x77 && w.1 == 0x77 && w.2 == 0x77 && w.3 == 0x2E { hasURL = true }
                }
                i += 1
            }
        }
        maxRun = max(maxRun, digits)
        guard hasAt || maxRun >= 7 || hasURL || hasDigit else { return (text, false) }
        // Work on whitespace-separated tokens, keeping the separators.
        var tokens: [String] = []
        var separators: [String] = []
        var current = ""
        var gap = ""
        for ch in text {
            if ch.isWhitespace {
                if !current.isEmpty { tokens.append(current); separators.append(gap); current = ""; gap = "" }
                gap.append(ch)
            } else {
                current.append(ch)
            }
        }
        if !current.isEmpty { tokens.append(current); separators.append(gap); gap = "" }
        let trailing = gap
        var masked = false
        var labels = [String?](repeating: nil, count: tokens.count)
        for (i, token) in tokens.enumerated() {
            let t = token.lowercased()
            if t.contains("@"), t.split(separator: "@").count == 2, t.split(separator: "@")[1].contains(".") {
                labels[i] = "[email]" + PrivacyMask.trailingPunctuation(token)
            } else if t.hasPrefix("http://") || t.hasPrefix("https://") || t.hasPrefix("www.") {
                labels[i] = "[url]" + PrivacyMask.trailingPunctuation(token)
            }
        }
        // Phone numbers: runs of tokens made of digits and separators holding 7+ digits in total.
        var i = 0
        while i < tokens.count {
            func phoneLike(_ t: String) -> Bool {
                !t.isEmpty && t.unicodeScalars.allSatisfy { ($0.value >= 48 && $0.value <= 57) || "-.()+/".unicodeScalars.contains($0) }
                    && t.unicodeScalars.contains { $0.value >= 48 && $0.value <= 57 }
            }
            guard labels[i] == nil, phoneLike(tokens[i]) else { i += 1; continue }
            var j = i
            var count = 0
            while j < tokens.count, labels[j] == nil, phoneLike(tokens[j]) {
                count += tokens[j].unicodeScalars.filter { $0.value >= 48 && $0.value <= 57 }.count
                j += 1
            }
            if count >= 7 {
                labels[i] = "[phone]" + PrivacyMask.trailingPunctuation(tokens[j - 1]).filter { $0 != ")" }
                for k in (i + 1)..<j { labels[k] = "" }
            }
            i = j
        }
        // Street addresses: a number, one to four words, then a street word.
        i = 0
        while i < tokens.count {
            let t = tokens[i]
            guard labels[i] == nil, let first = t.unicodeScalars.first, first.value >= 48 && first.value <= 57,
                t.unicodeScalars.allSatisfy({ ($0.value >= 48 && $0.value <= 57) || $0.properties.isAlphabetic || $0 == "-" })
            else { i += 1; continue }
            var end = -1
            var j = i + 1
            while j < tokens.count, j <= i + 5 {
                let word = tokens[j].lowercased().trimmingCharacters(in: .punctuationCharacters)
                if PrivacyMask.streetWords.contains(word), j > i + 1 { end = j; break }
                j += 1
            }
            if end > 0 {
                labels[i] = "[address]" + PrivacyMask.trailingPunctuation(tokens[end])
                for k in (i + 1)...end { labels[k] = "" }
                i = end + 1
            } else {
                i += 1
            }
        }
        var out = ""
        for (k, token) in tokens.enumerated() {
            if let label = labels[k] {
                masked = true
                if label.isEmpty { continue }
                out += separators[k] + label
            } else {
                out += separators[k] + token
            }
        }
        return masked ? (out + trailing, true) : (text, false)
    }

    /// False when `text` lower-cased cannot contain `lowerNeedle` (an ASCII text is searched byte by
    /// byte, lower-casing A–Z as `lowercased()` does; any other text may contain it: true).
    static func mayContain(_ text: String, _ lowerNeedle: String) -> Bool {
        var text = text
        var needle = lowerNeedle
        return text.withUTF8 { hb in
            needle.withUTF8 { nb in
                guard hb.allSatisfy({ $0 < 0x80 }) else { return true }
                guard nb.count > 0 else { return true }
                guard hb.count >= nb.count else { return false }
                @inline(__always) func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }
                let first = nb[0]
                for i in 0...(hb.count - nb.count) where lower(hb[i]) == first {
                    var j = 1
                    while j < nb.count && lower(hb[i + j]) == nb[j] { j += 1 }
                    if j == nb.count { return true }
                }
                return false
            }
        }
    }

    /// Whether `haystack` holds `needle` (UTF-8 bytes; no Foundation bridging).
    static func contains(_ haystack: String, _ needle: String) -> Bool {
        var h = haystack
        var n = needle
        return h.withUTF8 { hb in
            n.withUTF8 { nb in
                guard nb.count > 0 else { return true }
                guard hb.count >= nb.count else { return false }
                let first = nb[0]
                var i = 0
                let last = hb.count - nb.count
                while i <= last {
                    if hb[i] == first {
                        var j = 1
                        while j < nb.count && hb[i + j] == nb[j] { j += 1 }
                        if j == nb.count { return true }
                    }
                    i += 1
                }
                return false
            }
        }
    }

    static func trailingPunctuation(_ token: String) -> String {
        var tail = ""
        for ch in token.reversed() {
            if ",;:!?)".contains(ch) { tail.insert(ch, at: tail.startIndex) } else { break }
        }
        return tail
    }
}
