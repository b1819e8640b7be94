import KindredCore

/// Builds CSR arrays from an undirected edge list: counting sort of adjacency entries by source
/// straight into the output arrays, then each vertex's range sorted by (target, weight) and equal
/// targets merged in place.
///
/// Memory: the edge arrays (owned, released as soon as they are scattered) and the output arrays are
/// the only large allocations, so the peak is the edge list plus the CSR (no n×E key array); a copy
/// is made only when parallel edges were merged, to trim the arrays to their exact size.
enum CSRBuilder {
    /// The three CSR arrays.
    struct Arrays {
        var offsets: [Int]
        var targets: [UInt32]
        var weights: [Float]
    }

    /// Builds CSR arrays; see `Graph.init(vertexCount:sources:targets:weights:ids:duplicates:)`
    /// (an empty `weights` means every weight is 1).
    /// - Complexity: O(n + E log d).
    static func build(
        vertexCount n: Int,
        sources: consuming [UInt32],
        targets: consuming [UInt32],
        weights: consuming [Float],
        duplicates: DuplicateEdgePolicy
    ) -> Arrays {
        let edgeCount = sources.count
        // 1. Count adjacency entries per source (an edge u≠v gives two entries, a self-loop one).
        var counts = [Int](repeating: 0, count: n + 1)
        counts.withUnsafeMutableBufferPointer { cnt in
            sources.withUnsafeBufferPointer { src in
                targets.withUnsafeBufferPointer { tgt in
                    for e in 0..<edgeCount {
                        let u = Int(src[e])
                        let v = Int(tgt[e])
                        precondition(u < n && v < n, "edge endpoint out of range 0..<\(n)")
                        cnt[u + 1] += 1
                        if u != v { cnt[v + 1] += 1 }
                    }
                    for v in 0..<n { cnt[v + 1] += cnt[v] }
                }
            }
        }
        let entryCount = counts[n]

        // 2. Scatter each entry (target, weight) into its source's range of the output arrays.
        var outTargets = [UInt32](repeating: 0, count: entryCount)
        var outWeights = [Float](repeating: 0, count: entryCount)
        var maxDegree = 0
        do {
            var cursor = counts
            withMutableBuffers(&outTargets, &outWeights, &cursor) { ot, ow, cur in
                sources.withUnsafeBufferPointer { src in
                    targets.withUnsafeBufferPointer { tgt in
                        weights.withUnsafeBufferPointer { wgt in
                            let unit = wgt.isEmpty
                            for e in 0..<edgeCount {
                                let u = Int(src[e])
                                let v = Int(tgt[e])
                                var w: Float = unit ? 1 : wgt[e]
                                if w == 0 { w = 0 }  // -0 → +0, so equal weights have equal bits
                                ot[cur[u]] = UInt32(truncatingIfNeeded: v)
                                ow[cur[u]] = w
                                cur[u] += 1
                                if u != v {
                                    ot[cur[v]] = UInt32(truncatingIfNeeded: u)
                                    ow[cur[v]] = w
                                    cur[v] += 1
                                }
                            }
                        }
                    }
                }
            }
            for v in 0..<n { maxDegree = max(maxDegree, counts[v + 1] - counts[v]) }
        }
        // The edge list is no longer needed.
        sources = []
        targets = []
        weights = []

        // 3. Per vertex: sort its range by (target, weight bits) in a scratch buffer, merge equal targets
        //    and write the result back at the running output position (never past the range being read).
        var offsets = [Int](repeating: 0, count: n + 1)
        let scratch = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, maxDegree))
        defer { scratch.deallocate() }
        var merged = 0
        withMutableBuffers(&outTargets, &outWeights, &offsets) { ot, ow, off in
            counts.withUnsafeBufferPointer { cnt in
                for v in 0..<n {
                    let start = cnt[v]
                    let degree = cnt[v + 1] - start
                    for i in 0..<degree {
                        scratch[i] = UInt64(ot[start + i]) << 32 | UInt64(ow[start + i].bitPattern)
                    }
                    if degree > 1 { RangeSort.sort(scratch, count: degree) }
                    var i = 0
                    while i < degree {
                        let t = scratch[i] >> 32
                        var sum = 0.0
                        var largest = -Float.infinity
                        var parallel = 0
                        while i < degree && scratch[i] >> 32 == t {
                            let w = Float(bitPattern: UInt32(truncatingIfNeeded: scratch[i]))
                            sum += Double(w)
                            if w > largest { largest = w }
                            parallel += 1
                            i += 1
                        }
                        ot[merged] = UInt32(truncatingIfNeeded: t)
                        switch duplicates {
                        case .sum: ow[merged] = parallel == 1 ? largest : Float(sum)
                        case .max: ow[merged] = largest
                        case .mean: ow[merged] = parallel == 1 ? largest : Float(sum / Double(parallel))
                        }
                        merged += 1
                    }
                    off[v + 1] = merged
                }
            }
        }
        if merged < entryCount {
            outTargets = Array(outTargets[0..<merged])
            outWeights = Array(outWeights[0..<merged])
        }
        return Arrays(offsets: offsets, targets: outTargets, weights: outWeights)
    }
}

