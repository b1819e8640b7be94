import KindredCore
import Synchronization

extension Louvain {
    /// The outcome of one level's local moving.
    struct MovePhaseResult {
        /// The community of each level vertex (community ids are vertex ids of the level graph).
        var community: [UInt32]
        /// Total degree of each community (indexed like vertices).
        var total: [Double]
        /// The number of moves made over all passes.
        var moves: Int
        /// The passes run.
        var passes: Int
        /// The modularity gained over all passes (as computed against each class's snapshot).
        var modularityGain: Double
    }

    /// Parallel, deterministic local moving on one level.
    ///
    /// Each pass walks the colour classes in turn. Within a class, every active vertex computes its best
    /// community in parallel against the state at the start of the class (its neighbours are in other
    /// classes, so only community totals can be stale); the moves are then applied in vertex order,
    /// and the neighbours of every moved vertex become active (vertex pruning: a vertex is re-examined
    /// only when its neighbourhood changed). A level ends when a pass moves nobody, gains less than
    /// `tolerance`, or `maxPasses` passes ran.
    ///
    /// - Parameters:
    ///   - seed: decides the order of the colour classes in each pass.
    ///   - initial: the starting community of each vertex (ids < n); nil for singletons.
    ///   - fixed: vertices that must not move; nil for none.
    /// - Complexity: O(passes · (n + E)) work, spread over the runner's workers; O(n) memory per worker.
    static func moveVertices(
        _ graph: LevelGraph,
        classes: Groups,
        seed: UInt64,
        levelIndex: Int,
        initial: [UInt32]?,
        fixed: [Bool]?,
        twoM: Double,
        resolution: Double,
        maxPasses: Int,
        tolerance: Double,
        runner: ParallelRunner
    ) -> MovePhaseResult {
        let n = graph.vertexCount
        var community = initial ?? [UInt32](unsafeUninitializedCapacity: n) { buffer, count in
            for v in 0..<n { buffer[v] = UInt32(truncatingIfNeeded: v) }
            count = n
        }
        var total = [Double](repeating: 0, count: n)
        for v in 0..<n { total[Int(community[v])] += graph.degrees[v] }
        let active = ActivityFlags(count: n)
        if let fixed {
            for v in 0..<n where fixed[v] { active.clear(v) }
        }
        var movers = [UInt32](repeating: 0, count: n)
        var proposal = community
        // The weight from each proposing vertex to its target and to its current community.
        var toTarget = [Double](repeating: 0, count: n)
        var toCurrent = [Double](repeating: 0, count: n)
        let scratch = WorkerScratch(workers: runner.workers, size: n)
        var moves = 0
        var passes = 0
        var gained = 0.0
        // Pruning skips vertices whose neighbourhood did not change, though community totals may have:
        // before a level ends with a pass that moved nobody, every vertex is examined once more.
        var verified = false
        let m = twoM / 2
        let chunkSize = 2048
        let wakeChunkSize = 4096
        let scale = resolution / twoM
        let skipSelf = graph.hasSelfEntries
        withBuffers(graph.offsets, graph.targets, graph.weights, graph.degrees) { off, tgt, wgt, deg in
            withBuffers(classes.offsets, classes.members) { classOffsets, classMembers in
                withMutableBuffers(&community, &total, &proposal, &movers) { comm, tot, prop, movers in
                    withMutableBuffers(&toTarget, &toCurrent) { wTarget, wCurrent in
                        let moverList = SharedBuffer(UnsafeBufferPointer(movers))
                        let scratchBuffers = scratch.weightTo
                        let touchedBuffers = scratch.touched
                        let smallTables = scratch.small
                        let kernel = MoveKernel(
                            offsets: SharedBuffer(off), targets: SharedBuffer(tgt), weights: SharedBuffer(wgt),
                            degrees: SharedBuffer(deg), community: SharedMutableBuffer(comm), total: SharedMutableBuffer(tot),
                            active: active, proposal: SharedMutableBuffer(prop),
                            toTarget: SharedMutableBuffer(wTarget), toCurrent: SharedMutableBuffer(wCurrent),
                            scale: scale, skipSelf: skipSelf)
                        while passes < maxPasses {
                            var passMoves = 0
                            var passGain = 0.0
                            // The seed decides the order in which colour classes move, anew on each pass.
                            let classOrder = shuffledOrder(
                                count: classes.count, seed: seed, level: UInt64(levelIndex) << 32 | UInt64(passes))
                            for position in 0..<classes.count {
                                let color = Int(classOrder[position])
                                let start = classOffsets[color]
                                let end = classOffsets[color + 1]
                                let chunks = (end - start + chunkSize - 1) / chunkSize
                                let members = SharedBuffer(UnsafeBufferPointer(rebasing: classMembers[start..<end]))
                                if chunks == 1 {
                                    kernel.propose(
                                        members: members, range: 0..<(end - start), weightTo: scratchBuffers[0], touched: touchedBuffers[0],
                                        small: smallTables[0])
                                } else {
                                    runner.forEach(items: chunks) { chunk, worker in
                                        let range = (chunk * chunkSize)..<min(end - start, (chunk + 1) * chunkSize)
                                        kernel.propose(
                                            members: members, range: range, weightTo: scratchBuffers[worker], touched: touchedBuffers[worker],
                                            small: smallTables[worker])
                                    }
                                }
                                // Apply in vertex order (deterministic sums). Each move is checked again
                                // against the totals as they are now, so every applied move raises
                                // modularity. The movers are listed, and their neighbours woken afterwards
                                // in parallel (waking only sets flags, so its order does not matter).
                                var moverCount = 0
                                for i in start..<end {
                                    let v = Int(classMembers[i])
                                    let target = Int(prop[v])
                                    let current = Int(comm[v])
                                    if target == current { continue }
                                    let degree = deg[v]
                                    let penalty = degree * scale
                                    let stay = wCurrent[v] - (tot[current] - degree) * penalty
                                    let move = wTarget[v] - tot[target] * penalty
                                    guard move > stay else { continue }
                                    tot[current] -= degree
                                    tot[target] += degree
                                    comm[v] = UInt32(truncatingIfNeeded: target)
                                    passMoves += 1
                                    passGain += move - stay
                                    movers[moverCount] = UInt32(truncatingIfNeeded: v)
                                    moverCount += 1
                                }
                                let wakeChunks = (moverCount + wakeChunkSize - 1) / wakeChunkSize
                                runner.forEach(items: wakeChunks) { chunk, _ in
                                    let range = (chunk * wakeChunkSize)..<min(moverCount, (chunk + 1) * wakeChunkSize)
                                    kernel.wake(neighboursOf: moverList, range: range)
                                }
                            }
                            if let fixed {
                                for v in 0..<n where fixed[v] { active.clear(v) }
                            }
                            passes += 1
                            moves += passMoves
                            let passModularity = passGain / m
                            gained += passModularity
                            if passMoves == 0 && !verified && passes < maxPasses {
                                verified = true
                                for v in 0..<n where fixed?[v] != true { active.set(v) }
                                continue
                            }
                            if passMoves == 0 || passModularity < tolerance { break }
                        }
                    }
                }
            }
        }
        withExtendedLifetime(scratch) {}
        withExtendedLifetime(active) {}
        return MovePhaseResult(community: community, total: total, moves: moves, passes: passes, modularityGain: gained)
    }
}

