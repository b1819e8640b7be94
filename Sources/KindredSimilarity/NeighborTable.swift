import KindredCore

/// The k nearest neighbours of every row: `neighbors[r*k + j]` and `similarities[r*k + j]` for
/// j = 0..<k, best first; unused slots hold `UInt32.max` and -infinity.
public struct NeighborTable: Sendable, Equatable {
    public var k: Int
    public var neighbors: [UInt32]
    public var similarities: [Float]

    public var rowCount: Int { k == 0 ? 0 : neighbors.count / k }
}
