import KindredCore

extension Louvain {
    /// Aggregation: one vertex per group; the weight between two groups is the sum of the weights
    /// between their members, and the weight inside a group (its members' self-loops plus the edges
    /// between members) becomes the new vertex's self-loop. Degrees and 2m are preserved.
    ///
    /// Parallel over chunks of groups in one pass: each chunk emits its groups' lists into a buffer of its
    /// own, then the buffers are copied into the coarse CSR after a prefix sum; each group's neighbours are summed in a per-worker dense array with a touched
    /// list (no hashing) and emitted in first-touched order. Every group is built by one worker in a fixed
    /// order, so the result does not depend on the thread count.
    ///
    /// - Parameters:
    ///   - label: the group of each vertex, in `0..<count`, every value used.
    /// - Complexity: O(n + E) work; O(count) scratch per worker.
    static func aggregate(_ graph: LevelGraph, label: [UInt32], count: Int, runner: ParallelRunner) -> LevelGraph {
        let groups = Groups(label: label, count: count)
        var loops = [Double](repeating: 0, count: count)
        var degrees = [Double](repeating: 0, count: count)
        var sizes = [Int](repeating: 0, count: count + 1)
        let scratch = WorkerScratch(workers: runner.workers, size: count)
        let groupsPerChunk = max(1, min(4096, count / (8 * runner.workers) + 1))
        let chunks = (count + groupsPerChunk - 1) / groupsPerChunk
        let skipSelf = graph.hasSelfEntries
        // One pass: each chunk of groups emits its neighbour lists into a buffer of its own.
        let pieces = ChunkBuffers(count: chunks)
        withBuffers(graph.offsets, graph.targets, graph.weights) { off, tgt, wgt in
            withBuffers(graph.selfLoops, graph.degrees, label) { selfLoop, deg, lab in
                withBuffers(groups.offsets, groups.members) { gOff, gMem in
                    withMutableBuffers(&loops, &degrees, &sizes) { outLoop, outDeg, outSize in
                        let context = AggregationContext(
                            offsets: SharedBuffer(off), targets: SharedBuffer(tgt), weights: SharedBuffer(wgt),
                            selfLoops: SharedBuffer(selfLoop), degrees: SharedBuffer(deg), label: SharedBuffer(lab),
                            groupOffsets: SharedBuffer(gOff), groupMembers: SharedBuffer(gMem), skipSelf: skipSelf)
                        let loopOut = SharedMutableBuffer(outLoop)
                        let degOut = SharedMutableBuffer(outDeg)
                        let sizeOut = SharedMutableBuffer(outSize)
                        runner.forEach(items: chunks) { chunk, worker in
                            let range = (chunk * groupsPerChunk)..<min(count, (chunk + 1) * groupsPerChunk)
                            pieces.store(
                                chunk,
                                context.emit(groups: range, loops: loopOut, degrees: degOut, sizes: sizeOut,
                                             weightTo: scratch.weightTo[worker], touched: scratch.touched[worker]))
                        }
                    }
                }
            }
        }
        // Exclusive prefix sum: sizes becomes the offsets of the coarse graph.
        var running = 0
        for g in 0..<count {
            let s = sizes[g]
            sizes[g] = running
            running += s
        }
        sizes[count] = running
        var targets = [UInt32](repeating: 0, count: running)
        var weights = [Float](repeating: 0, count: running)
        withMutableBuffers(&targets, &weights) { outTgt, outWgt in
            let targetOut = SharedMutableBuffer(outTgt)
            let weightOut = SharedMutableBuffer(outWgt)
            let firstOffsets = (0..<chunks).map { sizes[$0 * groupsPerChunk] }
            runner.forEach(items: chunks) { chunk, _ in
                let piece = pieces.piece(chunk)
                var position = firstOffsets[chunk]
                for i in 0..<piece.targets.count {
                    targetOut[position] = piece.targets[i]
                    weightOut[position] = piece.weights[i]
                    position += 1
                }
            }
        }
        withExtendedLifetime(scratch) {}
        return LevelGraph(offsets: sizes, targets: targets, weights: weights, selfLoops: loops, degrees: degrees)
    }
}