/// One flag per vertex, "examine again", that several workers may set at once (relaxed atomics: setting
/// is idempotent, so the order of the stores does not matter and the result is the same at any thread
/// count). Read and cleared by the worker that owns the vertex in the propose step, set by any worker
/// in the wake step; the two steps never overlap.
final class ActivityFlags: @unchecked Sendable {
    private let storage: UnsafeMutablePointer<Atomic<UInt8>>
    private let count: Int

    /// All flags set.
    init(count: Int) {
        self.count = count
        storage = .allocate(capacity: max(1, count))
        for i in 0..<count { (storage + i).initialize(to: Atomic(1)) }
    }

    deinit {
        storage.deinitialize(count: count)
        storage.deallocate()
    }

    @inline(__always) func isSet(_ i: Int) -> Bool { storage[i].load(ordering: .relaxed) != 0 }
    @inline(__always) func set(_ i: Int) { storage[i].store(1, ordering: .relaxed) }
    @inline(__always) func clear(_ i: Int) { storage[i].store(0, ordering: .relaxed) }
}

/// The buffers of one level's move phase, taken once outside the loops (see STYLE.md). Workers read
/// the graph, `community` and `total`, and write only their own vertices' `active`, `proposal` and
/// `toTarget`/`toCurrent` entries and their own scratch.
struct MoveKernel: Sendable {
    let offsets: SharedBuffer<Int>
    let targets: SharedBuffer<UInt32>
    let weights: SharedBuffer<Float>
    let degrees: SharedBuffer<Double>
    let community: SharedMutableBuffer<UInt32>
    let total: SharedMutableBuffer<Double>
    let active: ActivityFlags
    let proposal: SharedMutableBuffer<UInt32>
    let toTarget: SharedMutableBuffer<Double>
    let toCurrent: SharedMutableBuffer<Double>
    /// γ / 2m.
    let scale: Double
    let skipSelf: Bool

