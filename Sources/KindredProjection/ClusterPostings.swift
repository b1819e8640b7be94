import KindredSimilarity

/// The index members' TF-IDF entries by feature and cluster, for the term vote. Within cluster c,
/// feature f's entries are one slot: a dense row (one value per member of c, in member order, 0 where
/// a member lacks f) when at least `denseShare` of c's members have f, else a sparse run of
/// (member, value) pairs, members ascending. A query's feature is found in a cluster by a binary
/// search among the feature's slots (one per cluster that has it, clusters ascending).
///
/// Summing a query's weighted entries into member scores gives the same bits either way: a dense row
/// adds an exact +0 to the members that lack the feature, and every member still receives its terms
/// in the query's column order. Derived from `TermSpace.members` when a projector is made; not stored.
struct ClusterPostings: Sendable {
    /// Feature f, in the cluster at position `cluster`.
    struct Slot: Sendable {
        var cluster: UInt32
        var dense: Bool
        /// Dense: where the row starts in `denseValues` (one value per cluster member). Sparse: where
        /// the run starts in `sparseMembers` and `sparseValues`.
        var start: Int
        /// Entries of a sparse run (members of the cluster with the feature).
        var count: Int
    }

    /// Feature f's slots are `slotOffsets[f]..<slotOffsets[f+1]` of `slots`, clusters ascending.
    let slotOffsets: [Int]
    let slots: [Slot]
    let denseValues: [Float]
    let sparseMembers: [UInt32]
    let sparseValues: [Float]

    /// A feature is stored densely in a cluster when at least this share of its members have it: a
    /// dense row costs one vector multiply-add per member, a sparse entry a scattered add.
    static let denseShare = 0.125

    /// Features beyond the members' columns have no slots.
    var featureCount: Int { slotOffsets.count - 1 }

    /// - Precondition: `memberOffsets` ascend from 0 to `members.rowCount`; columns ascend within a row.
    init(members: SparseVectors, memberOffsets: [Int]) {
        let features = members.columnCount
        let clusters = memberOffsets.count - 1
        precondition(clusters >= 0 && memberOffsets.first == 0 && memberOffsets.last == members.rowCount, "member offsets must cover the members")
        // Pass 1: how many clusters have each feature.
        var slotOffsets = [Int](repeating: 0, count: features + 1)
        var lastCluster = [Int](repeating: -1, count: features)
        for c in 0..<clusters {
            for m in memberOffsets[c]..<memberOffsets[c + 1] {
                for e in members.offsets[m]..<members.offsets[m + 1] {
                    let f = Int(members.columns[e])
                    if lastCluster[f] != c {
                        lastCluster[f] = c
                        slotOffsets[f + 1] += 1
                    }
                }
            }
        }
        for f in 0..<features { slotOffsets[f + 1] += slotOffsets[f] }
        // Pass 2: cluster by cluster, each feature's slot (dense or sparse), then the entries.
        var slots = [Slot](repeating: Slot(cluster: 0, dense: false, start: 0, count: 0), count: slotOffsets[features])
        var cursor = Array(slotOffsets.dropLast())
        var count = [Int](repeating: 0, count: features)
        var slotOf = [Int](repeating: 0, count: features)
        var fill = [Int](repeating: 0, count: features)
        var touched: [Int] = []
        var denseValues: [Float] = []
        var sparseMembers: [UInt32] = []
        var sparseValues: [Float] = []
        for c in 0..<clusters {
            let first = memberOffsets[c]
            let size = memberOffsets[c + 1] - first
            touched.removeAll(keepingCapacity: true)
            for m in first..<memberOffsets[c + 1] {
                for e in members.offsets[m]..<members.offsets[m + 1] {
                    let f = Int(members.columns[e])
                    if count[f] == 0 { touched.append(f) }
                    count[f] += 1
                }
            }
            for f in touched {
                let s = cursor[f]
                cursor[f] += 1
                slotOf[f] = s
                if Double(count[f]) >= ClusterPostings.denseShare * Double(size) {
                    slots[s] = Slot(cluster: UInt32(c), dense: true, start: denseValues.count, count: count[f])
                    denseValues.append(contentsOf: repeatElement(0, count: size))
                } else {
                    slots[s] = Slot(cluster: UInt32(c), dense: false, start: sparseMembers.count, count: count[f])
                    fill[f] = sparseMembers.count
                    sparseMembers.append(contentsOf: repeatElement(0, count: count[f]))
                    sparseValues.append(contentsOf: repeatElement(0, count: count[f]))
                }
            }
            for m in first..<memberOffsets[c + 1] {
                for e in members.offsets[m]..<members.offsets[m + 1] {
                    let f = Int(members.columns[e])
                    let slot = slots[slotOf[f]]
                    if slot.dense {
                        denseValues[slot.start + m - first] = members.values[e]
                    } else {
                        sparseMembers[fill[f]] = UInt32(m)
                        sparseValues[fill[f]] = members.values[e]
                        fill[f] += 1
                    }
                }
            }
            for f in touched { count[f] = 0 }
        }
        self.slotOffsets = slotOffsets
        self.slots = slots
        self.denseValues = denseValues
        self.sparseMembers = sparseMembers
        self.sparseValues = sparseValues
    }
}
