import Foundation
import KindredClean
import KindredCore
import KindredTestSupport
import Testing
@testable import KindredPipeline

@Suite("SeenIDs: the duplicate-id check of projection")
struct SeenIDsTests {
    @Test(
        "first lines agree with a dictionary of ids, for pseudonyms, other ids and repeats, across growth and runs written to disk",
        arguments: [(UInt64(1), 1_500_000), (2, 1_500_000), (3, 700), (4, 97), (5, 13)])
    func sameAsDictionary(seed: UInt64, memoryLimit: Int) throws {
        var rng = SeededGenerator(seed: seed)
        let pseudonymizer = Pseudonymizer.demo()
        // Pseudonyms, near-pseudonyms (upper case, wrong length or letter) and plain ids; a third repeated.
        let pool: [String] = (0..<6000).map { i in
            switch i % 5 {
            case 0: return "emp-\(i)"
            case 1: return pseudonymizer.pseudonym(for: "x\(i)").uppercased()
            case 2: return "k" + String(pseudonymizer.pseudonym(for: "y\(i)").dropFirst(2))
            default: return pseudonymizer.pseudonym(for: "p\(i)")
            }
        }
        let seen = SeenIDs(memoryLimit: memoryLimit)
        var reference: [String: Int] = [:]
        for line in 1...9000 {
            let id = line <= 6000 && line % 3 != 0 ? pool[line - 1] : pool.randomElement(using: &rng)!
            let expected = reference[id]
            if expected == nil { reference[id] = line }
            #expect(try seen.firstLine(of: id, line: line) == expected, "line \(line)")
        }
        #expect(seen.count == reference.count)
        // About 3,600 distinct pseudonyms: runs are written exactly when the table fills.
        let pseudonyms = reference.keys.filter { SeenIDs.bits(of: $0) != nil }.count
        #expect(seen.runCount == pseudonyms / memoryLimit)
    }

    @Test("runs live in a private folder that goes with the check; heapsort sorts")
    func runsAreTemporary() throws {
        let root = try TemporaryFolder(prefix: "kindred-seen-tests")
        defer { root.cleanUp() }
        let pseudonymizer = Pseudonymizer.demo()
        var seen: SeenIDs? = SeenIDs(memoryLimit: 10, temporaryFolder: root.path)
        for i in 1...35 { #expect(try seen!.firstLine(of: pseudonymizer.pseudonym(for: "p\(i)"), line: i) == nil) }
        #expect(try seen!.firstLine(of: pseudonymizer.pseudonym(for: "p3"), line: 36) == 3)
        #expect(seen!.runCount == 3)
        let folders = try FileManager.default.contentsOfDirectory(atPath: root.path)
        #expect(folders.count == 1 && folders[0].hasPrefix("kindred-seen-ids-"))
        let attributes = try FileManager.default.attributesOfItem(atPath: root.path + "/" + folders[0])
        #expect((attributes[.posixPermissions] as? Int) == 0o700)
        seen = nil
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).isEmpty)
        var rng = SeededGenerator(seed: 9)
        var slots = (0..<500).map { _ in SeenIDs.Slot(low: UInt64.random(in: 0...20, using: &rng), high: UInt32.random(in: 0...3, using: &rng), line: 1) }
        slots.withUnsafeMutableBufferPointer { SeenIDs.heapSort($0.baseAddress!, $0.count) }
        #expect(zip(slots, slots.dropFirst()).allSatisfy { !$1.precedes($0) })
    }

    @Test("a pseudonym's bits are its 24 hex digits; anything else is not a pseudonym")
    func bits() {
        #expect(SeenIDs.bits(of: "k0123456789abcdef01234567")! == (0x0123_4567_89ab_cdef, 0x0123_4567))
        for other in ["k0123456789ABCDEF01234567", "k0123456789abcdef0123456", "x0123456789abcdef01234567", "", "k0123456789abcdef0123456g"] {
            #expect(SeenIDs.bits(of: other) == nil, "\(other)")
        }
    }
}
