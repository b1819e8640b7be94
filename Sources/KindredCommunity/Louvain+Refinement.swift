import KindredCore

extension Louvain {
    /// Leiden refinement (Traag, Waltman & van Eck 2019, "From Louvain to Leiden: guaranteeing
    /// well-connected communities", Sci. Rep. 9:5233, doi:10.1038/s41598-019-41695-z), in its greedy,
    /// deterministic form.
    ///
    /// Within each community C of `community`, start from singletons and visit C's vertices in ascending
    /// order; a vertex that is still alone and well connected to C (w(v, C−v) ≥ γ·k_v·(K_C − k_v)/2m)
    /// joins the neighbouring sub-community S ⊂ C that is itself well connected
    /// (w(S, C−S) ≥ γ·K_S·(K_C − K_S)/2m) and gives the largest gain w(v,S) − γ·k_v·K_S/2m, if that gain
    /// is positive. Merges only follow edges inside C, so every sub-community is connected.
    /// With `rounds` 2 (the default), `mergeSubCommunities` then merges those sub-communities the same way.
    ///
    /// Communities are independent, so they are refined in parallel, each by one worker; the result does
    /// not depend on the thread count.
    ///
    /// - Parameters:
    ///   - community: the community of each vertex, in `0..<communityCount`.
    ///   - total: total degree of each community (indexed by community).
    ///   - rounds: 1 (Leiden's merge of vertices) or 2 (also merge the resulting sub-communities).
    /// - Returns: the sub-community of each vertex, named by one of its member vertices.
    /// - Complexity: O(n + E) work; O(n) scratch per worker.
    static func refine(
        _ graph: LevelGraph, community: [UInt32], communityCount: Int, total: [Double], twoM: Double, resolution: Double,
        rounds: Int = 2, runner: ParallelRunner
    ) -> [UInt32] {
        let n = graph.vertexCount
        let groups = Groups(label: community, count: communityCount)
        var refined = [UInt32](unsafeUninitializedCapacity: n) { buffer, count in
            for v in 0..<n { buffer[v] = UInt32(truncatingIfNeeded: v) }
            count = n
        }
        var subTotal = graph.degrees
        var cut = [Double](repeating: 0, count: n)
        var size = [UInt32](repeating: 1, count: n)
        // Second round: the sub-community each first-round sub-community merged into, and "was joined".
        var merged = rounds > 1 ? refined : []
        var joined = [UInt8](repeating: 0, count: rounds > 1 ? n : 0)
        let scratch = WorkerScratch(workers: runner.workers, size: n)
        let sortKeys = (0..<runner.workers).map { _ in
            SharedMutableBuffer(UnsafeMutableBufferPointer<UInt64>.allocate(capacity: rounds > 1 ? max(1, n) : 1))
        }
        defer { for keys in sortKeys { keys.base.deallocate() } }
        let perChunk = max(1, min(1024, communityCount / (8 * runner.workers) + 1))
        let chunks = (communityCount + perChunk - 1) / perChunk
        let scale = resolution / twoM
        let skipSelf = graph.hasSelfEntries
        withBuffers(graph.offsets, graph.targets, graph.weights, graph.degrees) { off, tgt, wgt, deg in
            withBuffers(groups.offsets, groups.members, community, total) { gOff, gMem, comm, tot in
                withMutableBuffers(&refined, &subTotal, &cut, &size) { ref, sub, cutOut, sz in
                  withMutableBuffers(&merged, &joined) { mergedOut, joinedOut in
                    let kernel = RefineKernel(
                        offsets: SharedBuffer(off), targets: SharedBuffer(tgt), weights: SharedBuffer(wgt),
                        degrees: SharedBuffer(deg), groupOffsets: SharedBuffer(gOff), groupMembers: SharedBuffer(gMem),
                        community: SharedBuffer(comm), communityTotal: SharedBuffer(tot), refined: SharedMutableBuffer(ref),
                        subTotal: SharedMutableBuffer(sub), cut: SharedMutableBuffer(cutOut), size: SharedMutableBuffer(sz),
                        merged: SharedMutableBuffer(mergedOut), joined: SharedMutableBuffer(joinedOut),
                        scale: scale, skipSelf: skipSelf, rounds: rounds)
                    runner.forEach(items: chunks) { chunk, worker in
                        let range = (chunk * perChunk)..<min(communityCount, (chunk + 1) * perChunk)
                        kernel.refine(
                            communities: range, weightTo: scratch.weightTo[worker], touched: scratch.touched[worker], small: scratch.small[worker],
                            sortKeys: sortKeys[worker])
                    }
                  }
                }
            }
        }
        withExtendedLifetime(scratch) {}
        return refined
    }
}

