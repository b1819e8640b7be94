// libFuzzer harness: Kindred's JSON Lines people records.
//
// Each input is one or more lines. Every line goes through `PeopleReader.parse` (UTF-8 check, then
// `PeopleJSON`) and `PeopleJSON.parse(bytes:)` directly; the whole input is also written to a file
// and streamed with `PeopleReader` (LineReader, blank lines, duplicate ids). Oracle beyond "no crash":
// a person that was read can be written with `PeopleJSON.line(for:)` and read back.
import FuzzSupport
import KindredPeople

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    for (index, line) in Fuzz.lines(bytes).enumerated() {
        check(PeopleReader.parse(line, line: index + 1, file: "fuzz.jsonl", schema: nil))
        _ = line.withUnsafeBufferPointer { try? PeopleJSON.parse(bytes: $0) }
    }
    let path = ScratchFolder.shared.write(bytes, to: "people.jsonl")
    do {
        let reader = try PeopleReader(path: path, format: .jsonl)
        defer { reader.close() }
        while let item = try reader.next() { check(item) }
    } catch {
        // I/O and bad-input errors are expected outcomes.
    }
    return 0
}

/// Exercises what callers do with an item: quarantine lines for rejects, a round trip for people.
func check(_ item: PeopleReadItem) {
    switch item {
    case .quarantined(let record):
        _ = record.message
        _ = record.jsonLine
    case .person(let person, _):
        let line = PeopleJSON.line(for: person)
        do {
            let again = try PeopleJSON.parse(line)
            Fuzz.invariant(again.id == person.id, "id changed in a round trip: \(person.id) → \(again.id)")
            Fuzz.invariant(again.positions.count == person.positions.count, "positions lost in a round trip: \(line)")
        } catch {
            Fuzz.invariant(false, "a person that was read cannot be read back after PeopleJSON.line(for:): \(error) — \(line)")
        }
    }
}
