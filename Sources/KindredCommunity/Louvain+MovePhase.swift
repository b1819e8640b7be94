import KindredCore

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
        var active = [UInt8](repeating: 1, count: n)
        if let fixed {
            for v in 0..<n where fixed[v] { active[v] = 0 }
        }
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
        let scale = resolution / twoM
        let skipSelf = graph.hasSelfEntries
        withBuffers(graph.offsets, graph.targets, graph.weights, graph.degrees) { off, tgt, wgt, deg in
            withBuffers(classes.offsets, classes.members) { classOffsets, classMembers in
                withMutableBuffers(&community, &total, &active, &proposal) { comm, tot, act, prop in
                    withMutableBuffers(&toTarget, &toCurrent) { wTarget, wCurrent in
                        let scratchBuffers = scratch.weightTo
                        let touchedBuffers = scratch.touched
                        let kernel = MoveKernel(
                            offsets: SharedBuffer(off), targets: SharedBuffer(tgt), weights: SharedBuffer(wgt),
                            degrees: SharedBuffer(deg), community: SharedMutableBuffer(comm), total: SharedMutableBuffer(tot),
                            active: SharedMutableBuffer(act), proposal: SharedMutableBuffer(prop),
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
                                    kernel.propose(members: members, range: 0..<(end - start), weightTo: scratchBuffers[0], touched: touchedBuffers[0])
                                } else {
                                    runner.forEach(items: chunks) { chunk, worker in
                                        let range = (chunk * chunkSize)..<min(end - start, (chunk + 1) * chunkSize)
                                        kernel.propose(members: members, range: range, weightTo: scratchBuffers[worker], touched: touchedBuffers[worker])
                                    }
                                }
                                // Apply in vertex order (deterministic sums). Each move is checked again
                                // against the totals as they are now, so every applied move raises
                                // modularity; the neighbours of movers wake up.
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
                                    for e in off[v]..<off[v + 1] { act[Int(tgt[e])] = 1 }
                                }
                            }
                            if let fixed {
                                for v in 0..<n where fixed[v] { act[v] = 0 }
                            }
                            passes += 1
                            moves += passMoves
                            let passModularity = passGain / m
                            gained += passModularity
                            if passMoves == 0 && !verified && passes < maxPasses {
                                verified = true
                                for v in 0..<n where fixed?[v] != true { act[v] = 1 }
                                continue
                            }
                            if passMoves == 0 || passModularity < tolerance { break }
                        }
                    }
                }
            }
        }
        withExtendedLifetime(scratch) {}
        return MovePhaseResult(community: community, total: total, moves: moves, passes: passes, modularityGain: gained)
    }
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
    let active: SharedMutableBuffer<UInt8>
    let proposal: SharedMutableBuffer<UInt32>
    let toTarget: SharedMutableBuffer<Double>
    let toCurrent: SharedMutableBuffer<Double>
    /// γ / 2m.
    let scale: Double
    let skipSelf: Bool

    /// Computes the best community of each active vertex in `members[range]`.
    func propose(members: SharedBuffer<UInt32>, range: Range<Int>, weightTo: SharedMutableBuffer<Double>, touched: SharedMutableBuffer<UInt32>) {
        for i in range {
            let v = Int(members[i])
            let current = community[v]
            proposal[v] = current
            guard active[v] != 0 else { continue }
            active[v] = 0
            let degree = degrees[v]
            let key = UInt32(truncatingIfNeeded: v)
            var touchedCount = 0
            for e in offsets[v]..<offsets[v + 1] {
                let u = targets[e]
                if skipSelf && u == key { continue }
                let c = Int(community[Int(u)])
                if weightTo[c] < 0 {
                    weightTo[c] = 0
                    touched[touchedCount] = UInt32(truncatingIfNeeded: c)
                    touchedCount += 1
                }
                weightTo[c] += Double(weights[e])
            }
            let cur = Int(current)
            let penalty = degree * scale
            let toCurrentWeight = weightTo[cur] < 0 ? 0 : weightTo[cur]
            let stayGain = toCurrentWeight - (total[cur] - degree) * penalty
            var best = cur
            var bestGain = stayGain
            // Leaving for a community of its own (named by the vertex, when that name is free).
            if v != cur && total[v] == 0 && 0 > bestGain {
                bestGain = 0
                best = v
            }
            for t in 0..<touchedCount {
                let c = Int(touched[t])
                if c == cur { continue }
                let gain = weightTo[c] - total[c] * penalty
                if gain > bestGain || (gain == bestGain && best != cur && c < best) {
                    bestGain = gain
                    best = c
                }
            }
            if best != cur {
                proposal[v] = UInt32(truncatingIfNeeded: best)
                toTarget[v] = weightTo[best] < 0 ? 0 : weightTo[best]
                toCurrent[v] = toCurrentWeight
            }
            for t in 0..<touchedCount { weightTo[Int(touched[t])] = -1 }
        }
    }
}