/// Buffers of one refinement. A worker refining community C writes only the entries of C's members.
struct RefineKernel: Sendable {
    let offsets: SharedBuffer<Int>
    let targets: SharedBuffer<UInt32>
    let weights: SharedBuffer<Float>
    let degrees: SharedBuffer<Double>
    let groupOffsets: SharedBuffer<Int>
    let groupMembers: SharedBuffer<UInt32>
    let community: SharedBuffer<UInt32>
    let communityTotal: SharedBuffer<Double>
    let refined: SharedMutableBuffer<UInt32>
    let subTotal: SharedMutableBuffer<Double>
    let cut: SharedMutableBuffer<Double>
    let size: SharedMutableBuffer<UInt32>
    let merged: SharedMutableBuffer<UInt32>
    let joined: SharedMutableBuffer<UInt8>
    /// γ / 2m.
    let scale: Double
    let skipSelf: Bool
    let rounds: Int

    func refine(
        communities: Range<Int>, weightTo: SharedMutableBuffer<Double>, touched: SharedMutableBuffer<UInt32>, small: SmallWeightTable,
        sortKeys: SharedMutableBuffer<UInt64>
    ) {
        for c in communities {
            let start = groupOffsets[c]
            let end = groupOffsets[c + 1]
            if end - start < 2 { continue }
            let communityID = UInt32(truncatingIfNeeded: c)
            let totalC = communityTotal[c]
            // cut(v) = w(v, C − v) for every member, as a singleton.
            for i in start..<end {
                let v = Int(groupMembers[i])
                let key = UInt32(truncatingIfNeeded: v)
                var w = 0.0
                for e in offsets[v]..<offsets[v + 1] {
                    let u = targets[e]
                    if (skipSelf && u == key) || community[Int(u)] != communityID { continue }
                    w += Double(weights[e])
                }
                cut[v] = w
            }
            for i in start..<end {
                let v = Int(groupMembers[i])
                guard refined[v] == UInt32(truncatingIfNeeded: v), size[v] == 1 else { continue }
                let degree = degrees[v]
                guard cut[v] >= degree * (totalC - degree) * scale else { continue }
                let entries = offsets[v + 1] - offsets[v]
                var table = TableWeights(small)
                var dense = DenseWeights(dense: weightTo, touched: touched)
                let (best, bestWeight) = entries <= SmallWeightTable.maxEntries
                    ? bestTarget(forVertex: v, in: communityID, degree: degree, totalC: totalC, sums: &table)
                    : bestTarget(forVertex: v, in: communityID, degree: degree, totalC: totalC, sums: &dense)
                if best >= 0 {
                    refined[v] = UInt32(truncatingIfNeeded: best)
                    subTotal[best] += degree
                    size[best] += 1
                    cut[best] = cut[best] + cut[v] - 2 * bestWeight
                    size[v] = 0
                }
            }
            if rounds > 1 {
                mergeSubCommunities(
                    community: c, totalC: totalC, weightTo: weightTo, touched: touched, small: small, keys: sortKeys)
            }
        }
    }

    /// The well-connected sub-community S of C with the largest positive gain `weight − K_S·k·γ/2m` among
    /// those `sums` holds (ties: the first touched), with the weight to it; (−1, 0) when none gains.
    @inline(__always)
    func bestOf<S: NeighborWeights>(_ sums: S, degree: Double, totalC: Double) -> (best: Int, weight: Double) {
        var best = -1
        var bestGain = 0.0
        var bestWeight = 0.0
        for i in 0..<sums.count {
            let s = Int(sums.key(at: i))
            let weight = sums.weight(at: i)
            let sTotal = subTotal[s]
            guard cut[s] >= sTotal * (totalC - sTotal) * scale else { continue }
            let gain = weight - degree * sTotal * scale
            if gain > bestGain {
                bestGain = gain
                best = s
                bestWeight = weight
            }
        }
        return (best, bestWeight)
    }

