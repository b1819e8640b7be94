/// Keeps cluster ids stable across runs: matches the clusters of a new partition to those of the
/// previous one by overlap (Jaccard index of their members), one to one, best overlap first.
///
/// Greedy one-to-one matching on descending Jaccard is what community-tracking tools commonly use
/// (e.g. Greene et al., "Tracking the evolution of communities in dynamic social networks", 2010);
/// ties are broken by the smaller previous id, then the smaller new label, so the result is
/// deterministic.
public enum ClusterMatching {
    /// A previous cluster and the new cluster that takes over its id.
    public struct Match: Sendable, Equatable {
        public var previous: Int32
        public var current: Int32
        public var shared: Int
        public var jaccard: Double
    }

    /// Counts of (previous, current) label pairs over people present in both partitions.
    public struct Overlap: Sendable {
        public var pairs: [Pair: Int] = [:]
        public var previousSizes: [Int32: Int] = [:]
        public var currentSizes: [Int32: Int] = [:]
        /// A (previous, current) label pair.
        public struct Pair: Hashable, Sendable, Comparable {
            public var previous: Int32
            public var current: Int32
            public static func < (a: Pair, b: Pair) -> Bool { (a.previous, a.current) < (b.previous, b.current) }
        }

        public init() {}

        /// Adds one person's labels.
        public mutating func add(previous: Int32, current: Int32) {
            pairs[Pair(previous: previous, current: current), default: 0] += 1
            previousSizes[previous, default: 0] += 1
            currentSizes[current, default: 0] += 1
        }

        /// Jaccard index of the members of `pair.previous` and `pair.current`.
        public func jaccard(_ pair: Pair) -> Double {
            let shared = pairs[pair] ?? 0
            let union = (previousSizes[pair.previous] ?? 0) + (currentSizes[pair.current] ?? 0) - shared
            return union > 0 ? Double(shared) / Double(union) : 0
        }
    }

    /// One-to-one matches with Jaccard ≥ `minimumJaccard`, best first.
    public static func match(_ overlap: Overlap, minimumJaccard: Double) -> [Match] {
        var candidates: [Match] = []
        for (pair, shared) in overlap.pairs {
            let j = overlap.jaccard(pair)
            if j >= minimumJaccard && shared > 0 { candidates.append(Match(previous: pair.previous, current: pair.current, shared: shared, jaccard: j)) }
        }
        candidates.sort {
            if $0.jaccard != $1.jaccard { return $0.jaccard > $1.jaccard }
            if $0.previous != $1.previous { return $0.previous < $1.previous }
            return $0.current < $1.current
        }
        var usedPrevious = Set<Int32>()
        var usedCurrent = Set<Int32>()
        var matches: [Match] = []
        for m in candidates where !usedPrevious.contains(m.previous) && !usedCurrent.contains(m.current) {
            usedPrevious.insert(m.previous)
            usedCurrent.insert(m.current)
            matches.append(m)
        }
        return matches
    }

    /// Stable ids for new clusters `0..<count` (numbered by decreasing size): a matched cluster keeps
    /// its previous id, the others get fresh ids from `nextID` upwards in label order. Ids are never
    /// reused: the returned `nextID` is above every id handed out.
    public static func stableIDs(count: Int, matches: [Match], nextID: Int32) -> (ids: [Int32], nextID: Int32) {
        var ids = [Int32](repeating: -1, count: count)
        var next = nextID
        for m in matches where Int(m.current) < count { ids[Int(m.current)] = m.previous }
        for m in matches { next = max(next, m.previous + 1) }
        for c in 0..<count where ids[c] < 0 {
            ids[c] = next
            next += 1
        }
        return (ids, next)
    }
}

/// What changed between two runs' clusterings, over the people present in both.
public struct ClusterChanges: Sendable {
    /// A cluster of one run and the clusters of the other that hold a substantial part of it.
    public struct Flow: Sendable, Equatable {
        public var cluster: Int32
        public var parts: [(cluster: Int32, people: Int)]
        public static func == (a: Flow, b: Flow) -> Bool {
            a.cluster == b.cluster && a.parts.map(\.cluster) == b.parts.map(\.cluster) && a.parts.map(\.people) == b.parts.map(\.people)
        }
    }

