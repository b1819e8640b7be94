import KindredCore
import PropertyBased
import Testing
@testable import KindredPeople

@Suite("Dates as people write them")
struct DateReadingTests {
    static func ym(_ y: Int, _ m: Int) -> YearMonth { YearMonth(year: y, month: m) }

    @Test(
        "every accepted form reads as its month",
        arguments: [
            ("2019-03", 2019, 3), ("2019/03", 2019, 3), ("2019.03", 2019, 3), ("2019-3", 2019, 3),
            ("03/2019", 2019, 3), ("3/2019", 2019, 3), ("03-2019", 2019, 3), ("03.2019", 2019, 3),
            ("2021-03-15", 2021, 3), ("2021/03/15", 2021, 3),
            ("2019-03-01T00:00:00Z", 2019, 3), ("2019-03-31T23:30:00-05:00", 2019, 3), ("2019-03-01T09:30:00+02:00", 2019, 3),
            ("2019-03-01 09:30", 2019, 3), ("2019-03-01t00:00", 2019, 3),
            ("25/12/2019", 2019, 12), ("12/25/2019", 2019, 12), ("25.12.2019", 2019, 12), ("04/04/2019", 2019, 4),
            ("Jan 2019", 2019, 1), ("jan 2019", 2019, 1), ("JAN 2019", 2019, 1), ("March 2019", 2019, 3), ("Sept. 2019", 2019, 9),
            ("Sept 2019", 2019, 9), ("Sep 2019", 2019, 9), ("September 2019", 2019, 9), ("Dec. 2019", 2019, 12), ("Mar.2019", 2019, 3),
            ("2019 Mar", 2019, 3), ("Mar-2019", 2019, 3), ("March 5, 2019", 2019, 3), ("5 March 2019", 2019, 3), ("2019 Mar 5", 2019, 3),
            ("  May 2020  ", 2020, 5), ("2019 Sept.", 2019, 9),
        ])
    func accepted(text: String, year: Int, month: Int) {
        #expect(YearMonth.reading(text) == .month(DateReadingTests.ym(year, month), .exact))
    }

    @Test(
        "present, current, now and today (any case) are an open end",
        arguments: ["present", "Present", "PRESENT", "current", "Current", "now", "Now", "today", " Today "])
    func present(text: String) {
        #expect(YearMonth.reading(text) == .present)
        var position = Position(title: "Nurse")
        position.readEnd(text, order: .mdy)
        #expect(position.end == nil && position.endIsPresent && position.dateIssues.isEmpty)
    }

    @Test("a year alone is January as a start and December as an end, flagged as year only")
    func yearOnly() {
        #expect(YearMonth.reading("2019", yearOnlyMonth: 1) == .month(DateReadingTests.ym(2019, 1), .yearOnly))
        var position = Position(title: "Nurse")
        position.readStart("2019", order: .mdy)
        position.readEnd("2021", order: .mdy)
        #expect(position.start == DateReadingTests.ym(2019, 1))
        #expect(position.end == DateReadingTests.ym(2021, 12))
        #expect(position.dateIssues == ["year_only_start", "year_only_end"])
    }

    @Test(
        "ambiguous a/b/YYYY follows the date order and is flagged; unambiguous ones read alike either way",
        arguments: [
            ("03/04/2019", DateOrder.mdy, 3, DatePrecision.ambiguous), ("03/04/2019", .dmy, 4, .ambiguous),
            ("3/4/2019", .dmy, 4, .ambiguous), ("03.04.2019", .dmy, 4, .ambiguous),
            ("25/12/2019", .mdy, 12, .exact), ("25/12/2019", .dmy, 12, .exact),
            ("12/25/2019", .mdy, 12, .exact), ("12/25/2019", .dmy, 12, .exact), ("07/07/2019", .dmy, 7, .exact),
        ])
    func ambiguous(text: String, order: DateOrder, month: Int, precision: DatePrecision) {
        #expect(YearMonth.reading(text, order: order) == .month(DateReadingTests.ym(2019, month), precision))
    }

    @Test(
        "anything else is unreadable, never a guess",
        arguments: [
            "", "soon", "2019-13", "13/2019", "00/2019", "03/19", "Mar 19", "1899", "2201", "20190", "2019-03/15", "32/01/2019",
            "13/13/2019", "Marchy 2019", "Jan Feb 2019", "2019 2020", "present 2019", "2019-", "-2019",
            "Mar 2019 extra", "1/2/3/2019", "２０１９-03",
        ])
    func unreadable(text: String) {
        #expect(YearMonth.reading(text) == .unreadable, "read '\(text)'")
        var position = Position(title: "Nurse")
        position.readStart(text, order: .mdy)
        if !text.isEmpty { #expect(position.start == nil && position.dateIssues == ["unreadable_start"]) }
    }

    @Test("present as a start is unreadable: the start is missing and flagged")
    func presentStart() {
        var position = Position(title: "Nurse")
        position.readStart("present", order: .mdy)
        #expect(position.start == nil && position.dateIssues == ["unreadable_start"])
    }

    static let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]

    @Test("every month, written in each accepted form, reads back as itself")
    func roundTrip() async {
        await propertyCheck(count: 300, input: Gen.int(in: (1900 * 12)...(2200 * 12 + 11)), Gen.int(in: 1...28)) { ordinal, day in
            let month = YearMonth(ordinal: ordinal)
            let (y, m) = (month.year, month.month)
            let mm = m < 10 ? "0\(m)" : "\(m)"
            let dd = day < 10 ? "0\(day)" : "\(day)"
            let name = DateReadingTests.months[m - 1]
            var forms = [
                month.description, "\(y)/\(mm)", "\(y)-\(m)", "\(mm)/\(y)", "\(m)/\(y)", "\(y)-\(mm)-\(dd)", "\(y)-\(mm)-\(dd)T12:00:00Z",
                "\(y)-\(mm)-\(dd)T00:00:00+05:30", "\(name) \(y)", "\(name.prefix(3)) \(y)", "\(name.prefix(3)). \(y)", "\(y) \(name.prefix(3))",
                "\(name) \(day), \(y)", "\(day) \(name) \(y)",
            ]
            // A day above 12 makes a/b/YYYY unambiguous in both orders.
            if day > 12 { forms += ["\(mm)/\(dd)/\(y)", "\(dd)/\(mm)/\(y)", "\(dd).\(mm).\(y)"] }
            for form in forms {
                for order in DateOrder.allCases {
                    #expect(YearMonth.reading(form, order: order) == .month(month, .exact), "\(form)")
                }
            }
        }
    }
}
