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
    ///
    /// Communities are independent, so they are refined in parallel, each by one worker; the result does
    /// not depend on the thread count.
    ///
    /// - Parameters:
    ///   - community: the community of each vertex, in `0..<communityCount`.
    ///   - total: total degree of each community (indexed by community).
    /// - Returns: the sub-community of each vertex, named by one of its member vertices.
    /// - Complexity: O(n + E) work; O(n) scratch per worker.
    static func refine(
        _ graph: LevelGraph, community: [UInt32], communityCount: Int, total: [Double], twoM: Double, resolution: Double,
        runner: ParallelRunner
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
        let scratch = WorkerScratch(workers: runner.workers, size: n)
        let perChunk = max(1, min(1024, communityCount / (8 * runner.workers) + 1))
        let chunks = (communityCount + perChunk - 1) / perChunk
        let scale = resolution / twoM
        let skipSelf = graph.hasSelfEntries
        withBuffers(graph.offsets, graph.targets, graph.weights, graph.degrees) { off, tgt, wgt, deg in
            withBuffers(groups.offsets, groups.members, community, total) { gOff, gMem, comm, tot in
                withMutableBuffers(&refined, &subTotal, &cut, &size) { ref, sub, cutOut, sz in
                    let kernel = RefineKernel(
                        offsets: SharedBuffer(off), targets: SharedBuffer(tgt), weights: SharedBuffer(wgt),
                        degrees: SharedBuffer(deg), groupOffsets: SharedBuffer(gOff), groupMembers: SharedBuffer(gMem),
                        community: SharedBuffer(comm), communityTotal: SharedBuffer(tot), refined: SharedMutableBuffer(ref),
                        subTotal: SharedMutableBuffer(sub), cut: SharedMutableBuffer(cutOut), size: SharedMutableBuffer(sz),
                        scale: scale, skipSelf: skipSelf)
                    runner.forEach(items: chunks) { chunk, worker in
                        let range = (chunk * perChunk)..<min(communityCount, (chunk + 1) * perChunk)
                        kernel.refine(communities: range, weightTo: scratch.weightTo[worker], touched: scratch.touched[worker])
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
    /// γ / 2m.
    let scale: Double
    let skipSelf: Bool

    func refine(communities: Range<Int>, weightTo: SharedMutableBuffer<Double>, touched: SharedMutableBuffer<UInt32>) {
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
                let key = UInt32(truncatingIfNeeded: v)
                var touchedCount = 0
                for e in offsets[v]..<offsets[v + 1] {
                    let u = targets[e]
                    if (skipSelf && u == key) || community[Int(u)] != communityID { continue }
                    let s = Int(refined[Int(u)])
                    if weightTo[s] < 0 {
                        weightTo[s] = 0
                        touched[touchedCount] = UInt32(truncatingIfNeeded: s)
                        touchedCount += 1
                    }
                    weightTo[s] += Double(weights[e])
                }
                var best = -1
                var bestGain = 0.0
                var bestWeight = 0.0
                for t in 0..<touchedCount {
                    let s = Int(touched[t])
                    let sTotal = subTotal[s]
                    guard cut[s] >= sTotal * (totalC - sTotal) * scale else { continue }
                    let gain = weightTo[s] - degree * sTotal * scale
                    if gain > bestGain {
                        bestGain = gain
                        best = s
                        bestWeight = weightTo[s]
                    }
                }
                for t in 0..<touchedCount { weightTo[Int(touched[t])] = -1 }
                if best >= 0 {
                    refined[v] = UInt32(truncatingIfNeeded: best)
                    subTotal[best] += degree
                    size[best] += 1
                    cut[best] = cut[best] + cut[v] - 2 * bestWeight
                    size[v] = 0
                }
            }
        }
    }
}