    /// Round 1: where vertex `v` of community `communityID` should go (see `bestOf`).
    @inline(__always)
    func bestTarget<S: NeighborWeights>(
        forVertex v: Int, in communityID: UInt32, degree: Double, totalC: Double, sums: inout S
    ) -> (best: Int, weight: Double) {
        let key = UInt32(truncatingIfNeeded: v)
        for e in offsets[v]..<offsets[v + 1] {
            let u = targets[e]
            if (skipSelf && u == key) || community[Int(u)] != communityID { continue }
            sums.add(refined[Int(u)], Double(weights[e]))
        }
        let choice = bestOf(sums, degree: degree, totalC: totalC)
        sums.clear()
        return choice
    }

    /// Round 2: where sub-community `t` (its members are `keys[members]`, low 32 bits) should go.
    @inline(__always)
    func bestTarget<S: NeighborWeights>(
        forSubCommunity t: Int, members: Range<Int>, keys: SharedMutableBuffer<UInt64>, in communityID: UInt32, totalC: Double,
        sums: inout S
    ) -> (best: Int, weight: Double) {
        let name = UInt32(truncatingIfNeeded: t)
        for j in members {
            let x = Int(truncatingIfNeeded: keys[j] & 0xFFFF_FFFF)
            for e in offsets[x]..<offsets[x + 1] {
                let u = Int(targets[e])
                if community[u] != communityID { continue }
                let s = merged[Int(refined[u])]
                if s == name { continue }
                sums.add(s, Double(weights[e]))
            }
        }
        let choice = bestOf(sums, degree: subTotal[t], totalC: totalC)
        sums.clear()
        return choice
    }

    /// The second round of refinement inside community `c`: the first round's sub-communities, each
    /// connected, merge the same way a vertex did — a sub-community T that nobody has joined yet and that is
    /// well connected to C (w(T, C−T) ≥ γ·K_T·(K_C − K_T)/2m) joins the well-connected neighbouring
    /// sub-community with the largest positive gain w(T,S) − γ·K_T·K_S/2m (ties: the first touched).
    /// T and S share an edge, so the union is connected. Sub-communities are visited by ascending name;
    /// a sub-community that was joined no longer moves, so every merge goes to a final one (one lookup).
    func mergeSubCommunities(
        community c: Int, totalC: Double, weightTo: SharedMutableBuffer<Double>, touched: SharedMutableBuffer<UInt32>,
        small: SmallWeightTable, keys: SharedMutableBuffer<UInt64>
    ) {
        let start = groupOffsets[c]
        let end = groupOffsets[c + 1]
        let count = end - start
        let communityID = UInt32(truncatingIfNeeded: c)
        // Members grouped by sub-community: keys (sub-community << 32 | vertex), sorted.
        for i in 0..<count {
            let v = groupMembers[start + i]
            keys[i] = UInt64(refined[Int(v)]) << 32 | UInt64(v)
        }
        var sorted = UnsafeMutableBufferPointer(start: keys.base, count: count)
        sorted.sort()
        var runStart = 0
        while runStart < count {
            let t = Int(keys[runStart] >> 32)
            var runEnd = runStart + 1
            while runEnd < count && Int(keys[runEnd] >> 32) == t { runEnd += 1 }
            defer { runStart = runEnd }
            if joined[t] != 0 { continue }
            let kT = subTotal[t]
            guard cut[t] >= kT * (totalC - kT) * scale else { continue }
            var entries = 0
            for j in runStart..<runEnd {
                let x = Int(truncatingIfNeeded: keys[j] & 0xFFFF_FFFF)
                entries += offsets[x + 1] - offsets[x]
            }
            let members = runStart..<runEnd
            var table = TableWeights(small)
            var dense = DenseWeights(dense: weightTo, touched: touched)
            let (best, bestWeight) = entries <= SmallWeightTable.maxEntries
                ? bestTarget(forSubCommunity: t, members: members, keys: keys, in: communityID, totalC: totalC, sums: &table)
                : bestTarget(forSubCommunity: t, members: members, keys: keys, in: communityID, totalC: totalC, sums: &dense)
            if best >= 0 {
                merged[t] = UInt32(truncatingIfNeeded: best)
                subTotal[best] += kT
                cut[best] = cut[best] + cut[t] - 2 * bestWeight
                joined[best] = 1
            }
        }
        for i in start..<end {
            let v = Int(groupMembers[i])
            refined[v] = merged[Int(refined[v])]
        }
    }
}
