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

    /// The line as `PeopleJSON.line` wrote it through `JSONText` before it wrote bytes (the reference).
    static func referenceLine(for person: Person) -> String {
        var json = JSONText()
        json.add("id", person.id)
        if let name = person.name { json.add("name", name) }
        if let email = person.email { json.add("email", email) }
        if let phone = person.phone { json.add("phone", phone) }
        if let location = person.location { json.add("location", location) }
        json.add("skills", raw: JSONText.array(person.skills))
        if let raw = person.rawSkills { json.add("skills_raw", raw: JSONText.array(raw)) }
        let positions = person.positions.map { position -> String in
            var item = JSONText()
            item.add("title", position.title)
            if let raw = position.rawTitle { item.add("title_raw", raw) }
            if let occupation = position.occupation { item.add("occupation", occupation) }
            if let seniority = position.seniority { item.add("seniority", seniority) }
            if let confidence = position.confidence { item.add("confidence", confidence, digits: 3) }
            if let company = position.company { item.add("company", company) }
            if let start = position.start { item.add("start", start.description) } else { item.addNull("start") }
            if let end = position.end { item.add("end", end.description) } else { item.addNull("end") }
            if position.endInferred { item.add("end_inferred", true) }
            if position.startImputed { item.add("start_imputed", true) }
            if position.endImputed { item.add("end_imputed", true) }
            if position.endIsPresent { item.add("end_present", true) }
            if let method = position.titleMatch { item.add("title_match", method) }
            if !position.dateIssues.isEmpty { item.add("date_issues", raw: JSONText.array(position.dateIssues)) }
            return item.text
        }
        json.add("positions", raw: "[" + positions.joined(separator: ",") + "]")
        if !person.dateIssues.isEmpty { json.add("date_issues", raw: JSONText.array(person.dateIssues)) }
        return json.text
    }

    @Test("the byte writer gives the same line as the JSONText reference, every optional field and year included (property)")
    func bytesMatchReference() async throws {
        await propertyCheck(
            count: 200,
            input: PeopleJSONTests.nonBlank, PeopleJSONTests.text.array(of: 0...4), PeopleJSONTests.nonBlank.array(of: 0...4),
            Gen.int(in: 0...(12_000 * 12)).array(of: 4), PeopleJSONTests.text.optional, Gen.uint64()
        ) { id, skills, titles, ordinals, optionalText, bits in
            var person = Person(id: id, name: optionalText, email: optionalText.map { $0 + "@x" }, location: optionalText)
            person.phone = bits & 1 == 0 ? nil : optionalText
            person.skills = skills
            person.rawSkills = bits & 2 == 0 ? nil : skills.reversed()
            person.dateIssues = bits & 4 == 0 ? [] : skills
            for (index, title) in titles.enumerated() {
                let flags = bits >> (8 * UInt64(index + 1))
                var position = Position(title: title, company: flags & 1 == 0 ? nil : optionalText)
                // Years from 0 to 12,000: four-digit years are written digit by digit, the others by `description`.
                position.start = flags & 2 == 0 ? nil : YearMonth(ordinal: ordinals[index])
                position.end = flags & 4 == 0 ? nil : YearMonth(ordinal: ordinals[(index + 1) % 4])
                position.rawTitle = flags & 8 == 0 ? nil : title + "\\"
                position.occupation = flags & 16 == 0 ? nil : "occ\"\(index)"
                position.seniority = flags & 32 == 0 ? nil : optionalText ?? "senior"
                position.confidence = flags & 64 == 0 ? nil : Double(ordinals[index] % 1001) / 997
                position.endInferred = flags & 128 != 0
                position.startImputed = flags & 3 == 3
                position.endImputed = flags & 5 == 5
                position.endIsPresent = flags & 9 == 9
                position.titleMatch = flags & 17 == 17 ? "nearest" : nil
                position.dateIssues = flags & 33 == 33 ? skills : []
                person.positions.append(position)
            }
            let bytes = PeopleJSON.lineBytes(for: person)
            let reference = PeopleJSONTests.referenceLine(for: person)
            #expect(bytes == Array(reference.utf8), "\(reference)")
            #expect(PeopleJSON.line(for: person) == reference)
        }
    }

}
