import Testing
@testable import KindredClean

@Suite("TextNormalizer and Seniority")
struct TextNormalizerTests {
    @Test(
        "key folds case, punctuation, whitespace and compatibility forms",
        arguments: [
            ("  Sr. Software-Engineer ", "sr software engineer"),
            ("ＳＯＦＴＷＡＲＥ\u{3000}Ｅｎｇｉｎｅｅｒ", "software engineer"),  // full-width letters and space
            ("C++ Developer", "c++ developer"),
            ("Ｃ＋＋", "c++"),
            ("C# / .NET", "c# net"),
            ("Cafe\u{301} Manager", "café manager"),  // combining accent composes
            ("Café Manager", "café manager"),
            ("\u{FB01}re \u{FB01}ghter", "fire fighter"),  // "fi" ligatures
            ("Nurse \u{2163}", "nurse iv"),  // Roman numeral four
            ("RN\t\n  (Staff)", "rn staff"),
            ("911 Dispatcher", "911 dispatcher"),
            ("", ""),
            (" --- ", ""),
        ])
    func key(input: String, expected: String) {
        #expect(TextNormalizer.key(input) == expected)
    }

    @Test("key is idempotent")
    func idempotent() {
        for text in ["  Sr. Software-Engineer ", "ＣＥＯ／Founder", "Ärztin (m/w/d)", "C++/C# Dev"] {
            let once = TextNormalizer.key(text)
            #expect(TextNormalizer.key(once) == once)
        }
    }

    @Test(
        "split separates level words and expands abbreviations",
        arguments: [
            ("senior software engineer ii", "software engineer", "senior ii" as String?),
            ("sr software engineer", "software engineer", "senior"),
            ("software engineer", "software engineer", nil),
            ("lead dev", "developer", "lead"),
            ("jr mgr", "manager", "junior"),
            ("staff nurse", "staff nurse", nil),
            ("intern", "intern", nil),  // only level words: kept as the title
            ("senior", "senior", nil),
            ("senior ii", "senior ii", nil),
            ("sr", "senior", nil),
            ("", "", nil),
        ])
    func split(key: String, title: String, level: String?) {
        let parts = Seniority.split(key)
        #expect(parts.title == title)
        #expect(parts.level == level)
    }
}
