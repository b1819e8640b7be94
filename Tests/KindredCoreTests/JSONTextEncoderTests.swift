import Foundation
@testable import KindredCore
import PropertyBased
import Testing

/// A value with every shape the manifests use: scalars, an optional, a nested object, arrays, a sorted map.
private struct Sample: Codable, Equatable {
    struct Inner: Codable, Equatable {
        var name: String
        var weight: Double
        var flags: [Bool]
    }
    var zeta: Int
    var alpha: String
    var ratio: Double
    var count: UInt64
    var small: Float
    var note: String?
    var inner: Inner
    var list: [Inner]
    var matrix: [[Int]]
    var checksums: SortedStringMap
}

/// Characters that need escaping or are outside ASCII, mixed with plain ones.
private let characters: [Character] = Array("aZ9 \"\\/;,é中😀\n\t\r{}[]:") + ["\u{1}", "\u{1F}", "\u{7F}", "e\u{301}", "\u{2028}", "ß"]

private func randomText(_ rng: inout SeededGenerator) -> String {
    String((0..<Int(rng.next() % 10)).map { _ in characters[Int(rng.next() % UInt64(characters.count))] })
}

/// Numbers that survive 6-decimal rounding exactly (multiples of 1/64), whole or not, either sign.
private func randomNumber(_ rng: inout SeededGenerator) -> Double {
    Double(Int64(rng.next() % 2_000_001) - 1_000_000) / 64
}

private func randomInner(_ rng: inout SeededGenerator) -> Sample.Inner {
    Sample.Inner(name: randomText(&rng), weight: randomNumber(&rng), flags: (0..<Int(rng.next() % 4)).map { _ in rng.next() % 2 == 0 })
}

private func randomSample(seed: UInt64) -> Sample {
    var rng = SeededGenerator(seed: seed)
    var map: [String: String] = [:]
    for _ in 0..<Int(rng.next() % 5) { map[randomText(&rng)] = randomText(&rng) }
    return Sample(
        zeta: Int(Int64(bitPattern: rng.next()) >> 12), alpha: randomText(&rng), ratio: randomNumber(&rng), count: rng.next() >> 20,
        small: Float(Int(rng.next() % 1000)) / 8, note: rng.next() % 2 == 0 ? nil : randomText(&rng), inner: randomInner(&rng),
        list: (0..<Int(rng.next() % 4)).map { _ in randomInner(&rng) },
        matrix: (0..<Int(rng.next() % 3)).map { _ in (0..<Int(rng.next() % 3)).map { _ in Int(rng.next() % 100) - 50 } },
        checksums: SortedStringMap(map))
}

@Suite("JSONTextEncoder: stable JSON text through Codable")
struct JSONTextEncoderTests {
    @Test("keys come in encoding order (declaration order), not sorted; one line, no spaces")
    func keyOrder() throws {
        struct Ordered: Encodable { var b = 1, a = 2, c = 3 }
        #expect(try JSONTextEncoder.encode(Ordered()) == #"{"b":1,"a":2,"c":3}"#)
    }

    @Test("numbers are written as JSONText writes them: whole numbers without a fraction, others to 6 decimals",
          arguments: [0.0, 1, -3, 2.5, 0.1, 1.0 / 3, -2.0 / 3, 1e-7, 123456.0000004, 1e15, 1e20, Double.nan, .infinity])
    func numbers(value: Double) throws {
        struct Number: Encodable { var x: Double }
        #expect(try JSONTextEncoder.encode(Number(x: value)) == "{\"x\":\(JSONText.number(value))}")
    }

    @Test("examples of the number rule")
    func numberExamples() throws {
        #expect(try JSONTextEncoder.encode([1.0, 2.5, 1.0 / 3, 0.1, -7]) == "[1,2.5,0.333333,0.1,-7]")
        #expect(try JSONTextEncoder.encode([Float(0.25), Float(3)]) == "[0.25,3]")
        #expect(try JSONTextEncoder.encode([UInt64.max]) == "[18446744073709551615]")
        #expect(try JSONTextEncoder.encode([Int64.min]) == "[-9223372036854775808]")
    }

    @Test("nil optionals are left out; an explicit nil in an array is null")
    func optionals() throws {
        struct WithOptional: Encodable { var a = 1; var b: String? = nil; var c: Int? = 3 }
        #expect(try JSONTextEncoder.encode(WithOptional()) == #"{"a":1,"c":3}"#)
        #expect(try JSONTextEncoder.encode([1, nil, 2] as [Int?]) == "[1,null,2]")
    }

    @Test("strings are escaped by JSONText.quote")
    func strings() throws {
        let text = "a\"b\\c\nd\te\r\u{1}é😀"
        #expect(try JSONTextEncoder.encode(["k": text]) == "{\"k\":\(JSONText.quote(text))}")
        #expect(try JSONTextEncoder.encode([text]) == "[" + JSONText.quote(text) + "]")
    }

    @Test("nested objects and arrays, empty ones included")
    func nesting() throws {
        struct Leaf: Encodable { var id = 7; var tags = ["x", "y"] }
        struct Tree: Encodable { var leaf = Leaf(); var leaves = [Leaf(), Leaf(id: 8, tags: [])]; var empty: [Int] = []; var grid = [[1, 2], [], [3]] }
        #expect(
            try JSONTextEncoder.encode(Tree())
                == #"{"leaf":{"id":7,"tags":["x","y"]},"leaves":[{"id":7,"tags":["x","y"]},{"id":8,"tags":[]}],"empty":[],"grid":[[1,2],[],[3]]}"#)
    }