    /// Marks the neighbours of `movers[range]` to be examined again.
    func wake(neighboursOf movers: SharedBuffer<UInt32>, range: Range<Int>) {
        for i in range {
            let v = Int(movers[i])
            for e in offsets[v]..<offsets[v + 1] { active.set(Int(targets[e])) }
        }
    }

    /// Computes the best community of each active vertex in `members[range]`.
    func propose(
        members: SharedBuffer<UInt32>, range: Range<Int>, weightTo: SharedMutableBuffer<Double>, touched: SharedMutableBuffer<UInt32>,
        small: SmallWeightTable
    ) {
        for i in range {
            let v = Int(members[i])
            let current = community[v]
            proposal[v] = current
            guard active.isSet(v) else { continue }
            active.clear(v)
            if offsets[v + 1] - offsets[v] <= SmallWeightTable.maxEntries {
                var sums = TableWeights(small)
                propose(v, current: current, sums: &sums)
            } else {
                var sums = DenseWeights(dense: weightTo, touched: touched)
                propose(v, current: current, sums: &sums)
            }
        }
    }

    /// The best move of `v`, from the weight it has to each neighbouring community (summed in `sums`).
    /// The choice does not depend on the order of the visit: the largest gain wins, ties go to the
    /// smaller community id, and staying wins a tie with moving.
    @inline(__always)
    func propose<S: NeighborWeights>(_ v: Int, current: UInt32, sums: inout S) {
        let key = UInt32(truncatingIfNeeded: v)
        for e in offsets[v]..<offsets[v + 1] {
            let u = targets[e]
            if skipSelf && u == key { continue }
            sums.add(community[Int(u)], Double(weights[e]))
        }
        defer { sums.clear() }
        let toCurrentWeight = sums.weight(of: current)
        let degree = degrees[v]
        let cur = Int(current)
        let penalty = degree * scale
        let stayGain = toCurrentWeight - (total[cur] - degree) * penalty
        var best = cur
        var bestGain = stayGain
        var bestWeight = 0.0
        // Leaving for a community of its own (named by the vertex, when that name is free).
        if v != cur && total[v] == 0 && 0 > bestGain {
            bestGain = 0
            best = v
        }
        for i in 0..<sums.count {
            let c = Int(sums.key(at: i))
            if c == cur { continue }
            let weight = sums.weight(at: i)
            let gain = weight - total[c] * penalty
            if gain > bestGain || (gain == bestGain && best != cur && c < best) {
                bestGain = gain
                best = c
                bestWeight = weight
            }
        }
        if best != cur {
            proposal[v] = UInt32(truncatingIfNeeded: best)
            toTarget[v] = bestWeight
            toCurrent[v] = toCurrentWeight
        }
    }
}
