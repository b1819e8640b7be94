import Foundation
import KindredCore
import KindredTestSupport
import PropertyBased
import Testing

@Suite("CSV and text helpers")
struct CSVTests {
    @Test("CSV.fields splits, unquotes and rejects stray quotes; CSV.line round-trips")
    func csvFields() throws {
        #expect(try CSV.fields(of: "a,\"b,c\",\"d\"\"e\",") == ["a", "b,c", "d\"e", ""])
        #expect(throws: KindredError.self) { try CSV.fields(of: "a,b\"c") }
        #expect(throws: KindredError.self) { try CSV.fields(of: "\"a\"b") }
        let fields = ["plain", "with,comma", "with \"quote\"", "", "multi\nline"]
        #expect(try CSV.fields(of: CSV.line(fields)) == fields)
    }

    @Test func trimmingSpacesMatchesFoundation() async {
        let chars: [Character] = [" ", "\t", "\u{00A0}", "\u{2003}", "a", "é", "\n", "x"]
        await propertyCheck(count: 300, input: Gen<Character?>.element(of: chars).map { $0! }.string(of: 0...8)) { text in
            #expect(text.trimmingSpaces() == text.trimmingCharacters(in: .whitespaces))
        }
    }
}

@Suite("AtomicFileWriter")
struct AtomicFileWriterTests {
    @Test("an abandoned atomic write leaves neither the file nor a temporary behind")
    func abandonedWrite() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let writer = try AtomicFileWriter(path: folder.file("out.txt"))
        try writer.write("partial")
        writer.abandon()
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }
}
