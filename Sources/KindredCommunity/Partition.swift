/// Operations on a partition given as one label per element.
public enum Partition {
    /// Renumbers labels 0, 1, … by decreasing community size; among communities of equal size, the
    /// one whose smallest member index is smaller comes first. This makes results comparable across
    /// runs and tools whatever labels the algorithm happened to use.
    ///
    /// ```swift
    /// Partition.renumberedBySize([7, 3, 3, 9, 7, 3])   // ([1, 0, 0, 2, 1, 0], 3)
    /// ```
    ///
    /// - Parameter membership: A label per element (any `UInt32` values).
    /// - Returns: The new label of each element and the number of communities.
    /// - Complexity: O(n log n) (O(n + C log C) when labels are below 2n).
    public static func renumberedBySize(_ membership: [UInt32]) -> (membership: [UInt32], count: Int) {
        // Labels numbered by first appearance, i.e. by smallest member.
        let (firstSeen, count) = labelsByFirstAppearance(membership)
        var sizes = [Int](repeating: 0, count: count)
        for label in firstSeen { sizes[Int(label)] += 1 }
        // Stable order: size descending, then first appearance.
        let order = (0..<count).sorted { sizes[$0] != sizes[$1] ? sizes[$0] > sizes[$1] : $0 < $1 }
        var rank = [UInt32](repeating: 0, count: count)
        for (position, label) in order.enumerated() { rank[label] = UInt32(truncatingIfNeeded: position) }
        let renumbered = firstSeen.map { rank[Int($0)] }
        return (renumbered, count)
    }

    /// The size of each community, indexed by label (`max label + 1` entries; unused labels have size 0).
    /// - Parameter membership: A label per element.
    /// - Returns: The sizes; empty for an empty membership.
    /// - Complexity: O(n + largest label).
    public static func sizes(_ membership: [UInt32]) -> [Int] {
        guard let largest = membership.max() else { return [] }
        var sizes = [Int](repeating: 0, count: Int(largest) + 1)
        for label in membership { sizes[Int(label)] += 1 }
        return sizes
    }

    /// Renumbers labels 0… in order of first appearance; works for any `UInt32` labels.
    /// - Complexity: O(n) when the labels are below 2n + 1024, O(n log n) otherwise.
    static func labelsByFirstAppearance(_ membership: [UInt32]) -> (labels: [UInt32], count: Int) {
        let n = membership.count
        guard let largest = membership.max() else { return ([], 0) }
        if Int(largest) < 2 * n + 1024 {
            var map = [UInt32](repeating: UInt32.max, count: Int(largest) + 1)
            var next: UInt32 = 0
            let labels = membership.map { label -> UInt32 in
                if map[Int(label)] == UInt32.max {
                    map[Int(label)] = next
                    next += 1
                }
                return map[Int(label)]
            }
            return (labels, Int(next))
        }
        // Sparse labels: sort (label, index) keys, then give each label its first index's rank.
        let keys = membership.enumerated().map { UInt64($0.element) << 32 | UInt64($0.offset) }.sorted()
        var firstIndexOfGroup: [Int] = []  // per distinct label (in label order): its first index
        var groupOf = [Int](repeating: 0, count: n)
        var previous = UInt64.max
        for key in keys {
            let label = key >> 32
            let index = Int(key & 0xFFFF_FFFF)
            if label != previous {
                firstIndexOfGroup.append(index)
                previous = label
            }
            groupOf[index] = firstIndexOfGroup.count - 1
        }
        let groupOrder = (0..<firstIndexOfGroup.count).sorted { firstIndexOfGroup[$0] < firstIndexOfGroup[$1] }
        var rank = [UInt32](repeating: 0, count: groupOrder.count)
        for (position, group) in groupOrder.enumerated() { rank[group] = UInt32(truncatingIfNeeded: position) }
        return (groupOf.map { rank[$0] }, groupOrder.count)
    }
}
