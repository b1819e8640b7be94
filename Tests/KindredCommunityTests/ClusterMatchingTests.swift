import KindredCommunity
import PropertyBased
import Testing

/// Stable cluster ids across runs: one-to-one Jaccard matching, fresh ids, and the diff's splits and merges.
@Suite("Cluster matching")
struct ClusterMatchingTests {
    func overlap(_ previous: [Int32], _ current: [Int32]) -> ClusterMatching.Overlap {
        var o = ClusterMatching.Overlap()
        for (p, c) in zip(previous, current) { o.add(previous: p, current: c) }
        return o
    }

    @Test("relabelled partitions get their previous ids back (any permutation)")
    func relabelled() async {
        await propertyCheck(count: 60, input: Gen.uint64(), Gen.int(in: 1...12)) { seed, clusters in
            var state = seed
            func next() -> UInt64 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return state >> 33
            }
            let previous = (0..<300).map { _ in Int32(next() % UInt64(clusters)) * 3 + 7 }  // arbitrary previous ids
            let used = Array(Set(previous)).sorted()
            var permutation = Array(0..<used.count).map { Int32($0) }
            for i in stride(from: permutation.count - 1, to: 0, by: -1) { permutation.swapAt(i, Int(next() % UInt64(i + 1))) }
            let label = Dictionary(uniqueKeysWithValues: used.enumerated().map { ($0.element, permutation[$0.offset]) })
            let current = previous.map { label[$0]! }
            let matches = ClusterMatching.match(overlap(previous, current), minimumJaccard: 0.5)
            #expect(matches.count == used.count)
            #expect(matches.allSatisfy { $0.jaccard == 1 })
            let (ids, next) = ClusterMatching.stableIDs(count: used.count, matches: matches, nextID: 100)
            #expect(zip(previous, current).allSatisfy { ids[Int($0.1)] == $0.0 })
            #expect(next == 100)
        }
    }

    @Test("matching is one to one, above the threshold, and fresh ids are never reused")
    func oneToOne() async {
        await propertyCheck(count: 80, input: Gen.uint64(), Gen.double(in: 0.05...0.9)) { seed, threshold in
            var state = seed | 1
            func next() -> UInt64 {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                return state
            }
            let previous = (0..<200).map { _ in Int32(next() % 6) }
            let current = previous.map { p in next() % 4 == 0 ? Int32(next() % 8) : p }
            let o = overlap(previous, current)
            let matches = ClusterMatching.match(o, minimumJaccard: threshold)
            #expect(Set(matches.map(\.previous)).count == matches.count)
            #expect(Set(matches.map(\.current)).count == matches.count)
            #expect(matches.allSatisfy { $0.jaccard >= threshold && $0.shared > 0 })
            let count = Int((current.max() ?? 0) + 1)
            let (ids, next) = ClusterMatching.stableIDs(count: count, matches: matches, nextID: 10)
            #expect(Set(ids).count == count)
            let fresh = ids.enumerated().filter { c in !matches.contains { $0.current == Int32(c.offset) } }.map(\.element)
            #expect(fresh.allSatisfy { $0 >= 10 && $0 < next })
        }
    }

    @Test("a 60/40 split keeps the id on the larger part and is reported as a split; gone ids are not reused")
    func split() {
        let previous: [Int32] = Array(repeating: 0, count: 100) + Array(repeating: 1, count: 50)
        let current: [Int32] = Array(repeating: 0, count: 60) + Array(repeating: 1, count: 40) + Array(repeating: 2, count: 50)
        let matches = ClusterMatching.match(overlap(previous, current), minimumJaccard: 0.5)
        let (ids, next) = ClusterMatching.stableIDs(count: 3, matches: matches, nextID: 5)
        #expect(ids == [0, 5, 1])
        #expect(next == 6)
        let changes = ClusterChanges.compute(
            previous: previous.map { Optional($0) }, current: current.map { Optional(ids[Int($0)]) }, previousIDs: [0, 1, 4], currentIDs: Set(ids))
        #expect(changes.born == [5])
        #expect(changes.gone == [4])
        #expect(changes.kept == [0, 1])
        #expect(changes.split.map(\.cluster) == [0])
        #expect(changes.split.first?.parts.map(\.cluster) == [0, 5])
        #expect(changes.split.first?.parts.map(\.people) == [60, 40])
        #expect(changes.merged.isEmpty)
        #expect(changes.moved == 40)
    }

    @Test("two clusters merged: one keeps its id, the other is gone, and the merge names both")
    func merge() {
        let previous: [Int32] = Array(repeating: 3, count: 70) + Array(repeating: 8, count: 30)
        let current: [Int32] = Array(repeating: 0, count: 100)
        let matches = ClusterMatching.match(overlap(previous, current), minimumJaccard: 0.5)
        #expect(matches.map(\.previous) == [3])
        let (ids, _) = ClusterMatching.stableIDs(count: 1, matches: matches, nextID: 9)
        #expect(ids == [3])
        let changes = ClusterChanges.compute(
            previous: previous.map { Optional($0) }, current: current.map { _ in Optional(Int32(3)) }, previousIDs: [3, 8], currentIDs: [3])
        #expect(changes.gone == [8])
        #expect(changes.merged.first?.cluster == 3)
        #expect(changes.merged.first?.parts.map(\.cluster) == [3, 8])
        #expect(changes.moved == 30)
        #expect(changes.ari < 1)
    }

    @Test("a small cluster absorbed by a large one is a merge")
    func absorbed() {
        let previous: [Int32] = Array(repeating: 1, count: 500) + Array(repeating: 2, count: 20)
        let current: [Int32] = Array(repeating: 1, count: 519) + [7]
        let changes = ClusterChanges.compute(
            previous: previous.map { Optional($0) }, current: current.map { Optional($0) }, previousIDs: [1, 2], currentIDs: [1, 7])
        #expect(changes.gone == [2])
        #expect(changes.merged.map(\.cluster) == [1])
        #expect(changes.merged.first?.parts.map(\.people) == [500, 19])
        #expect(changes.split.isEmpty)
    }

    @Test("unassigned people who become assigned count as moved")
    func unassigned() {
        let changes = ClusterChanges.compute(previous: [nil, 1, 1], current: [1, 1, nil], previousIDs: [1], currentIDs: [1])
        #expect(changes.moved == 2)
        #expect(changes.inBoth == 3)
    }
}
