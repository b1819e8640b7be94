/// Builds CSR arrays from an undirected edge list: counting sort of adjacency entries by source,
/// in-place sort of each range by (target, weight), then a merge of equal targets.
enum CSRBuilder {
    /// The three CSR arrays.
    struct Arrays {
        var offsets: [Int]
        var targets: [UInt32]
        var weights: [Float]
    }

    /// Builds CSR arrays; see `Graph.init(vertexCount:sources:targets:weights:ids:duplicates:)`.
    /// - Complexity: O(n + E log d).
    static func build(
        vertexCount n: Int,
        sources: [UInt32],
        targets: [UInt32],
        weights: [Float],
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

        // 2. Scatter (target << 32 | weight bits) keys into each source's range.
        var keys = [UInt64](repeating: 0, count: entryCount)
        var cursor = counts
        keys.withUnsafeMutableBufferPointer { key in
            cursor.withUnsafeMutableBufferPointer { cur in
                sources.withUnsafeBufferPointer { src in
                    targets.withUnsafeBufferPointer { tgt in
                        weights.withUnsafeBufferPointer { wgt in
                            for e in 0..<edgeCount {
                                let u = Int(src[e])
                                let v = Int(tgt[e])
                                var w = wgt[e]
                                if w == 0 { w = 0 }  // -0 → +0, so equal weights have equal bits
                                let bits = UInt64(w.bitPattern)
                                key[cur[u]] = UInt64(v) << 32 | bits
                                cur[u] += 1
                                if u != v {
                                    key[cur[v]] = UInt64(u) << 32 | bits
                                    cur[v] += 1
                                }
                            }
                        }
                    }
                }
            }
        }

        // 3. Sort each range and count distinct targets per vertex.
        var offsets = [Int](repeating: 0, count: n + 1)
        keys.withUnsafeMutableBufferPointer { key in
            counts.withUnsafeBufferPointer { cnt in
                offsets.withUnsafeMutableBufferPointer { off in
                    for v in 0..<n {
                        let start = cnt[v]
                        let end = cnt[v + 1]
                        if end - start > 1 {
                            RangeSort.sort(key.baseAddress! + start, count: end - start)
                        }
                        var distinct = 0
                        var previous = UInt64.max
                        for i in start..<end {
                            let t = key[i] >> 32
                            if t != previous {
                                distinct += 1
                                previous = t
                            }
                        }
                        off[v + 1] = off[v] + distinct
                    }
                }
            }
        }
        let mergedCount = offsets[n]

        // 4. Merge equal targets into the output arrays.
        var outTargets = [UInt32](repeating: 0, count: mergedCount)
        var outWeights = [Float](repeating: 0, count: mergedCount)
        keys.withUnsafeBufferPointer { key in
            counts.withUnsafeBufferPointer { cnt in
                outTargets.withUnsafeMutableBufferPointer { ot in
                    outWeights.withUnsafeMutableBufferPointer { ow in
                        var out = 0
                        for v in 0..<n {
                            var i = cnt[v]
                            let end = cnt[v + 1]
                            while i < end {
                                let t = key[i] >> 32
                                var sum = 0.0
                                var largest = -Float.infinity
                                var parallel = 0
                                while i < end && key[i] >> 32 == t {
                                    let w = Float(bitPattern: UInt32(truncatingIfNeeded: key[i]))
                                    sum += Double(w)
                                    if w > largest { largest = w }
                                    parallel += 1
                                    i += 1
                                }
                                ot[out] = UInt32(truncatingIfNeeded: t)
                                switch duplicates {
                                case .sum: ow[out] = parallel == 1 ? largest : Float(sum)
                                case .max: ow[out] = largest
                                case .mean: ow[out] = parallel == 1 ? largest : Float(sum / Double(parallel))
                                }
                                out += 1
                            }
                        }
                    }
                }
            }
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
