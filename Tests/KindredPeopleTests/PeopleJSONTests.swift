import KindredCore
import PropertyBased
import Testing
@testable import KindredPeople

@Suite("PeopleJSON")
struct PeopleJSONTests {
    /// Characters that stress JSON escaping: quotes, backslashes, slashes, control characters,
    /// accents (precomposed and combining), CJK, emoji, and the CSV/list separators.
    static let tricky: [Character] = Array("aZ9 \"\\/;,é中😀\n\t\r{}[]:") + ["\u{1}", "\u{1F}", "\u{7F}", "e\u{301}", "\u{2028}", "ß"]

    static let text = Gen<Character?>.element(of: tricky).map { $0! }.string(of: 0...10)
    /// Non-blank text (ids and titles must not be blank).
    static let nonBlank = text.map { "x" + $0 }

    @Test("Person -> line -> Person round trip with escaping-heavy text")
    func roundTrip() async throws {
        await propertyCheck(
            count: 150,
            input: PeopleJSONTests.nonBlank, PeopleJSONTests.text.array(of: 0...5), PeopleJSONTests.nonBlank.array(of: 0...4),
            Gen.int(in: (1950 * 12)...(2030 * 12)).array(of: 4), PeopleJSONTests.text.optional, Gen.int(in: 0...1000)
        ) { id, skills, titles, ordinals, optionalText, confidence in
            var person = Person(id: id, name: optionalText, email: optionalText.map { $0 + "@x" }, location: optionalText)
            person.skills = skills
            person.rawSkills = skills.isEmpty ? nil : skills.reversed()
            for (index, title) in titles.enumerated() {
                var position = Position(title: title, company: optionalText)
                position.start = YearMonth(ordinal: ordinals[index])
                position.end = index % 2 == 0 ? YearMonth(ordinal: ordinals[index] + 7) : nil
                if index == 1 {
                    position.rawTitle = title + "\\"
                    position.occupation = "occ\"\(index)"
                    position.seniority = "senior"
                    position.confidence = Double(confidence) / 1000
                    position.endInferred = true
                }
                person.positions.append(position)
            }
            let line = PeopleJSON.line(for: person)
            #expect(!line.contains("\n"), "a JSON line must not contain a raw newline")
            let parsed = try PeopleJSON.parse(line)
            #expect(parsed == person)
        }
    }

    @Test("a line has keys in a fixed order and leaves out absent values")
    func lineLayout() {
        var position = Position(title: "Nurse", company: "Acme")
        position.start = YearMonth(year: 2020, month: 1)
        let line = PeopleJSON.line(for: Person(id: "p1", skills: ["CPR"], positions: [position]))
        #expect(line == #"{"id":"p1","skills":["CPR"],"positions":[{"title":"Nurse","company":"Acme","start":"2020-01","end":null}]}"#)
    }

    @Test(
        "parse errors name the field",
        arguments: [
            (#"{"id":"a","skills":5}"#, "skills"),
            (#"{"id":"a","skills":["x",3]}"#, "skills[1]"),
            (#"{"id":"a","name":7}"#, "name"),
            (#"{"id":"a","positions":{}}"#, "positions"),
            (#"{"id":"a","positions":["x"]}"#, "positions[0]"),
            (#"{"id":"a","positions":[{"title":"A"},{"company":"B"}]}"#, "positions[1].title"),
            (#"{"id":"a","positions":[{"title":"A","end":["2020-01"]}]}"#, "positions[0].end"),
            (#"{"id":true}"#, "id"),
        ])
    func fieldErrors(line: String, field: String) {
        let error = #expect(throws: KindredError.self) { try PeopleJSON.parse(line) }
        #expect(error?.code == .badInput)
        #expect(error?.field == field)
    }

    @Test("numeric ids are read as text; a skills string is split on ';'; unknown keys are ignored")
    func lenientInput() throws {
        let person = try PeopleJSON.parse(#"{"id":42,"skills":"CPR; Triage ;;","extra":{"a":[1]}}"#)
        #expect(person.id == "42")
        #expect(person.skills == ["CPR", "Triage"])
    }
}