    @Test("SortedStringMap encodes its keys sorted, whatever the dictionary's order, and decodes back")
    func sortedMap() throws {
        var values: [String: String] = [:]
        for name in ["model.npy", "b.json", "a.json", "Z.csv", "é.txt", "10", "9"] { values[name] = "sha-" + name }
        let text = try JSONTextEncoder.encode(SortedStringMap(values))
        let keys = values.keys.sorted()
        #expect(text == "{" + keys.map { JSONText.quote($0) + ":" + JSONText.quote("sha-" + $0) }.joined(separator: ",") + "}")
        #expect(try JSONDecoder().decode(SortedStringMap.self, from: Data(text.utf8)) == SortedStringMap(values))
        #expect(try JSONTextEncoder.encode(SortedStringMap()) == "{}")
    }

    @Test("a fixed value: exact text, and JSONDecoder reads it back equal")
    func fixedRoundTrip() throws {
        let sample = Sample(
            zeta: -4, alpha: "q\"", ratio: 0.5, count: 12, small: 1.25, note: nil,
            inner: Sample.Inner(name: "in", weight: 3, flags: [true, false]), list: [], matrix: [[1], []],
            checksums: SortedStringMap(["b": "2", "a": "1"]))
        let text = try JSONTextEncoder.encode(sample)
        #expect(
            text == #"{"zeta":-4,"alpha":"q\"","ratio":0.5,"count":12,"small":1.25,"inner":{"name":"in","weight":3,"flags":[true,false]},"list":[],"matrix":[[1],[]],"checksums":{"a":"1","b":"2"}}"#)
        #expect(try JSONDecoder().decode(Sample.self, from: Data(text.utf8)) == sample)
    }

    @Test("random values: JSONDecoder reads back what was encoded, and encoding is deterministic (property)")
    func randomRoundTrip() async {
        await propertyCheck(count: 200, input: Gen.uint64()) { seed in
            let sample = randomSample(seed: seed)
            let text = try! JSONTextEncoder.encode(sample)
            #expect(!text.contains("\n"), "one line")
            #expect(try! JSONTextEncoder.encode(sample) == text)
            let decoded = try? JSONDecoder().decode(Sample.self, from: Data(text.utf8))
            #expect(decoded == sample, "\(text)")
            // Foundation's parser agrees it is one JSON object, with the keys in declaration order.
            let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            #expect(object != nil)
            let expectedKeys = ["\"zeta\":", "\"alpha\":", "\"ratio\":", "\"count\":", "\"small\":"]
            let positions = expectedKeys.compactMap { text.range(of: $0)?.lowerBound }
            #expect(positions.count == expectedKeys.count && positions == positions.sorted())
        }
    }
}

@Suite("JSONText.quote")
struct JSONQuoteTests {
    @Test("plain, non-ASCII and escaped values quote as the scalar-by-scalar path does", arguments: [
        "", "Registered Nurse", "Gérant — café ☕️ 👩🏽‍⚕️", "say \"hi\"", "back\\slash", "tab\there", "line\nbreak", "bell\u{07}", "\u{1F}x", "é\"",
    ])
    func quote(_ value: String) {
        #expect(JSONText.quote(value) == JSONText.quoteScalarByScalar(value))
    }

    @Test("the byte writer quotes as JSONText does", arguments: [
        "", "Registered Nurse", "Gérant — café ☕️ 👩🏽‍⚕️", "say \"hi\"", "back\\slash", "tab\there", "line\nbreak", "bell\u{07}", "\u{1F}x", "é\"",
        "\r\u{0}\u{0B}\u{7F}\u{2028}",
    ])
    func quoteBytes(_ value: String) {
        var bytes: [UInt8] = [0x41]
        JSONBytes.appendQuoted(value, to: &bytes)
        #expect(bytes == [0x41] + Array(JSONText.quote(value).utf8))
    }

    @Test("the byte writer places commas as JSONText joins members and items")
    func writerCommas() {
        var json = JSONBytes()
        json.openObject()
        json.key("a"); json.strings(["x", "y\""])
        json.key("b"); json.openArray(); json.openObject(); json.closeObject(); json.openObject(); json.key("c"); json.raw("null"); json.closeObject(); json.closeArray()
        json.key("d"); json.raw("true")
        json.closeObject()
        json.newline()
        json.openArray(); json.closeArray()
        var reference = JSONText()
        reference.add("a", raw: JSONText.array(["x", "y\""]))
        reference.add("b", raw: "[{},{\"c\":null}]")
        reference.add("d", true)
        #expect(json.bytes == Array((reference.text + "\n[]").utf8))
    }

    @Test("escapes as JSON wants them")
    func escapes() {
        #expect(JSONText.quote("Gérant ☕️") == "\"Gérant ☕️\"")
        #expect(JSONText.quote("say \"hi\"\\") == #""say \"hi\"\\""#)
        #expect(JSONText.quote("a\tb\u{07}") == #""a\tb\u0007""#)
    }
}
