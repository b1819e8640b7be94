import KindredCore
import PropertyBased
import Testing
@testable import KindredPeople

@Suite("YearMonth")
struct YearMonthTests {
    @Test(
        "parses YYYY-MM, YYYY-MM-DD and YYYY/MM",
        arguments: [
            ("2020-01", 2020, 1), ("1999-12", 1999, 12), ("2024-02-29", 2024, 2), ("2019-07-01", 2019, 7),
            ("2021/07", 2021, 7), ("1900-01", 1900, 1), ("2021/11/30", 2021, 11),
        ])
    func parsesValidDates(text: String, year: Int, month: Int) throws {
        let parsed = try #require(YearMonth(parsing: text))
        #expect(parsed == YearMonth(year: year, month: month))
    }

    @Test(
        "rejects malformed or out-of-range dates",
        arguments: [
            "2020-13", "2020-00", "2020-1", "2020-1-05", "20x0-01", "abcd-ef", "", "2020", "2020-01-32",
            "2020-01-00", "2020-01/15", "2020.01", " 2020-01", "2020-01 ", "1899-12", "２０２０-01", "-202-01",
        ])
    func rejectsInvalidDates(text: String) {
        #expect(YearMonth(parsing: text) == nil)
    }

    @Test("description is zero-padded YYYY-MM")
    func description() {
        #expect(YearMonth(year: 2020, month: 3).description == "2020-03")
        #expect(YearMonth(year: 1999, month: 12).description == "1999-12")
    }

    @Test("ordinals count months and order the months")
    func ordinals() {
        let december = YearMonth(year: 2020, month: 12)
        let january = YearMonth(year: 2021, month: 1)
        #expect(january.ordinal - december.ordinal == 1)
        #expect(december < january)
        #expect(YearMonth(year: 2021, month: 6).ordinal - YearMonth(year: 2020, month: 6).ordinal == 12)
        #expect(YearMonth(ordinal: january.ordinal) == january)
    }

    @Test("ordinal -> month -> text -> month round trip")
    func ordinalRoundTrip() async {
        await propertyCheck(count: 200, input: Gen.int(in: (1900 * 12)...(9999 * 12 + 11))) { ordinal in
            let month = YearMonth(ordinal: ordinal)
            #expect(month.ordinal == ordinal)
            #expect((1...12).contains(month.month))
            #expect(YearMonth(parsing: month.description) == month)
            let slashed = month.description.replacingAll("-", with: "/")
            #expect(YearMonth(parsing: slashed) == month)
            #expect(YearMonth(parsing: month.description + "-15") == month)
        }
    }
}
