import Foundation
import KindredCore
import PropertyBased
import Testing

@testable import KindredPipeline

/// A random key or value: letters of both cases, digit runs (leading zeros too), spaces and the
/// characters JSON escapes, sometimes accented letters, and now and then a control character.
private func randomText(using rng: inout SeededGenerator) -> String {
    let pieces = ["a", "B", "z", "Q", "0", "007", "7", "12", "9", "10", "123456789012345678901234", " ", "-", "_", ":", "/", "\"", "\\", "é", "É", "ß", "日", "skill:", "tw:"]
    var text = ""
    for _ in 0..<Int.random(in: 0...6, using: &rng) { text += pieces[Int.random(in: 0..<pieces.count, using: &rng)] }
    if Int.random(in: 0..<40, using: &rng) == 0 { text += "\n" }
    return text
}

@Suite struct SortedKeysJSONTests {
    @Test("the bytes JSONSerialization writes with sorted keys, on random dictionaries")
    func matchesJSONSerialization() async throws {
        await propertyCheck(count: 200, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var rng = SeededGenerator(seed: seed)
            var object: [String: String] = [:]
            for _ in 0..<Int.random(in: 0...60, using: &rng) { object[randomText(using: &rng)] = randomText(using: &rng) }
            let expected = Array(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
            #expect(try! SortedKeysJSON.data(object) == expected)
        }
    }

    @Test("keys in Foundation's order whatever order they come in, numbers by value")
    func foundationOrder() {
        let keys = ["item10", "Item2", "item1", "ITEM01", "b", "A", "a", "item 3", "item100"]
        let order = SortedKeysJSON.foundationOrder(keys)
        #expect(order == keys.sorted(by: SortedKeysJSON.precedes))
        #expect(order == SortedKeysJSON.foundationOrder(keys.reversed()))
        #expect(order.firstIndex(of: "Item2")! < order.firstIndex(of: "item10")!)
        #expect(order.firstIndex(of: "item10")! < order.firstIndex(of: "item100")!)
    }
}
