import KindredCore

/// A seeded uniform sample of `capacity` items from a stream of unknown length, in one pass and
/// O(capacity) memory (Vitter's Algorithm R: item t, 0-based, replaces a random slot with chance
/// capacity / (t + 1)). The same stream and seed give the same sample.
public struct Reservoir<Item> {
    public let capacity: Int
    /// Items offered so far.
    public private(set) var seen = 0
    private var items: [(order: Int, item: Item)] = []
    private var generator: SeededGenerator

    public init(capacity: Int, seed: UInt64) {
        self.capacity = max(0, capacity)
        generator = SeededGenerator(seed: seed, stream: 0x5245_5345_5256)
    }

    /// Offers the next item of the stream.
    public mutating func offer(_ item: Item) {
        defer { seen += 1 }
        guard capacity > 0 else { return }
        if items.count < capacity {
            items.append((seen, item))
            return
        }
        let j = Int(generator.next() % UInt64(seen + 1))
        if j < capacity { items[j] = (seen, item) }
    }

    /// The sample, in the order the items were offered.
    public var itemsInOfferOrder: [Item] { items.sorted { $0.order < $1.order }.map(\.item) }
}
