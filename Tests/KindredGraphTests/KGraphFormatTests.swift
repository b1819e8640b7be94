import Foundation
import KindredCore
import KindredGraph
import KindredTestSupport
import PropertyBased
import Testing

@Suite("KGraphFormat")
struct KGraphFormatTests {
    /// A small graph with a self-loop, an isolated vertex, fractional weights and non-ASCII ids.
    static let sample = Graph(
        vertexCount: 5, sources: [0, 1, 2, 2], targets: [1, 2, 2, 0], weights: [1.5, 2, 0.25, 3],
        ids: ["ana", "bo", "zoë", "isolated", ""])

    @Test("Graph → .kgraph → Graph gives identical arrays and ids")
    func roundTrip() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let path = folder.file("g.kgraph")
        try KGraphFormat.write(Self.sample, to: path)
        let back = try KGraphFormat.read(path: path)
        #expect(back.offsets == Self.sample.offsets)
        #expect(back.targets == Self.sample.targets)
        #expect(back.weights == Self.sample.weights)
        #expect(back.ids == Self.sample.ids)
        #expect(back.totalWeight == Self.sample.totalWeight)
        // Header fields as documented.
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(Array(bytes[0..<8]) == Array("KGRAPH".utf8) + [0, 0])
        #expect(bytes[8] == 1 && bytes[9] == 0 && bytes[10] == 0 && bytes[11] == 0)
        #expect(bytes[16] == 5)
        #expect(bytes.count == 48 + 8 * 6 + 8 * Self.sample.targets.count + (4 * 5 + 3 + 2 + 4 + 8 + 0))
    }

    @Test("the empty graph round-trips")
    func emptyRoundTrip() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let empty = Graph(vertexCount: 0, sources: [], targets: [], weights: [])
        try KGraphFormat.write(empty, to: folder.file("e.kgraph"))
        #expect(try KGraphFormat.read(path: folder.file("e.kgraph")) == empty)
    }

    @Test("random graphs round-trip through .kgraph")
    func propertyRoundTrip() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        await propertyCheck(count: 60, input: Gen.uint64()) { seed in
            let g = randomGraph(seed: seed, maxVertices: 80)
            let path = folder.file("p.kgraph")
            try KGraphFormat.write(g, to: path)
            let back = try KGraphFormat.read(path: path)
            #expect(back == g)
            #expect(back.edgeCount == g.edgeCount)
        }
    }

    @Test("GraphLoader recognises .kgraph by its magic, whatever the name, and edge lists otherwise")
    func loader() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let disguised = folder.file("graph.txt")
        try KGraphFormat.write(Self.sample, to: disguised)
        #expect(try GraphLoader.load(path: disguised) == Self.sample)
        let text = try folder.write("a b 2\nb c\n", to: "graph.kgraph")
        let fromText = try GraphLoader.load(path: text)
        #expect(fromText.ids == ["a", "b", "c"])
        #expect(fromText.totalWeight == 3)
    }

    /// Writes the sample, applies `damage` to its bytes, and returns the error reading it gives.
    private func readDamaged(_ damage: (inout [UInt8]) -> Void) throws -> (KindredError?, String) {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let path = folder.file("d.kgraph")
        try KGraphFormat.write(Self.sample, to: path)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        damage(&bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: KindredError.self) { _ = try KGraphFormat.read(path: path) }
        return (error, path)
    }

    @Test("one flipped byte anywhere in the body is a checksum mismatch")
    func flippedByte() throws {
        let total = 48 + 8 * 6 + 8 * Self.sample.targets.count + 37
        for position in [48, 60, 48 + 8 * 6 + 2, total - 1] {
            let (error, path) = try readDamaged { $0[position] ^= 0x10 }
            #expect(error?.code == .badInput)
            #expect(error?.file == path)
            #expect(error?.message == "checksum mismatch: the file is damaged", "byte \(position)")
        }
    }

    @Test("a truncated file says how many bytes were expected and found")
    func truncated() throws {
        let full = 48 + 8 * 6 + 8 * Self.sample.targets.count + 37
        let (error, path) = try readDamaged { $0.removeLast(10) }
        #expect(error?.code == .badInput)
        #expect(error?.file == path)
        #expect(error?.message == "truncated: expected \(full) bytes, found \(full - 10)")
        let (short, _) = try readDamaged { $0.removeLast($0.count - 20) }
        #expect(short?.message.hasPrefix("truncated") == true)
    }

    @Test("bad magic, unsupported version and trailing data are reported")
    func header() throws {
        let (magic, _) = try readDamaged { $0[0] = UInt8(ascii: "X") }
        #expect(magic?.message == "not a .kgraph file (bad magic)")
        let (version, _) = try readDamaged { $0[8] = 7 }
        #expect(version?.message == "unsupported version 7")
        let (trailing, _) = try readDamaged { $0.append(0) }
        #expect(trailing?.message.hasPrefix("trailing data") == true)
        let (huge, _) = try readDamaged { $0[23] = 0x7F }  // n's top byte
        #expect(huge?.message.hasPrefix("truncated") == true)
    }

    @Test("a file with a valid checksum but invalid structure is refused")
    func invalidStructure() throws {
        // Rewrite a target to be out of range and fix the checksum, so only validation can catch it.
        let (error, _) = try readDamaged { bytes in
            let firstTarget = 48 + 8 * 6
            bytes[firstTarget] = 200
            var hash: UInt64 = 0xCBF2_9CE4_8422_2325
            for byte in bytes[48...] {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01B3
            }
            for i in 0..<8 { bytes[40 + i] = UInt8(truncatingIfNeeded: hash >> (8 * UInt64(i))) }
        }
        #expect(error?.code == .badInput)
        #expect(error?.message.contains("out of range") == true)
    }
}

@Suite("graph kind in the .kgraph header")
struct GraphKindTests {
    @Test("a people similarity graph keeps its kind through a round trip; other graphs and other files read as general")
    func kind() throws {
        let graph = KGraphFormatTests.sample
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kindred-kind-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let people = folder.appendingPathComponent("people.kgraph").path
        let plain = folder.appendingPathComponent("plain.kgraph").path
        try KGraphFormat.write(graph, to: people, kind: .peopleSimilarity)
        try KGraphFormat.write(graph, to: plain)
        #expect(KGraphFormat.kind(ofFileAt: people) == .peopleSimilarity)
        #expect(KGraphFormat.kind(ofFileAt: plain) == .general)
        #expect(KGraphFormat.kind(ofFileAt: folder.appendingPathComponent("missing").path) == .general)
        let back = try KGraphFormat.read(path: people)
        #expect(back.targets == graph.targets && back.weights == graph.weights && back.ids == graph.ids)
        // Unknown flag bits are refused.
        var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: plain)))
        bytes[12] = 2
        let odd = folder.appendingPathComponent("odd.kgraph").path
        try Data(bytes).write(to: URL(fileURLWithPath: odd))
        #expect(throws: KindredError.self) { try KGraphFormat.read(path: odd) }
    }
}
