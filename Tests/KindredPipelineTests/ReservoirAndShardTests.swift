import KindredCore
import Testing
@testable import KindredPipeline

@Suite struct ReservoirTests {
    @Test func keepsEverythingWhenTheStreamIsShort() {
        var r = Reservoir<Int>(capacity: 10, seed: 1)
        for i in 0..<7 { r.offer(i) }
        #expect(r.itemsInOfferOrder == Array(0..<7))
        #expect(r.seen == 7)
    }

    @Test func isSeededAndInOfferOrder() {
        func draw(_ seed: UInt64) -> [Int] {
            var r = Reservoir<Int>(capacity: 50, seed: seed)
            for i in 0..<10_000 { r.offer(i) }
            return r.itemsInOfferOrder
        }
        let a = draw(3)
        #expect(a == draw(3))
        #expect(a != draw(4))
        #expect(a.count == 50 && a == a.sorted() && Set(a).count == 50)
    }

    @Test func everyItemIsAboutEquallyLikely() {
        // 2,000 draws of 10 from 100: each item expected 200 times; a fair sampler stays well within ±60
        // of that (≈ 4.5 standard deviations), and the first and last items are as likely as the rest.
        var counts = [Int](repeating: 0, count: 100)
        for seed in 0..<2000 {
            var r = Reservoir<Int>(capacity: 10, seed: UInt64(seed))
            for i in 0..<100 { r.offer(i) }
            for i in r.itemsInOfferOrder { counts[i] += 1 }
        }
        #expect(counts.allSatisfy { abs($0 - 200) < 60 }, "\(counts)")
        let firstHalf = counts[0..<50].reduce(0, +)
        #expect(abs(firstHalf - 10_000) < 500)
    }
}

@Suite struct ShardTests {
    @Test func parsesAndChecksTheRange() throws {
        #expect(try Shard.parse("3/8") == Shard(index: 3, count: 8))
        #expect(throws: KindredError.self) { try Shard.parse("8/8") }
        #expect(throws: KindredError.self) { try Shard.parse("-1/8") }
        #expect(throws: KindredError.self) { try Shard.parse("3") }
        #expect(throws: KindredError.self) { try Shard.parse("1/0") }
        #expect(try Shard.parse("0/8").partName == "part-00000-of-00008")
    }

    @Test func readsTheArrayJobIndex() throws {
        #expect(try Shard.fromEnvironment(count: 4, ["JOB_COMPLETION_INDEX": "2"]).index == 2)
        #expect(try Shard.fromEnvironment(count: 4, ["AWS_BATCH_JOB_ARRAY_INDEX": "3"]).index == 3)
        #expect(try Shard.fromEnvironment(count: 4, ["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "4"]).index == 1)
        #expect(throws: KindredError.self) { try Shard.fromEnvironment(count: 4, [:]) }
        #expect(throws: KindredError.self) { try Shard.fromEnvironment(count: 4, ["JOB_COMPLETION_INDEX": "4"]) }
    }

    @Test func theShardsOfALinePartitionTheInput() throws {
        let shards = try (0..<5).map { try Shard(index: $0, count: 5) }
        var sizes = [Int](repeating: 0, count: 5)
        for i in 0..<10_000 {
            let line = Array("{\"id\":\"p\(i)\"}".utf8)[...]
            let owners = shards.filter { $0.owns(line) }
            #expect(owners.count == 1)
            sizes[owners[0].index] += 1
        }
        #expect(sizes.allSatisfy { abs($0 - 2000) < 200 }, "\(sizes)")
    }
}