/// An allocation-free in-place sort of `UInt64` keys (introsort: quicksort with median-of-three,
/// insertion sort for short runs, heapsort when recursion gets too deep).
enum RangeSort {
    /// Sorts `count` keys starting at `base` ascending.
    static func sort(_ base: UnsafeMutablePointer<UInt64>, count: Int) {
        var depth = 0
        var n = count
        while n > 1 {
            depth += 2
            n >>= 1
        }
        introsort(base, 0, count, depthLimit: depth)
    }

    private static func introsort(_ a: UnsafeMutablePointer<UInt64>, _ low: Int, _ high: Int, depthLimit: Int) {
        var lo = low
        var hi = high
        var limit = depthLimit
        while hi - lo > 16 {
            if limit == 0 {
                heapsort(a + lo, count: hi - lo)
                return
            }
            limit -= 1
            // Median of three to a[lo].
            let mid = lo + (hi - lo) >> 1
            if a[mid] < a[lo] { swapAt(a, mid, lo) }
            if a[hi - 1] < a[lo] { swapAt(a, hi - 1, lo) }
            if a[hi - 1] < a[mid] { swapAt(a, hi - 1, mid) }
            let pivot = a[mid]
            // Hoare partition.
            var i = lo - 1
            var j = hi
            while true {
                repeat { i += 1 } while a[i] < pivot
                repeat { j -= 1 } while a[j] > pivot
                if i >= j { break }
                swapAt(a, i, j)
            }
            // Recurse into the smaller side, loop on the larger.
            if j + 1 - lo < hi - (j + 1) {
                introsort(a, lo, j + 1, depthLimit: limit)
                lo = j + 1
            } else {
                introsort(a, j + 1, hi, depthLimit: limit)
                hi = j + 1
            }
        }
        // Insertion sort for the short remainder.
        if hi - lo > 1 {
            for i in (lo + 1)..<hi {
                let x = a[i]
                var j = i - 1
                while j >= lo && a[j] > x {
                    a[j + 1] = a[j]
                    j -= 1
                }
                a[j + 1] = x
            }
        }
    }

    @inline(__always)
    private static func swapAt(_ a: UnsafeMutablePointer<UInt64>, _ i: Int, _ j: Int) {
        let t = a[i]
        a[i] = a[j]
        a[j] = t
    }

    private static func heapsort(_ a: UnsafeMutablePointer<UInt64>, count: Int) {
        func siftDown(_ start: Int, _ end: Int) {
            var root = start
            while true {
                var child = 2 * root + 1
                if child >= end { return }
                if child + 1 < end && a[child] < a[child + 1] { child += 1 }
                if a[root] >= a[child] { return }
                swapAt(a, root, child)
                root = child
            }
        }
        var start = count / 2 - 1
        while start >= 0 {
            siftDown(start, count)
            start -= 1
        }
        var end = count - 1
        while end > 0 {
            swapAt(a, 0, end)
            siftDown(0, end)
            end -= 1
        }
    }
}
