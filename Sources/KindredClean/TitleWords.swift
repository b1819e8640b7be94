/// Abbreviations people write in job titles, expanded before matching ("sr" → "senior",
/// "mgr" → "manager", "rn" → "registered nurse"). Applied word by word to normalised keys (punctuation
/// is already gone, so "Sr." and "sr" are the same word).
public enum Abbreviations {
    /// Word → expansion (one or more words).
    public static let titles: [String: String] = [
        // Levels.
        "sr": "senior", "snr": "senior", "senr": "senior", "jr": "junior", "jnr": "junior",
        // Roles.
        "mgr": "manager", "mngr": "manager", "mgmt": "management", "mgt": "management", "asst": "assistant",
        "ass't": "assistant", "assoc": "associate", "admin": "administrator", "adm": "administrator",
        "dir": "director", "exec": "executive", "vp": "vice president", "avp": "assistant vice president",
        "svp": "senior vice president", "evp": "executive vice president", "pres": "president",
        "coord": "coordinator", "coordr": "coordinator", "supv": "supervisor", "supvr": "supervisor",
        "spvr": "supervisor", "sup": "supervisor", "supt": "superintendent", "rep": "representative",
        "repr": "representative", "spec": "specialist", "spclst": "specialist", "tech": "technician",
        "techn": "technician", "eng": "engineer", "engr": "engineer", "engnr": "engineer", "dev": "developer",
        "devel": "developer", "prog": "programmer", "anlst": "analyst", "analyt": "analyst", "acct": "accountant",
        "acctg": "accounting", "acctnt": "accountant", "consult": "consultant", "cons": "consultant",
        "off": "officer", "ofcr": "officer", "insp": "inspector", "instr": "instructor", "prof": "professor",
        "opr": "operator", "oper": "operator", "maint": "maintenance", "mech": "mechanic", "elec": "electrician",
        "dept": "department", "div": "division", "gen": "general", "genl": "general", "intl": "international",
        "natl": "national", "govt": "government", "med": "medical", "hosp": "hospital", "pharm": "pharmacy",
        "ops": "operations", "op": "operations", "sw": "software", "hw": "hardware", "sys": "systems",
        "info": "information", "comm": "communications", "mktg": "marketing", "mkt": "marketing",
        "dist": "distribution", "trans": "transportation", "const": "construction", "constr": "construction",
        "equip": "equipment", "svc": "service", "svcs": "services", "serv": "service", "cust": "customer",
        "prod": "production", "qa": "quality assurance", "qc": "quality control", "hr": "human resources",
        "it": "information technology", "ux": "user experience", "ui": "user interface",
        "dba": "database administrator", "swe": "software engineer", "sde": "software development engineer",
        "cna": "certified nursing assistant", "rn": "registered nurse", "lpn": "licensed practical nurse",
        "lvn": "licensed vocational nurse", "np": "nurse practitioner", "pa": "physician assistant",
        "emt": "emergency medical technician", "cpa": "certified public accountant", "ceo": "chief executive officer",
        "cfo": "chief financial officer", "coo": "chief operating officer", "cto": "chief technology officer",
        "cio": "chief information officer", "gm": "general manager", "pm": "project manager",
        "hvac": "heating ventilation air conditioning", "cnc": "computer numerical control",
        "&": "and", "w": "with",
    ]

    /// Other readings of ambiguous single-word abbreviations ("tech" is a technician or technology):
    /// matching tries them beside the expansion in `titles`, a little less surely.
    public static let alternatives: [String: [String]] = [
        "tech": ["technology", "technical"], "eng": ["engineering"], "dev": ["development"],
        "admin": ["administrative", "administration"], "adm": ["administrative"], "spec": ["specification"],
        "exec": ["executive"], "acct": ["accounting", "account"], "mech": ["mechanical"], "elec": ["electrical", "electronic"],
        "prod": ["production", "product", "producer"], "cons": ["construction"], "med": ["medicine"],
        "comm": ["communication", "commercial", "community"], "op": ["operator"], "ops": ["operator"],
        "oper": ["operations"], "assoc": ["association"], "sup": ["superintendent"], "trans": ["transit", "translator"],
        "rep": ["repair"], "dir": ["direct"], "info": ["informatics"], "mgmt": ["manager"], "prog": ["program", "programming"],
        "mktg": ["market"], "const": ["constable"], "coord": ["coordination"], "off": ["office"],
    ]
}

