import KindredClean
import KindredCore
import Testing
@testable import KindredPipeline

@Suite("SeenIDs: the duplicate-id check of projection")
struct SeenIDsTests {
    @Test("first lines agree with a dictionary of ids, for pseudonyms, other ids and repeats, across growth", arguments: [UInt64(1), 2])
    func sameAsDictionary(seed: UInt64) {
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
        var seen = SeenIDs()
        var reference: [String: Int] = [:]
        for line in 1...9000 {
            let id = line <= 6000 && line % 3 != 0 ? pool[line - 1] : pool.randomElement(using: &rng)!
            let expected = reference[id]
            if expected == nil { reference[id] = line }
            #expect(seen.firstLine(of: id, line: line) == expected, "line \(line)")
        }
        #expect(seen.count == reference.count)
    }

    @Test("a pseudonym's bits are its 24 hex digits; anything else is not a pseudonym")
    func bits() {
        #expect(SeenIDs.bits(of: "k0123456789abcdef01234567")! == (0x0123_4567_89ab_cdef, 0x0123_4567))
        for other in ["k0123456789ABCDEF01234567", "k0123456789abcdef0123456", "x0123456789abcdef01234567", "", "k0123456789abcdef0123456g"] {
            #expect(SeenIDs.bits(of: other) == nil, "\(other)")
        }
    }
}