/// The neighbour lists one chunk of groups produced during aggregation.
struct AggregatedPiece: Sendable {
    var targets: [UInt32] = []
    var weights: [Float] = []
}

/// Per-chunk results of a parallel loop, one slot per chunk, each written by exactly one worker.
final class ChunkBuffers: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<AggregatedPiece>
    private let count: Int

    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: max(count, 1))
        slots.initialize(repeating: AggregatedPiece(), count: count)
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }

    func store(_ chunk: Int, _ piece: AggregatedPiece) { slots[chunk] = piece }
    func piece(_ chunk: Int) -> AggregatedPiece { slots[chunk] }
}

/// Read-only buffers of one aggregation, shared by its workers.
struct AggregationContext: Sendable {
    let offsets: SharedBuffer<Int>
    let targets: SharedBuffer<UInt32>
    let weights: SharedBuffer<Float>
    let selfLoops: SharedBuffer<Double>
    let degrees: SharedBuffer<Double>
    let label: SharedBuffer<UInt32>
    let groupOffsets: SharedBuffer<Int>
    let groupMembers: SharedBuffer<UInt32>
    let skipSelf: Bool

    /// Sums the weight from group `g` to each other group into `weightTo`; returns the inside weight
    /// (each internal edge seen from both ends) and the number of touched groups.
    @inline(__always)
    func gather(_ g: Int, weightTo: SharedMutableBuffer<Double>, touched: SharedMutableBuffer<UInt32>) -> (inside: Double, touched: Int) {
        var inside = 0.0
        var touchedCount = 0
        for i in groupOffsets[g]..<groupOffsets[g + 1] {
            let u = Int(groupMembers[i])
            let key = UInt32(truncatingIfNeeded: u)
            for e in offsets[u]..<offsets[u + 1] {
                let t = targets[e]
                if skipSelf && t == key { continue }
                let d = Int(label[Int(t)])
                let w = Double(weights[e])
                if d == g {
                    inside += w
                    continue
                }
                if weightTo[d] < 0 {
                    weightTo[d] = 0
                    touched[touchedCount] = UInt32(truncatingIfNeeded: d)
                    touchedCount += 1
                }
                weightTo[d] += w
            }
        }
        return (inside, touchedCount)
    }

    /// Degrees, self-loops and neighbour lists of `groups`; the lists are returned in one piece.
    func emit(
        groups: Range<Int>, loops: SharedMutableBuffer<Double>, degrees outDegrees: SharedMutableBuffer<Double>,
        sizes: SharedMutableBuffer<Int>, weightTo: SharedMutableBuffer<Double>, touched: SharedMutableBuffer<UInt32>
    ) -> AggregatedPiece {
        var piece = AggregatedPiece()
        var reserve = 0
        for g in groups {
            for i in groupOffsets[g]..<groupOffsets[g + 1] {
                let u = Int(groupMembers[i])
                reserve += offsets[u + 1] - offsets[u]
            }
        }
        reserve = min(reserve, groups.count * 64 + 1024)
        piece.targets.reserveCapacity(reserve)
        piece.weights.reserveCapacity(reserve)
        for g in groups {
            var loop = 0.0
            var degree = 0.0
            for i in groupOffsets[g]..<groupOffsets[g + 1] {
                let u = Int(groupMembers[i])
                loop += selfLoops[u]
                degree += degrees[u]
            }
            let (inside, touchedCount) = gather(g, weightTo: weightTo, touched: touched)
            for t in 0..<touchedCount {
                let d = Int(touched[t])
                piece.targets.append(touched[t])
                piece.weights.append(Float(weightTo[d]))
                weightTo[d] = -1
            }
            loops[g] = loop + inside / 2
            outDegrees[g] = degree
            sizes[g] = touchedCount
        }
        return piece
    }
}