/// Seniority and level words that qualify a title without changing the job ("senior", "lead",
/// "ii", "intern"…). They are split off into their own field instead of creating new titles.
public enum Seniority {
    /// Words that name a level wherever they stand.
    public static let levelWords: Set<String> = [
        "senior", "junior", "lead", "trainee", "intern", "internship", "apprentice", "entry", "ii", "iii", "iv",
    ]
    /// Words that name a level only when they open the title ("Principal Engineer", "Staff Accountant";
    /// not "Assistant Principal").
    public static let leadingLevelWords: Set<String> = []
    /// Words that name a level only when they close it ("Engineer I", "Analyst 2", "Entry Level").
    public static let trailingLevelWords: Set<String> = ["i", "v", "1", "2", "3", "4", "5", "level"]

    /// Splits a normalised title key into (title words, level words), expanding abbreviations.
    /// Level words are only removed when some title word remains.
    ///
    /// Example: `"sr software eng ii"` → (`"software engineer"`, `"senior ii"`).
    public static func split(_ key: String) -> (title: String, level: String?) {
        let parts = splitWords(TextNormalizer.words(key).map(String.init), expand: true)
        return (parts.title.joined(separator: " "), parts.level.isEmpty ? nil : parts.level.joined(separator: " "))
    }

    /// The word-level split behind `split(_:)`.
    static func splitWords(_ input: [String], expand: Bool) -> (title: [String], level: [String]) {
        let parts = splitWordsKeepingAlternatives(input, expand: expand)
        return (parts.title, parts.level)
    }

    /// `splitWords`, also giving for each title word the other readings of the abbreviation it came
    /// from (empty when none).
    static func splitWordsKeepingAlternatives(_ input: [String], expand: Bool) -> (title: [String], level: [String], alternatives: [[String]]) {
        var words: [String] = []
        var others: [[String]] = []
        words.reserveCapacity(input.count + 2)
        for word in input {
            if expand, let expansion = Abbreviations.titles[word] {
                let split = expansion.split(separator: " ")
                for part in split {
                    words.append(String(part))
                    others.append(split.count == 1 ? Abbreviations.alternatives[word] ?? [] : [])
                }
            } else {
                words.append(word)
                others.append([])
            }
        }
        var isLevel: [Bool] = []
        markLevels(words.map(role), into: &isLevel)
        var title: [String] = []
        var level: [String] = []
        var alternatives: [[String]] = []
        for (index, word) in words.enumerated() {
            if isLevel[index] {
                level.append(word)
            } else {
                title.append(word)
                alternatives.append(others[index])
            }
        }
        return (title, level, alternatives)
    }

    /// Where a word may stand as a level word.
    public struct Role: Sendable, Equatable {
        /// A level wherever it stands ("senior").
        public var anywhere: Bool
        /// A level when it opens the title.
        public var opening: Bool
        /// A level when it closes the title ("Engineer I").
        public var closing: Bool
    }

    /// The role of one (expanded) word.
    public static func role(of word: String) -> Role {
        Role(anywhere: levelWords.contains(word), opening: leadingLevelWords.contains(word), closing: trailingLevelWords.contains(word))
    }

    /// Which of the words (given by their roles, in order) are level words: those that are levels
    /// anywhere, the run that opens the title and the run that closes it; none when no title word would
    /// remain. `marks` is overwritten (one per word).
    public static func markLevels(_ roles: [Role], into marks: inout [Bool]) {
        marks.removeAll(keepingCapacity: true)
        for r in roles { marks.append(r.anywhere) }
        var first = 0
        while first < roles.count, marks[first] || roles[first].opening {
            marks[first] = true
            first += 1
        }
        var last = roles.count - 1
        while last >= first, marks[last] || roles[last].closing {
            marks[last] = true
            last -= 1
        }
        if !marks.contains(false) {
            for i in marks.indices { marks[i] = false }
        }
    }
}

