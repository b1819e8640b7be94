// libFuzzer harness: Kindred's CSV people files.
//
// The first line is the header (`PeopleCSVSchema(header:)`, which runs `CSV.fields`); every further
// line is a row (`schema.parse`, and `PeopleReader.parse` with the schema, which adds the UTF-8
// check). The whole input is also streamed from a file with `PeopleReader(format: .csv)` (header
// errors, blank lines, duplicate ids). Oracle: a person read from CSV can be written as JSON and read back.
import FuzzSupport
import KindredPeople

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    let lines = Fuzz.lines(bytes)
    if let header = lines.first, let text = String(validating: header, as: UTF8.self),
        let schema = try? PeopleCSVSchema(header: text)
    {
        for (index, line) in lines.dropFirst().enumerated() {
            if let row = String(validating: line, as: UTF8.self), let person = try? schema.parse(row) {
                roundTrip(person)
            }
            if case .quarantined(let record) = PeopleReader.parse(line, line: index + 2, file: "fuzz.csv", schema: schema) {
                _ = record.jsonLine
            }
        }
    }
    let path = ScratchFolder.shared.write(bytes, to: "people.csv")
    do {
        let reader = try PeopleReader(path: path, format: .csv)
        defer { reader.close() }
        while let item = try reader.next() {
            switch item {
            case .person(let person, _): roundTrip(person)
            case .quarantined(let record): _ = record.message
            }
        }
    } catch {
        // I/O and bad-input errors are expected outcomes.
    }
    return 0
}

func roundTrip(_ person: Person) {
    let line = PeopleJSON.line(for: person)
    do {
        let again = try PeopleJSON.parse(line)
        Fuzz.invariant(again.id == person.id, "id changed in a round trip: \(person.id) → \(again.id)")
    } catch {
        Fuzz.invariant(false, "a person read from CSV cannot be read back after PeopleJSON.line(for:): \(error) — \(line)")
    }
}
