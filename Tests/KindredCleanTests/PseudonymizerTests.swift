import Foundation
import KindredCore
import KindredTestSupport
import Testing
@testable import KindredClean

@Suite("Pseudonymizer")
struct PseudonymizerTests {
    static let key = "a-test-key-of-32-bytes-length!!!"

    @Test("stable for one key, different across keys, k + 24 hex digits")
    func stability() throws {
        let a = try Pseudonymizer(keyText: PseudonymizerTests.key)
        let b = try Pseudonymizer(keyText: PseudonymizerTests.key)
        let other = try Pseudonymizer(keyText: "another-key-0123456789")
        var seen = Set<String>()
        for i in 0..<500 {
            let id = "person-\(i)"
            let pseudonym = a.pseudonym(for: id)
            #expect(pseudonym == b.pseudonym(for: id))
            #expect(pseudonym != other.pseudonym(for: id))
            #expect(pseudonym.count == 25)
            #expect(pseudonym.first == "k")
            #expect(pseudonym.dropFirst().allSatisfy { "0123456789abcdef".contains($0) })
            seen.insert(pseudonym)
        }
        #expect(seen.count == 500, "pseudonyms collide")
        #expect(!a.isDemoKey)
    }

    @Test("a known value (HMAC-SHA256 is fixed, so pseudonyms never change between versions)")
    func knownValue() {
        // HMAC-SHA256("kindred-demo-key-not-secret-0000", "p0000001"), first 12 bytes.
        let demo = Pseudonymizer.demo()
        #expect(demo.isDemoKey)
        #expect(demo.pseudonym(for: "p0000001") == PseudonymizerTests.expectedDemoPseudonym)
    }

    static let expectedDemoPseudonym = "k334777c3d35bc1e2ad29d594"

    @Test("the output never contains the raw id")
    func noRawID() throws {
        let p = try Pseudonymizer(keyText: PseudonymizerTests.key)
        let ids = (1...300).map { "p" + String(repeating: "0", count: 7 - String($0).count) + String($0) }
            + ["ann.lee@example.com", "EMP-12345", "John Smith", "123-45-6789", "é-ü-中"]
        for id in ids {
            let pseudonym = p.pseudonym(for: id)
            #expect(!pseudonym.contains(id))
            #expect(!pseudonym.lowercased().contains(id.lowercased()))
        }
    }

    @Test("a key shorter than 16 bytes is a usage error", arguments: ["", "short", "fifteen-bytes!!"])
    func shortKey(key: String) {
        let error = #expect(throws: KindredError.self) { _ = try Pseudonymizer(keyText: key) }
        #expect(error?.code == .usage)
    }

    @Test("16 bytes is enough, counted in UTF-8 bytes")
    func sixteenBytes() throws {
        _ = try Pseudonymizer(keyText: "sixteen-bytes!!!")
        _ = try Pseudonymizer(keyText: "éééééééé")  // 8 characters, 16 bytes
    }

    @Test("resolve without key and without demo permission is a usage error")
    func resolveWithoutKey() {
        let error = #expect(throws: KindredError.self) {
            _ = try Pseudonymizer.resolve(keyFile: nil, environment: [:], allowDemoKey: false)
        }
        #expect(error?.code == .usage)
        #expect(error?.message.contains("KINDRED_KEY") == true)
        let empty = #expect(throws: KindredError.self) {
            _ = try Pseudonymizer.resolve(keyFile: nil, environment: ["KINDRED_KEY": ""], allowDemoKey: false)
        }
        #expect(empty?.code == .usage)
    }

    @Test("resolve order: key file, then KINDRED_KEY, then the demo key")
    func resolveOrder() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let keyFile = folder.file("key")
        try "  file-key-0123456789abcdef \n".write(toFile: keyFile, atomically: true, encoding: .utf8)
        let fromFile = try Pseudonymizer.resolve(keyFile: keyFile, environment: ["KINDRED_KEY": PseudonymizerTests.key], allowDemoKey: true)
        #expect(fromFile.pseudonym(for: "x") == (try Pseudonymizer(keyText: "file-key-0123456789abcdef")).pseudonym(for: "x"))
        let fromEnvironment = try Pseudonymizer.resolve(keyFile: nil, environment: ["KINDRED_KEY": PseudonymizerTests.key], allowDemoKey: true)
        #expect(fromEnvironment.pseudonym(for: "x") == (try Pseudonymizer(keyText: PseudonymizerTests.key)).pseudonym(for: "x"))
        #expect(!fromEnvironment.isDemoKey)
        let demo = try Pseudonymizer.resolve(keyFile: nil, environment: [:], allowDemoKey: true)
        #expect(demo.isDemoKey)
        #expect(demo.pseudonym(for: "x") == Pseudonymizer.demo().pseudonym(for: "x"))

        let missing = folder.file("no-such-key")
        let error = #expect(throws: KindredError.self) {
            _ = try Pseudonymizer.resolve(keyFile: missing, environment: [:], allowDemoKey: true)
        }
        #expect(error?.code == .usage)
        #expect(error?.file == missing)
        let shortEnvironment = #expect(throws: KindredError.self) {
            _ = try Pseudonymizer.resolve(keyFile: nil, environment: ["KINDRED_KEY": "short"], allowDemoKey: true)
        }
        #expect(shortEnvironment?.code == .usage)
    }
}