/// A light suffix folder for English job-title words, applied to dictionary and query alike so
/// "Accountants" meets "Accountant" and "Engineering" meets "Engineer": plural `-s`/`-es`/`-ies`,
/// `-ing`, `-ed`, and a final `-e` ("nurse"/"nursing" → "nurs"). Not a full Porter stemmer: it only
/// folds inflections that occupational titles use.
public enum WordStem {
    /// The folded form of a lower-case word.
    public static func of(_ word: String) -> String {
        var w = Array(word.utf8)
        guard w.count > 3, w.allSatisfy({ $0 >= 97 && $0 <= 122 }) else { return word }
        func ends(_ suffix: String) -> Bool {
            let s = Array(suffix.utf8)
            return w.count > s.count + 2 && Array(w[(w.count - s.count)...]) == s
        }
        if ends("ies") {
            w.removeLast(3)
            w.append(121)  // y
        } else if ends("sses") || ends("shes") || ends("ches") || ends("xes") {
            w.removeLast(2)
        } else if ends("ss") || ends("us") || ends("is") {
            // "business", "status", "analysis": not plurals.
        } else if w.last == 115 {  // s
            w.removeLast()
        }
        if ends("ing") {
            w.removeLast(3)
        } else if ends("ed") && !ends("eed") {
            w.removeLast(2)
        }
        if w.count > 3, w.last == 101 { w.removeLast() }  // e
        return String(decoding: w, as: UTF8.self)
    }
}

/// The words a people metric compares, taken from text as typed: normalised (`TextNormalizer`), title
/// abbreviations expanded and level words split off (`Seniority`), inflections folded (`WordStem`),
/// and a few function words dropped. Canonicalisation adds evidence beside these words; it never
/// replaces them.
///
/// Example: `title("Sr. Software Eng II")` → `["software", "engineer"]`.
public enum EvidenceWords {
    /// Function words that carry no evidence of an occupation.
    static let functionWords: Set<String> = ["and", "of", "the", "for", "in", "to", "a", "an", "with", "or", "at", "on", "by"]

    /// Folded words of a job title (levels split off, abbreviations expanded).
    public static func title(_ text: String) -> [String] {
        let parts = TextNormalizer.words(TextNormalizer.key(PrivacyMask.withoutPlaceholders(text))).flatMap { titleParts(ofWord: String($0)) }
        var levels: [Bool] = []
        Seniority.markLevels(parts.map(\.role), into: &levels)
        var out: [String] = []
        for (i, part) in parts.enumerated() where !levels[i] {
            if let folded = part.folded, !out.contains(folded) { out.append(folded) }
        }
        return out
    }

    /// One word of a title's key as `title(_:)` reads it: each word of its expansion ("sr" → "senior"),
    /// with its level role and its folded form (nil for a function word). `title(_:)` marks the level
    /// words among all the parts (`Seniority.markLevels`) and keeps each folded form of the others once.
    public static func titleParts(ofWord word: String) -> [(role: Seniority.Role, folded: String?)] {
        let expanded = Abbreviations.titles[word].map { $0.split(separator: " ").map(String.init) } ?? [word]
        return expanded.map { part in (Seniority.role(of: part), functionWords.contains(part) ? nil : WordStem.of(part)) }
    }

    /// Folded words of a skill (mask labels of personal data left out; no expansion: "IT" or "HR" in a skill stay as written).
    public static func skill(_ text: String) -> [String] {
        fold(TextNormalizer.words(TextNormalizer.key(PrivacyMask.withoutPlaceholders(text))).map(String.init))
    }

    static func fold(_ words: [String]) -> [String] {
        var out: [String] = []
        out.reserveCapacity(words.count)
        for word in words where !functionWords.contains(word) {
            let stem = WordStem.of(word)
            if !out.contains(stem) { out.append(stem) }
        }
        return out
    }
}