    /// Ids in this run and not in the previous one.
    public var born: [Int32] = []
    /// Ids of the previous run absent now.
    public var gone: [Int32] = []
    /// Ids in both runs.
    public var kept: [Int32] = []
    /// Previous clusters whose people now sit in two or more clusters (each part ≥ the threshold of
    /// the previous cluster's shared people).
    public var split: [Flow] = []
    /// Current clusters that gathered two or more previous clusters' people (each part ≥ the threshold
    /// of the previous cluster it came from).
    public var merged: [Flow] = []
    /// People in both runs whose cluster differs (including to or from unassigned).
    public var moved = 0
    public var inBoth = 0
    /// Adjusted Rand index of the two clusterings over people assigned in both.
    public var ari = 1.0

    /// - Parameters:
    ///   - previous, current: each shared person's cluster in the previous and this run (nil: unassigned).
    ///   - previousIDs, currentIDs: every cluster id of each run (also those nobody shared).
    ///   - partShare: the share of its previous cluster's shared people a part must hold to count in a
    ///     split or merge.
    ///   - partMinimum: and at least this many people.
    public static func compute(
        previous: [Int32?], current: [Int32?], previousIDs: Set<Int32>, currentIDs: Set<Int32>, partShare: Double = 0.1, partMinimum: Int = 3
    ) -> ClusterChanges {
        precondition(previous.count == current.count, "one pair of labels per shared person")
        var changes = ClusterChanges()
        changes.inBoth = previous.count
        var overlap = ClusterMatching.Overlap()
        var a: [UInt32] = []
        var b: [UInt32] = []
        for i in 0..<previous.count {
            if previous[i] != current[i] { changes.moved += 1 }
            if let p = previous[i], let c = current[i] {
                overlap.add(previous: p, current: c)
                a.append(UInt32(bitPattern: p))
                b.append(UInt32(bitPattern: c))
            }
        }
        changes.ari = a.isEmpty ? 1 : PartitionComparison.adjustedRandIndex(compact(a), compact(b))
        changes.born = currentIDs.subtracting(previousIDs).sorted()
        changes.gone = previousIDs.subtracting(currentIDs).sorted()
        changes.kept = previousIDs.intersection(currentIDs).sorted()
        var byPrevious: [Int32: [(Int32, Int)]] = [:]
        var byCurrent: [Int32: [(Int32, Int)]] = [:]
        for pair in overlap.pairs.keys.sorted() {
            let n = overlap.pairs[pair]!
            byPrevious[pair.previous, default: []].append((pair.current, n))
            byCurrent[pair.current, default: []].append((pair.previous, n))
        }
        // A part counts when it holds a substantial share of the previous cluster it came from: for a
        // split, of the cluster that split; for a merge, of each cluster merged in (so a small cluster
        // absorbed by a large one is a merge too).
        let previousSizes = overlap.previousSizes
        func flows(_ groups: [Int32: [(Int32, Int)]], source: (Int32, Int32) -> Int32) -> [Flow] {
            var result: [Flow] = []
            for id in groups.keys.sorted() {
                let parts = groups[id]!.filter { part in
                    let total = previousSizes[source(id, part.0)] ?? 0
                    return part.1 >= partMinimum && Double(part.1) >= partShare * Double(total)
                }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
                if parts.count >= 2 { result.append(Flow(cluster: id, parts: parts.map { (cluster: $0.0, people: $0.1) })) }
            }
            return result
        }
        changes.split = flows(byPrevious) { previous, _ in previous }
        changes.merged = flows(byCurrent) { _, previous in previous }
        return changes
    }

    /// Labels renumbered 0, 1, … in first-seen order (what the comparison functions expect).
    static func compact(_ labels: [UInt32]) -> [UInt32] {
        var map: [UInt32: UInt32] = [:]
        return labels.map { l in
            if let m = map[l] { return m }
            let m = UInt32(map.count)
            map[l] = m
            return m
        }
    }
}
