import KindredCore

extension Louvain {
    /// Aggregation: one vertex per group; the weight between two groups is the sum of the weights
    /// between their members, and the weight inside a group (its members' self-loops plus the edges
    /// between members) becomes the new vertex's self-loop. Degrees and 2m are preserved.
    ///
    /// Parallel over chunks of groups, in two passes (count, then fill) so the coarse graph is allocated
    /// once at its exact size (peak memory matters more than the second scan); each group's neighbours are summed in a per-worker dense array with a touched
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
        func withContext(_ body: (AggregationContext) -> Void) {
            withBuffers(graph.offsets, graph.targets, graph.weights) { off, tgt, wgt in
                withBuffers(graph.selfLoops, graph.degrees, label) { selfLoop, deg, lab in
                    withBuffers(groups.offsets, groups.members) { gOff, gMem in
                        body(
                            AggregationContext(
                                offsets: SharedBuffer(off), targets: SharedBuffer(tgt), weights: SharedBuffer(wgt),
                                selfLoops: SharedBuffer(selfLoop), degrees: SharedBuffer(deg), label: SharedBuffer(lab),
                                groupOffsets: SharedBuffer(gOff), groupMembers: SharedBuffer(gMem), skipSelf: skipSelf))
                    }
                }
            }
        }
        // Pass 1: degrees, self-loops and the number of distinct neighbour groups of each group.
        withContext { context in
            withMutableBuffers(&loops, &degrees, &sizes) { outLoop, outDeg, outSize in
                let loopOut = SharedMutableBuffer(outLoop)
                let degOut = SharedMutableBuffer(outDeg)
                let sizeOut = SharedMutableBuffer(outSize)
                runner.forEach(items: chunks) { chunk, worker in
                    let range = (chunk * groupsPerChunk)..<min(count, (chunk + 1) * groupsPerChunk)
                    context.count(groups: range, loops: loopOut, degrees: degOut, sizes: sizeOut,
                                  weightTo: scratch.weightTo[worker], touched: scratch.touched[worker], small: scratch.small[worker])
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
        // Pass 2: fill, at the exact size (no second copy of the coarse graph in memory).
        var targets = [UInt32](repeating: 0, count: running)
        var weights = [Float](repeating: 0, count: running)
        withContext { context in
            withMutableBuffers(&targets, &weights) { outTgt, outWgt in
                sizes.withUnsafeBufferPointer { outOff in
                    let offsetsIn = SharedBuffer(outOff)
                    let targetOut = SharedMutableBuffer(outTgt)
                    let weightOut = SharedMutableBuffer(outWgt)
                    runner.forEach(items: chunks) { chunk, worker in
                        let range = (chunk * groupsPerChunk)..<min(count, (chunk + 1) * groupsPerChunk)
                        context.fill(groups: range, offsets: offsetsIn, targets: targetOut, weights: weightOut,
                                     weightTo: scratch.weightTo[worker], touched: scratch.touched[worker], small: scratch.small[worker])
                    }
                }
            }
        }
        withExtendedLifetime(scratch) {}
        return LevelGraph(offsets: sizes, targets: targets, weights: weights, selfLoops: loops, degrees: degrees)
    }
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

    /// The adjacency entries of group `g`'s members (an upper bound on its distinct neighbour groups).
    @inline(__always)
    func entries(of g: Int) -> Int {
        var count = 0
        for i in groupOffsets[g]..<groupOffsets[g + 1] {
            let u = Int(groupMembers[i])
            count += offsets[u + 1] - offsets[u]
        }
        return count
    }

    /// Calls `body(group of the neighbour, weight)` for every adjacency entry of group `g`'s members
    /// (self entries of level-0 graphs skipped), in member then adjacency order.
    @inline(__always)
    func forEachEntry(ofGroup g: Int, _ body: (UInt32, Float) -> Void) {
        for i in groupOffsets[g]..<groupOffsets[g + 1] {
            let u = Int(groupMembers[i])
            let key = UInt32(truncatingIfNeeded: u)
            for e in offsets[u]..<offsets[u + 1] {
                let t = targets[e]
                if skipSelf && t == key { continue }
                body(label[Int(t)], weights[e])
            }
        }
    }

    /// Degrees, self-loops and the number of neighbour groups of each group in `groups`.
    func count(
        groups: Range<Int>, loops: SharedMutableBuffer<Double>, degrees outDegrees: SharedMutableBuffer<Double>,
        sizes: SharedMutableBuffer<Int>, weightTo: SharedMutableBuffer<Double>, touched: SharedMutableBuffer<UInt32>,
        small: SmallWeightTable
    ) {
        for g in groups {
            var loop = 0.0
            var degree = 0.0
            for i in groupOffsets[g]..<groupOffsets[g + 1] {
                let u = Int(groupMembers[i])
                loop += selfLoops[u]
                degree += degrees[u]
            }
            var inside = 0.0
            var touchedCount = 0
            let stamp = UInt32(truncatingIfNeeded: g)
            if entries(of: g) <= SmallWeightTable.maxEntries {
                forEachEntry(ofGroup: g) { d, w in
                    if d == stamp { inside += Double(w) } else { small.add(d, 0, used: &touchedCount) }
                }
                small.clear(used: touchedCount)
            } else {
                // Only the number of distinct neighbour groups is needed here: stamp them (touched[d] == g)
                // instead of summing weights, which saves the reset loop and the Double traffic.
                forEachEntry(ofGroup: g) { d, w in
                    if d == stamp {
                        inside += Double(w)
                    } else if touched[Int(d)] != stamp {
                        touched[Int(d)] = stamp
                        touchedCount += 1
                    }
                }
            }
            loops[g] = loop + inside / 2
            outDegrees[g] = degree
            sizes[g] = touchedCount
        }
    }

    /// Writes the neighbour lists of `groups` at their offsets, in first-touched order.
    func fill(
        groups: Range<Int>, offsets outOffsets: SharedBuffer<Int>, targets outTargets: SharedMutableBuffer<UInt32>,
        weights outWeights: SharedMutableBuffer<Float>, weightTo: SharedMutableBuffer<Double>, touched: SharedMutableBuffer<UInt32>,
        small: SmallWeightTable
    ) {
        for g in groups {
            if entries(of: g) <= SmallWeightTable.maxEntries {
                var sums = TableWeights(small)
                fill(group: g, at: outOffsets[g], targets: outTargets, weights: outWeights, sums: &sums)
            } else {
                var sums = DenseWeights(dense: weightTo, touched: touched)
                fill(group: g, at: outOffsets[g], targets: outTargets, weights: outWeights, sums: &sums)
            }
        }
    }

    /// Sums the weight from group `g` to each other group and writes them from `position` on, in
    /// first-touched order.
    @inline(__always)
    func fill<S: NeighborWeights>(
        group g: Int, at position: Int, targets outTargets: SharedMutableBuffer<UInt32>, weights outWeights: SharedMutableBuffer<Float>,
        sums: inout S
    ) {
        let name = UInt32(truncatingIfNeeded: g)
        forEachEntry(ofGroup: g) { d, w in
            if d != name { sums.add(d, Double(w)) }
        }
        for i in 0..<sums.count {
            outTargets[position + i] = sums.key(at: i)
            outWeights[position + i] = Float(sums.weight(at: i))
        }
        sums.clear()
    }
}
