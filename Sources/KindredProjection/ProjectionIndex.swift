import KindredCore
import KindredSimilarity

/// How an out-of-sample person is given a cluster.
public enum ProjectionMethod: String, Codable, Sendable, CaseIterable {
    /// The cluster of the nearest centroid (cosine with the TF-IDF centroids; in the embedding for
    /// models of format 2): fastest.
    case centroid
    /// A similarity-weighted vote of the k nearest labelled sample people, searched (sgemm tiles) among
    /// the members of the `probes` clusters whose centroids are nearest (all clusters with probes = 0).
    case vote
}

/// Why a person was left unassigned (never a silent guess).
public enum UnassignedReason: String, Sendable, CaseIterable {
    /// The person has neither skills nor titles: nothing to compare.
    case noFeatures = "no_skills_or_titles"
    /// The person has skills or titles, but none the model knows (not in its vocabulary).
    case unknownFeatures = "no_known_skills_or_titles"
    /// Nothing in the model is similar at all (every score ≤ 0).
    case noSimilarPeople = "no_similar_people"
}

/// The cluster a person was projected to.
public struct Assignment: Sendable, Equatable {
    /// The cluster id, nil when unassigned.
    public var cluster: Int32?
    /// Vote: the winning cluster's share of the neighbours' similarity (0…1). Centroid: the cosine
    /// to the winning centroid.
    public var confidence: Float
    /// The runner-up cluster (next centroid, or the next cluster in the vote), if any.
    public var second: Int32?
    public var reason: UnassignedReason?

    public init(cluster: Int32?, confidence: Float, second: Int32?, reason: UnassignedReason?) {
        self.cluster = cluster
        self.confidence = confidence
        self.second = second
        self.reason = reason
    }

    public static func unassigned(_ reason: UnassignedReason) -> Assignment {
        Assignment(cluster: nil, confidence: 0, second: nil, reason: reason)
    }
}

/// What projection compares people against: the embedding basis, the cluster centroids and the
/// labelled sample vectors grouped by cluster. Built from the clustered sample; stored in the model.
public struct ProjectionIndex: Sendable, Equatable {
    /// Embedding dimensions d.
    public let dimensions: Int
    /// Cluster ids, ascending; cluster `clusterIDs[c]` owns centroid row c and member range c.
    public let clusterIDs: [Int32]
    /// C × d row-major unit centroids.
    public let centroids: [Float]
    /// n × d row-major unit sample vectors, grouped by cluster (cluster c's rows are
    /// `memberOffsets[c]..<memberOffsets[c+1]`), in sample order within a cluster.
    public let members: [Float]
    public let memberOffsets: [Int]
    /// The same clusters and members in the TF-IDF space (exact), which projection uses when present;
    /// nil in models written before it (format 2), which project in the embedding.
    public let terms: TermSpace?

    public var clusterCount: Int { clusterIDs.count }
    public var memberCount: Int { memberOffsets.last ?? 0 }

    /// - Precondition: shapes agree (`centroids` C × d, `members` n × d, offsets C + 1 ascending from 0).
    public init(dimensions: Int, clusterIDs: [Int32], centroids: [Float], members: [Float], memberOffsets: [Int], terms: TermSpace? = nil) {
        precondition(centroids.count == clusterIDs.count * dimensions, "centroids must be C × d")
        precondition(memberOffsets.count == clusterIDs.count + 1 && memberOffsets.first == 0, "member offsets must be C + 1, from 0")
        precondition(members.count == (memberOffsets.last ?? 0) * dimensions, "members must be n × d")
        self.dimensions = dimensions
        self.clusterIDs = clusterIDs
        self.centroids = centroids
        self.members = members
        self.memberOffsets = memberOffsets
        precondition(terms.map { $0.members.rowCount == (memberOffsets.last ?? 0) } ?? true, "one term vector per member")
        self.terms = terms
    }

    /// This index with `terms` as its TF-IDF space (the same clusters and members, in the same order).
    public func with(terms: TermSpace?) -> ProjectionIndex {
        ProjectionIndex(dimensions: dimensions, clusterIDs: clusterIDs, centroids: centroids, members: members, memberOffsets: memberOffsets, terms: terms)
    }

    /// Builds the index from the sample's unit embeddings (n × d) and their cluster labels. People
    /// with a zero embedding (no known features) are left out; a cluster with no one left is dropped.
    /// Centroids are the normalised means of the members' unit vectors.
    public static func build(embedding: DenseMatrix, labels: [Int32]) -> ProjectionIndex { buildWithRows(embedding: embedding, labels: labels).index }

    /// `build`, also giving the sample row of each member, in member order.
    public static func buildWithRows(embedding: DenseMatrix, labels: [Int32]) -> (index: ProjectionIndex, rows: [Int]) {
        precondition(labels.count == embedding.rows, "one label per embedded person")
        let d = embedding.columns
        var rowsByCluster: [Int32: [Int]] = [:]
        embedding.values.withUnsafeBufferPointer { v in
            for r in 0..<embedding.rows {
                var norm: Float = 0
                for c in 0..<d { norm += v[r * d + c] * v[r * d + c] }
                if norm > 0 { rowsByCluster[labels[r], default: []].append(r) }
            }
        }
        let ids = rowsByCluster.keys.sorted()
        var centroids = [Float](repeating: 0, count: ids.count * d)
        var members = [Float](repeating: 0, count: rowsByCluster.values.reduce(0) { $0 + $1.count } * d)
        var offsets = [0]
        var memberRows: [Int] = []
        memberRows.reserveCapacity(members.count / max(d, 1))
        embedding.values.withUnsafeBufferPointer { v in
            var next = 0
            for (c, id) in ids.enumerated() {
                var sum = [Double](repeating: 0, count: d)
                for r in rowsByCluster[id]! {
                    memberRows.append(r)
                    for j in 0..<d {
                        members[next * d + j] = v[r * d + j]
                        sum[j] += Double(v[r * d + j])
                    }
                    next += 1
                }
                offsets.append(next)
                let norm = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
                for j in 0..<d { centroids[c * d + j] = norm > 0 ? Float(sum[j] / norm) : 0 }
            }
        }
        return (ProjectionIndex(dimensions: d, clusterIDs: ids, centroids: centroids, members: members, memberOffsets: offsets), memberRows)
    }
}
