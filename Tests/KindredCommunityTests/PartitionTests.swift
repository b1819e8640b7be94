import KindredCommunity
import Testing

@Suite("Partition")
struct PartitionTests {
    @Test("renumbering by decreasing size, ties by smallest member")
    func renumbering() {
        // Sizes: label 3 → 3 members, 7 → 2 (first at 0), 9 → 1. Ties: 5 and 1 both size 1.
        let (membership, count) = Partition.renumberedBySize([7, 3, 3, 9, 7, 3, 5, 1])
        #expect(membership == [1, 0, 0, 2, 1, 0, 3, 4])
        #expect(count == 5)
    }

    @Test("ties between equal sizes go to the community with the smaller first member")
    func ties() {
        #expect(Partition.renumberedBySize([2, 1, 2, 1, 0]).membership == [0, 1, 0, 1, 2])
        #expect(Partition.renumberedBySize([]).membership == [])
        #expect(Partition.renumberedBySize([]).count == 0)
    }

    @Test("sparse, huge labels are handled")
    func sparseLabels() {
        let (membership, count) = Partition.renumberedBySize([4_000_000_000, 12, 4_000_000_000, 99, 12, 12])
        #expect(membership == [1, 0, 1, 2, 0, 0])
        #expect(count == 3)
    }

    @Test("sizes are indexed by label")
    func sizes() {
        #expect(Partition.sizes([0, 2, 2, 0, 2]) == [2, 0, 3])
        #expect(Partition.sizes([]) == [])
    }
}
