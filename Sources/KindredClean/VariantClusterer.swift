import KindredCore

/// Learns clusters of spelling variants from the data itself, as OpenRefine's clustering does:
/// values are first grouped by key collision (the fingerprint: folded words, de-duplicated and sorted,
/// so "Engineer, Software" meets "software engineer"), then groups are joined by nearest neighbour
/// (Damerau–Levenshtein within 1 edit per 6 characters, at most 3, and Jaro–Winkler ≥ 0.9 on the
/// fingerprints, candidates found through a character-bigram index — blocking, not all pairs).
/// The most frequent spelling names each cluster (ties: the alphabetically first).
///
/// - Complexity: about O(values × candidates per value); deterministic for a given input.
public enum VariantClusterer {
    /// A learned cluster: its name, its spellings with counts (most frequent first), and the total.
    public struct Cluster: Sendable, Equatable {
        public var name: String
        public var members: [(value: String, count: Int)]
        public var total: Int

        public static func == (a: Cluster, b: Cluster) -> Bool {
            a.name == b.name && a.total == b.total && a.members.map(\.value) == b.members.map(\.value)
                && a.members.map(\.count) == b.members.map(\.count)
        }
    }

    /// Clusters `values` (value → count); returns clusters of two or more spellings, largest first.
    public static func clusters(_ values: [String: Int], threads: Int? = nil) -> [Cluster] {
        let spellings = values.keys.sorted()
        // Key collision.
        var byKey: [String: [Int]] = [:]
        var keys: [String] = []
        for (i, value) in spellings.enumerated() {
            let words = TextNormalizer.words(TextNormalizer.key(value)).map { WordStem.of(String($0)) }
            let key = Set(words).sorted().joined(separator: " ")
            guard !key.isEmpty else { continue }
            if byKey[key] == nil { keys.append(key) }
            byKey[key, default: []].append(i)
        }
        keys.sort()
        // Nearest neighbour between keys (union–find).
        var parent = Array(0..<keys.count)
        func find(_ x: Int) -> Int {
            var x = x
            while parent[x] != x {
                parent[x] = parent[parent[x]]
                x = parent[x]
            }
            return x
        }
        let scalars = keys.map { Array($0.unicodeScalars) }
        let index = FuzzyStringIndex(scalars)
        // Each key's close neighbours, searched in parallel chunks (each worker with its own counts),
        // then joined in key order: the clusters do not depend on the thread count.
        let runner = ParallelRunner(threads: threads)
        var neighbours = [[Int32]](repeating: [], count: keys.count)
        let chunk = 512
        // One zeroed counts buffer per worker (the search leaves it zeroed again).
        let counts = (0..<runner.workers).map { _ in
            let buffer = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: max(1, keys.count))
            buffer.initialize(repeating: 0)
            return buffer
        }
        defer { for buffer in counts { buffer.deallocate() } }
        neighbours.withUnsafeMutableBufferPointer { out in
            let shared = UncheckedSendable((out, counts))
            runner.forEach(items: (keys.count + chunk - 1) / chunk) { c, worker in
                let counts = shared.value.1[worker]
                for k in (c * chunk)..<min(keys.count, (c + 1) * chunk) where scalars[k].count >= 6 {
                    let key = scalars[k]
                    let limit = min(3, key.count / 6)
                    var found: [Int32] = []
                    for (other, _) in index.nearest(key, limit: limit, counts: counts, maximum: 8, slack: limit, rank: { _ in 0 })
                    where other != k && JaroWinkler.similarity(key, scalars[other]) >= 0.9 {
                        found.append(Int32(other))
                    }
                    shared.value.0[k] = found
                }
            }
        }
        for (k, others) in neighbours.enumerated() {
            for other in others {
                let a = find(k), b = find(Int(other))
                if a != b { parent[max(a, b)] = min(a, b) }
            }
        }
        var groups: [Int: [Int]] = [:]
        for (k, key) in keys.enumerated() { groups[find(k), default: []].append(contentsOf: byKey[key]!) }
        var out: [Cluster] = []
        for (_, members) in groups where members.count > 1 {
            let sorted = members.map { (spellings[$0], values[spellings[$0]]!) }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            out.append(Cluster(name: sorted[0].0, members: sorted, total: sorted.reduce(0) { $0 + $1.1 }))
        }
        out.sort { $0.total != $1.total ? $0.total > $1.total : $0.name < $1.name }
        return out
    }
}

/// Counts how each distinct (masked) raw value was mapped, for the cleaning report. Tracks at most
/// `limit` distinct values; later new values are only counted in `untracked` (memory stays bounded).
public struct MappingTally: Sendable {
    public struct Row: Sendable {
        public var count: Int
        public var match: CanonicalMatch
    }

    public let limit: Int
    public private(set) var rows: [String: Row] = [:]
    public private(set) var untracked = 0

    public init(limit: Int = 1_000_000) { self.limit = limit }

    public mutating func record(_ raw: String, _ match: CanonicalMatch) {
        if rows[raw] != nil {
            rows[raw]!.count += 1
        } else if rows.count < limit {
            rows[raw] = Row(count: 1, match: match)
        } else {
            untracked += 1
        }
    }
}

/// Learning title variants from an input: the spellings no dictionary mapped are clustered
/// (`VariantClusterer`), and each cluster's other spellings map to its most frequent one.
public enum TitleVariantLearning {
    /// What was learned: the clusters, largest first, and the mappings they add (raw spelling → its
    /// cluster's canonical title, confidence 0.5, method `.learned`), in cluster order.
    public struct Learned: Sendable {
        public var clusters: [VariantClusterer.Cluster] = []
        public var titles: [(raw: String, match: CanonicalMatch)] = []
        public init() {}
    }

    /// Learns from every distinct title of an input with its count and its dictionary mapping.
    /// - Parameters:
    ///   - mapping: each distinct title's mapping (`.none` when left alone).
    ///   - counts: how often each title occurs.
    ///   - limit: the most frequent left-alone spellings the clusters are learned from.
    ///   - threads: workers for the neighbour search (nil: all cores); the result does not depend on it.
    public static func learn(mapping: [String: CanonicalMatch], counts: [String: Int], limit: Int, threads: Int? = nil) -> Learned {
        var leftAlone: [(String, Int)] = []
        for (value, match) in mapping where match.method == .none { leftAlone.append((value, counts[value] ?? 0)) }
        leftAlone.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        var values: [String: Int] = [:]
        for (value, count) in leftAlone.prefix(limit) { values[value] = count }
        var learned = Learned()
        learned.clusters = VariantClusterer.clusters(values, threads: threads)
        for cluster in learned.clusters {
            guard let name = mapping[cluster.name] else { continue }
            for (member, _) in cluster.members where member != cluster.name {
                guard let own = mapping[member], own.canonical != name.canonical else { continue }
                let match = CanonicalMatch(canonical: name.canonical, occupation: nil, seniority: own.seniority, confidence: 0.5, method: .learned)
                learned.titles.append((member, match))
            }
        }
        return learned
    }
}
