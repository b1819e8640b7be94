import Foundation
import KindredCore
import KindredPeople
import PropertyBased
import Testing

@Suite struct JSONValueTests {
    @Test func parsesEveryKindOfValue() {
        let v = JSONValue.parse(#" {"a": [1, -2.5e3, true, false, null], "b": {"c": "d"}, "e": ""} "#)
        #expect(v?["a"] == .array([.number(1, "1"), .number(-2500, "-2.5e3"), .bool(true), .bool(false), .null]))
        #expect(v?["b"]?["c"] == .string("d"))
        #expect(v?["e"] == .string(""))
    }

    @Test func decodesEscapesAndSurrogatePairs() {
        let v = JSONValue.parse(#"["a\"b\\c\/d\n\t\u00e9\ud83d\ude00"]"#)
        #expect(v == .array([.string("a\"b\\c/d\n\té😀")]))
    }

    @Test(arguments: [
        "", "{", "{\"a\":}", "{\"a\" 1}", "[1,]", "[01]", "[1.]", "[-]", "\"abc", "{\"a\":1} x", "[\"\\ud800\"]", "[\"\\x\"]",
        "[\"tab\there\"]", "[tru]", "{'a':1}", String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
    ])
    func refusesMalformedDocuments(text: String) {
        #expect(JSONValue.parse(text) == nil)
    }

    @Test func aRepeatedKeyTakesTheLastValue() {
        #expect(JSONValue.parse(#"{"id":"a","id":"b"}"#)?["id"] == .string("b"))
    }

    @Test func agreesWithFoundationOnStrings() async {
        let chars: [Character] = Array("aZ9 \"\\/;,é中😀\n\t\r{}[]:") + ["\u{1}", "\u{1F}", "\u{7F}", "e\u{301}", "\u{2028}", "ß"]
        await propertyCheck(count: 200, input: Gen<Character?>.element(of: chars).map { $0! }.string(of: 0...12)) { text in
            let data = try! JSONSerialization.data(withJSONObject: [text], options: [.fragmentsAllowed])
            let encoded = String(decoding: data, as: UTF8.self)
            #expect(JSONValue.parse(encoded) == .array([.string(text)]))
        }
    }
}
