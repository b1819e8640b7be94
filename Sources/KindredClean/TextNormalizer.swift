import Foundation

/// Folds free text to a comparable key: Unicode NFKC, lower case, punctuation to spaces (keeping
/// `+` and `#`, as in "C++" and "C#"), runs of whitespace to one space, trimmed.
///
/// Example: `"  Sr. Software-Engineer "` → `"sr software engineer"`.
public enum TextNormalizer {
    /// The normalised key of `text`.
    public static func key(_ text: String) -> String {
        let folded = text.precomposedStringWithCompatibilityMapping.lowercased()
        var out = ""
        out.reserveCapacity(folded.utf8.count)
        var pendingSpace = false
        for scalar in folded.unicodeScalars {
            let keep = scalar.properties.isAlphabetic || scalar.properties.numericType != nil || scalar == "+" || scalar == "#"
            if keep {
                if pendingSpace && !out.isEmpty { out.append(" ") }
                pendingSpace = false
                out.unicodeScalars.append(scalar)
            } else {
                pendingSpace = true
            }
        }
        return out
    }

    /// The words of a key.
    public static func words(_ key: String) -> [Substring] {
        key.split(separator: " ")
    }
}

/// Seniority and level words that qualify a title without changing the job ("senior", "lead",
/// "ii", "intern"…). They are split off into their own field instead of creating new titles.
public enum Seniority {
    /// Abbreviations expanded before matching.
    public static let expansions: [String: String] = [
        "sr": "senior", "snr": "senior", "jr": "junior", "jnr": "junior", "mgr": "manager", "asst": "assistant",
        "engr": "engineer", "eng": "engineer", "dev": "developer", "tech": "technician", "admin": "administrator",
        "coord": "coordinator", "spec": "specialist", "rep": "representative", "exec": "executive",
    ]
    /// Words that name a level, not a job.
    public static let levelWords: Set<String> = [
        "senior", "junior", "lead", "principal", "trainee", "intern", "apprentice", "i", "ii", "iii", "iv", "v",
        "entry", "level", "staff",
    ]

    /// Splits a normalised title key into (title words, level words), expanding abbreviations.
    /// Level words are only removed when some title word remains.
    public static func split(_ key: String) -> (title: String, level: String?) {
        let words = TextNormalizer.words(key).map { Seniority.expansions[String($0)] ?? String($0) }
        let core = words.filter { !levelWords.contains($0) }
        if core.isEmpty { return (words.joined(separator: " "), nil) }
        let levels = words.filter { levelWords.contains($0) }
        return (core.joined(separator: " "), levels.isEmpty ? nil : levels.joined(separator: " "))
    }
}
