import KindredCore
import KindredGraph

/// Connectivity of communities: how many are internally disconnected, and splitting them.
public enum CommunityConnectivity {
    /// The connected pieces of every community: a label per vertex such that two vertices share a piece
    /// when a path inside their community joins them. Pieces are named by their smallest vertex.
    ///
    /// Communities are independent, so each is searched (breadth first, from its members in ascending
    /// order) by one worker; the result does not depend on the thread count.
    /// - Parameters:
    ///   - threads: workers (default: all cores).
    /// - Complexity: O(n + E + largest label) work.
    public static func pieces(_ graph: Graph, membership: [UInt32], threads: Int? = nil) -> [UInt32] {
        let n = graph.vertexCount
        precondition(membership.count == n, "membership has \(membership.count) labels for \(n) vertices")
        // Labels need not be contiguous: compact them (first-appearance order) when they are sparse.
        let maxLabel = Int(membership.max() ?? 0)
        let (label, labelCount) = maxLabel < 2 * n + 1 ? (membership, maxLabel + 1) : compacted(membership)
        return graph.offsets.withUnsafeBufferPointer { off in
            graph.targets.withUnsafeBufferPointer { tgt in
                pieces(offsets: off, targets: tgt, label: label, labelCount: labelCount, threads: threads)
            }
        }
    }

    /// `pieces` over a CSR adjacency (`offsets`, `targets`) and labels in `0..<labelCount`.
    static func pieces(
        offsets off: UnsafeBufferPointer<Int>, targets tgt: UnsafeBufferPointer<UInt32>, label: [UInt32], labelCount: Int, threads: Int?
    ) -> [UInt32] {
        let n = label.count
        let groups = Groups(label: label, count: labelCount)
        let unset = UInt32.max
        var piece = [UInt32](repeating: unset, count: n)
        let runner = ParallelRunner(threads: threads)
        // One breadth-first queue per worker (a community's search never holds more than n vertices).
        let queueBuffers = (0..<runner.workers).map { _ in SharedMutableBuffer(UnsafeMutableBufferPointer<UInt32>.allocate(capacity: max(n, 1))) }
        defer { for queue in queueBuffers { queue.base.deallocate() } }
        let perChunk = max(1, min(1024, labelCount / (8 * runner.workers) + 1))
        let chunks = (labelCount + perChunk - 1) / perChunk
        label.withUnsafeBufferPointer { lab in
            withBuffers(groups.offsets, groups.members) { gOff, gMem in
                piece.withUnsafeMutableBufferPointer { pieceBuffer in
                    let offsets = SharedBuffer(off)
                    let targets = SharedBuffer(tgt)
                    let labels = SharedBuffer(lab)
                    let groupOffsets = SharedBuffer(gOff)
                    let groupMembers = SharedBuffer(gMem)
                    let out = SharedMutableBuffer(pieceBuffer)
                    runner.forEach(items: chunks) { chunk, worker in
                        let queue = queueBuffers[worker]
                        for c in (chunk * perChunk)..<min(labelCount, (chunk + 1) * perChunk) {
                            let communityID = UInt32(truncatingIfNeeded: c)
                            for i in groupOffsets[c]..<groupOffsets[c + 1] {
                                let root = groupMembers[i]
                                if out[Int(root)] != unset { continue }
                                out[Int(root)] = root
                                queue[0] = root
                                var head = 0
                                var tail = 1
                                while head < tail {
                                    let v = Int(queue[head])
                                    head += 1
                                    for e in offsets[v]..<offsets[v + 1] {
                                        let u = Int(targets[e])
                                        guard labels[u] == communityID, out[u] == unset else { continue }
                                        out[u] = root
                                        queue[tail] = UInt32(truncatingIfNeeded: u)
                                        tail += 1
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return piece
    }

    /// Labels renumbered 0… in order of first appearance.
    static func compacted(_ labels: [UInt32]) -> ([UInt32], Int) {
        var names: [UInt32: UInt32] = [:]
        var out = [UInt32](repeating: 0, count: labels.count)
        for (v, label) in labels.enumerated() {
            if let name = names[label] {
                out[v] = name
            } else {
                let name = UInt32(truncatingIfNeeded: names.count)
                names[label] = name
                out[v] = name
            }
        }
        return (out, names.count)
    }

    /// The number of communities that are not connected inside (isolated singletons count as connected).
    public static func disconnectedCount(_ graph: Graph, membership: [UInt32], threads: Int? = nil) -> Int {
        disconnectedCount(membership: membership, pieces: pieces(graph, membership: membership, threads: threads))
    }

    /// The number of communities of `membership` made of more than one of the given `pieces`.
    static func disconnectedCount(membership: [UInt32], pieces piece: [UInt32]) -> Int {
        let labelCount = Int(membership.max() ?? 0) + 1
        var firstPiece = [UInt32: UInt32]()
        var disconnected = Set<UInt32>()
        if labelCount <= 2 * membership.count + 1 {
            var first = [UInt32](repeating: UInt32.max, count: labelCount)
            var flag = [Bool](repeating: false, count: labelCount)
            for v in membership.indices {
                let c = Int(membership[v])
                if first[c] == UInt32.max { first[c] = piece[v] } else if first[c] != piece[v] { flag[c] = true }
            }
            return flag.filter { $0 }.count
        }
        for v in membership.indices {
            let c = membership[v]
            if let p = firstPiece[c] {
                if p != piece[v] { disconnected.insert(c) }
            } else {
                firstPiece[c] = piece[v]
            }
        }
        return disconnected.count
    }
}
