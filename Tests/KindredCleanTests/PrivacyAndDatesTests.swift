import KindredPeople
import KindredTestSupport
import Testing
@testable import KindredClean

@Suite("PrivacyMask")
struct PrivacyMaskTests {
    @Test(
        "e-mails, phones, URLs and street addresses in free text are masked",
        arguments: [
            ("Nurse - ann.lee@example.com", "Nurse - [email]"),
            ("Driver call 555-010-2000", "Driver call [phone]"),
            ("Sales (+44) 20 7946 0958", "Sales [phone]"),
            ("Consultant www.ann-lee.io", "Consultant [url]"),
            ("Cashier at 221B Baker Street, London", "Cashier at [address], London"),
        ])
    func patterns(text: String, expected: String) {
        let (out, masked) = PrivacyMask().mask(text)
        #expect(out == expected)
        #expect(masked)
    }

    @Test("ordinary titles are left alone", arguments: ["911 Dispatcher", "Level 2 Technician", "C++ Developer", "Grade 5 Teacher", "Registered Nurse", "Route 66 Driver"])
    func noFalsePositives(text: String) {
        let (out, masked) = PrivacyMask().mask(text)
        #expect(out == text)
        #expect(!masked)
    }

    @Test("mask labels are not matched as words")
    func labelsIgnored() throws {
        let titles = CanonicalDictionary.titles(from: try Fixtures.catalog())
        let masked = PrivacyMask().mask("Paramedic ann@x.org").text
        #expect(masked == "Paramedic [email]")
        #expect(titles.match(masked) == titles.match("Paramedic"))
        #expect(titles.match("[email]").method == .none)
        #expect(titles.match(" [email] ").canonical == "[email]")  // a clean record always keeps a title
    }

    @Test("the person's own name, e-mail and phone are masked wherever they appear, in any case")
    func own() {
        let mask = PrivacyMask(name: "Ann Lee", email: "ann@x.org", phone: "555 0100")
        #expect(mask.mask("ANN LEE Consulting").text == "[name] Consulting")
        #expect(mask.mask("contact ann@x.org").text == "contact [email]")
        #expect(mask.mask("Paramedic").masked == false)
    }
}

@Suite("DateAudit")
struct DateAuditTests {
    static func ym(_ y: Int, _ m: Int) -> YearMonth { YearMonth(year: y, month: m) }
    static let audit = DateAudit(asOf: ym(2026, 12))

    @Test("contiguous positions: a missing end is the next start")
    func contiguous() {
        var positions = [Position(title: "a", start: Self.ym(2010, 1)), Position(title: "b", start: Self.ym(2012, 6))]
        var issues: [String] = []
        let outcome = Self.audit.audit(&positions, birthYear: nil, personIssues: &issues)
        #expect(positions[0].end == Self.ym(2012, 6))
        #expect(positions[0].endInferred)
        #expect(positions[1].end == nil)  // the latest stays open
        #expect(outcome.endsInferred == 1)
        #expect(issues.isEmpty)
    }

    @Test("impossible dates are flagged and kept as given")
    func flags() {
        var positions = [
            Position(title: "child", start: Self.ym(1990, 1), end: Self.ym(1991, 1)),
            Position(title: "backwards", start: Self.ym(2015, 5), end: Self.ym(2014, 1)),
            Position(title: "future", start: Self.ym(2030, 1)),
        ]
        var issues: [String] = []
        let outcome = Self.audit.audit(&positions, birthYear: 1980, personIssues: &issues)
        #expect(positions[0].dateIssues == ["before_age_14"])
        #expect(positions[1].dateIssues == ["end_before_start"])
        #expect(positions[1].end == Self.ym(2014, 1))
        #expect(positions[2].dateIssues == ["future_start"])
        #expect(outcome.issues == ["before_age_14": 1, "end_before_start": 1, "future_start": 1])
        var long = [Position(title: "x", start: Self.ym(1950, 1), end: Self.ym(2015, 1))]
        var personIssues: [String] = []
        _ = Self.audit.audit(&long, birthYear: nil, personIssues: &personIssues)
        #expect(personIssues == ["career_over_60_years"])
    }

    @Test("tenure imputation is optional and always marked")
    func imputation() {
        let positions = [
            Position(title: "a", start: Self.ym(2010, 1)),
            Position(title: "b"),  // no dates at all: nothing to impute from
            Position(title: "c", end: Self.ym(2020, 1)),
        ]
        var plain = positions
        var issues: [String] = []
        _ = Self.audit.audit(&plain, birthYear: nil, personIssues: &issues)
        #expect(plain[0].end == nil && !plain[0].endImputed)
        var imputed = positions
        var audit = Self.audit
        audit.typicalTenureMonths = 24
        let outcome = audit.audit(&imputed, birthYear: nil, personIssues: &issues)
        #expect(imputed[0].end == Self.ym(2012, 1))
        #expect(imputed[0].endImputed && !imputed[0].endInferred)
        #expect(imputed[2].start == Self.ym(2018, 1))
        #expect(imputed[2].startImputed)
        #expect(imputed[1].start == nil && imputed[1].end == nil)
        #expect(outcome.datesImputed == 2)
    }
}
