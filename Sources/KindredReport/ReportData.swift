import Foundation

/// Everything the HTML report shows, gathered by the pipeline (no file access here). Holds counts,
/// canonical titles and skills and pseudonymous ids only: never names, e-mails or raw ids.
public struct ReportData: Sendable {
    /// One cluster as the report shows it.
    public struct Cluster: Sendable {
        public var id: Int32
        /// People assigned to it (everyone), and how many of them were in the clustered sample.
        public var size: Int
        public var sampleSize: Int
        public var topTitles: [(String, Int)]
        public var topSkills: [(String, Int)]
        /// Pseudonymous ids of the sample members closest to the centroid.
        public var typicalMembers: [String]
        /// The clusters with the most similar centroids (cosine).
        public var nearest: [(Int32, Double)]
        /// Position on the 2-D map (nil: not drawn; the map shows the largest clusters).
        public var position: (x: Double, y: Double)?
        /// Previous-run status: kept, born.
        public var born: Bool

        public init(id: Int32, size: Int, sampleSize: Int, topTitles: [(String, Int)], topSkills: [(String, Int)], typicalMembers: [String], nearest: [(Int32, Double)], position: (x: Double, y: Double)?, born: Bool) {
            self.id = id
            self.size = size
            self.sampleSize = sampleSize
            self.topTitles = topTitles
            self.topSkills = topSkills
            self.typicalMembers = typicalMembers
            self.nearest = nearest
            self.position = position
            self.born = born
        }
    }

    /// What changed since the previous run.
    public struct Changes: Sendable {
        public var previousKey: String
        public var idsKept: Double
        public var ari: Double
        public var inBoth: Int
        public var joined: Int
        public var left: Int
        public var moved: Int
        public var movedRecordChanged: Int
        public var born: [Int32]
        public var gone: [Int32]
        public var split: [(Int32, [(Int32, Int)])]
        public var merged: [(Int32, [(Int32, Int)])]
        /// Largest flows of people between different clusters: from, to, people.
        public var flows: [(Int32?, Int32?, Int)]

        public init(previousKey: String, idsKept: Double, ari: Double, inBoth: Int, joined: Int, left: Int, moved: Int, movedRecordChanged: Int, born: [Int32], gone: [Int32], split: [(Int32, [(Int32, Int)])], merged: [(Int32, [(Int32, Int)])], flows: [(Int32?, Int32?, Int)]) {
            self.previousKey = previousKey
            self.idsKept = idsKept
            self.ari = ari
            self.inBoth = inBoth
            self.joined = joined
            self.left = left
            self.moved = moved
            self.movedRecordChanged = movedRecordChanged
            self.born = born
            self.gone = gone
            self.split = split
            self.merged = merged
            self.flows = flows
        }
    }

    public var runKey: String
    /// The month the run's data is dated (`YYYY-MM`, the run's as-of month), for the cover; nil: not shown.
    public var asOf: String?
    public var kindredVersion: String
    public var configHash: String
    public var inputSHA256: String
    /// Label → value rows of the run summary (counts and settings).
    public var summary: [(String, String)] = []
    /// Reconciliation: read, clean, quarantined, assigned, unassigned, projection quarantined.
    public var read = 0, written = 0, quarantined = 0, assigned = 0, unassigned = 0, projectionQuarantined = 0
    public var unassignedReasons: [(String, Int)] = []
    public var clusters: [Cluster] = []
    public var stability: [(seed: UInt64, ari: Double)] = []
    /// Robustness to the seed and to people left out, per cluster (nil: not measured).
    public var robustness: PartitionRobustness?
    public var changes: Changes?
    /// How a few sample people's score against their own cluster moves as one factor is stepped
    /// (`kindred sensitivity`); empty when not measured.
    public var sensitivity: [SensitivityCurve] = []
    /// Label → value rows of the evaluation against ground truth, when given.
    public var evaluation: [(String, String)] = []

    public init(runKey: String, kindredVersion: String, configHash: String, inputSHA256: String) {
        self.runKey = runKey
        self.kindredVersion = kindredVersion
        self.configHash = configHash
        self.inputSHA256 = inputSHA256
    }
}

/// The paper a printed report is laid out for.
public enum PageSize: String, Sendable, CaseIterable {
    /// ISO A4, 210 × 297 mm (the default).
    case a4
    /// US Letter, 8.5 × 11 in.
    case letter

    /// The CSS `@page` size keyword.
    public var cssName: String { self == .a4 ? "A4" : "letter" }
}

/// One person's response to one factor, for the report's sensitivity chart: the step values and
/// their score against the person's own cluster, and the steps where the cluster flips.
public struct SensitivityCurve: Sendable, Equatable {
    public var factor: String
    /// The step unit ("month", "switch").
    public var unit: String
    /// The person's label in the chart ("person 3", never an id) and own cluster.
    public var person: String
    public var cluster: Int32
    public var points: [(x: Double, y: Double)]
    public var flips: [Double]

    public init(factor: String, unit: String, person: String, cluster: Int32, points: [(x: Double, y: Double)], flips: [Double]) {
        self.factor = factor
        self.unit = unit
        self.person = person
        self.cluster = cluster
        self.points = points
        self.flips = flips
    }

    public static func == (a: SensitivityCurve, b: SensitivityCurve) -> Bool {
        a.factor == b.factor && a.unit == b.unit && a.person == b.person && a.cluster == b.cluster && a.points.map(\.x) == b.points.map(\.x)
            && a.points.map(\.y) == b.points.map(\.y) && a.flips == b.flips
    }
}

/// A 2-D layout of cluster centroids in which near means similar: metric multidimensional scaling
/// (SMACOF stress majorization, de Leeuw 1977) of the centroids' Euclidean distances, started from
/// their first two principal components. Deterministic: fixed start, fixed iteration count, signs
/// fixed. A plain projection piles up clusters whose centroids are near-orthogonal; MDS spreads them.
public enum ClusterMap {
    /// - Parameters:
    ///   - centroids: C × d row-major unit vectors.
    /// - Returns: C points scaled into [-1, 1].
    /// The most clusters a map shows (the largest ones): more would not be readable.
    public static let mostDrawn = 300

    public static func layout(centroids: [Float], count: Int, dimensions d: Int, iterations: Int = 300) -> [(x: Double, y: Double)] {
        guard count > 0 else { return [] }
        guard count > 1 else { return [(0, 0)] }
        let n = count
        // O(n²) per iteration: fewer iterations for many clusters (at most ~3·10⁸ steps in all).
        let iterations = min(iterations, max(20, 300_000_000 / (n * n)))
        // Target distances between centroids.
        var target = [Double](repeating: 0, count: n * n)
        var gram = [Double](repeating: 0, count: n * n)
        var mean = [Double](repeating: 0, count: d)
        for c in 0..<n { for j in 0..<d { mean[j] += Double(centroids[c * d + j]) / Double(n) } }
        for a in 0..<n {
            for b in a..<n {
                var dist = 0.0, g = 0.0
                for j in 0..<d {
                    let x = Double(centroids[a * d + j]), y = Double(centroids[b * d + j])
                    dist += (x - y) * (x - y)
                    g += (x - mean[j]) * (y - mean[j])
                }
                target[a * n + b] = dist.squareRoot()
                target[b * n + a] = dist.squareRoot()
                gram[a * n + b] = g
                gram[b * n + a] = g
            }
        }
        // Start: the first two principal components (power iteration on the centred Gram matrix).
        func power(_ deflate: [Double]?) -> [Double] {
            var v = (0..<n).map { 1.0 + Double($0 % 7) / 7.0 }
            var value = 0.0
            for _ in 0..<200 {
                var w = [Double](repeating: 0, count: n)
                for a in 0..<n { for b in 0..<n { w[a] += gram[a * n + b] * v[b] } }
                if let u = deflate {
                    var dot = 0.0
                    for i in 0..<n { dot += w[i] * u[i] }
                    for i in 0..<n { w[i] -= dot * u[i] }
                }
                let norm = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
                guard norm > 1e-12 else { return [Double](repeating: 0, count: n) }
                value = norm
                v = w.map { $0 / norm }
            }
            return v.map { $0 * value.squareRoot() }
        }
        let first = power(nil)
        let second = power(first.map { $0 / max(first.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12) })
        var x = [Double](repeating: 0, count: n)
        var y = [Double](repeating: 0, count: n)
        for i in 0..<n {
            // A small fixed spiral offset separates clusters the projection puts on one spot.
            let angle = Double(i) * 2.399963
            let r = 0.02 * (Double(i + 1) / Double(n)).squareRoot()
            x[i] = first[i] + r * cos(angle)
            y[i] = second[i] + r * sin(angle)
        }
        // SMACOF: the Guttman transform, unit weights.
        var nx = x, ny = y
        for _ in 0..<iterations {
            for i in 0..<n {
                var sx = 0.0, sy = 0.0
                for j in 0..<n where j != i {
                    let dx = x[i] - x[j], dy = y[i] - y[j]
                    let dist = (dx * dx + dy * dy).squareRoot()
                    let ratio = dist > 1e-12 ? target[i * n + j] / dist : 0
                    sx += ratio * dx
                    sy += ratio * dy
                }
                // X ← (1/n) B(X) X for a centred X: (1/n) Σ_j ratio_ij (x_i − x_j).
                nx[i] = sx / Double(n)
                ny[i] = sy / Double(n)
            }
            let cx = nx.reduce(0, +) / Double(n), cy = ny.reduce(0, +) / Double(n)
            for i in 0..<n {
                x[i] = nx[i] - cx
                y[i] = ny[i] - cy
            }
        }
        // Signs fixed: the point farthest from the centre lies right and up.
        let radius: [Double] = (0..<n).map { (i: Int) -> Double in x[i] * x[i] + y[i] * y[i] }
        if let far = (0..<n).max(by: { radius[$0] < radius[$1] }) {
            if x[far] < 0 { x = x.map { -$0 } }
            if y[far] < 0 { y = y.map { -$0 } }
        }
        let scale = max(x.map(abs).max() ?? 0, y.map(abs).max() ?? 0, 1e-12)
        return (0..<n).map { (x[$0] / scale, y[$0] / scale) }
    }
}

/// How robust a run's partition is: the sample clustered again with other seeds and with a share of its
/// people left out, overall (ARI) and per cluster (share of members kept together).
public struct PartitionRobustness: Sendable, Equatable {
    /// One cluster's robustness.
    public struct Cluster: Sendable, Equatable {
        /// The cluster's stable id.
        public var id: Int32
        /// Its members in the clustered sample.
        public var sampleSize: Int
        /// Mean over the other seeds of the share of members kept together (nil: no other seeds).
        public var keptAcrossSeeds: Double?
        /// The share of its remaining members kept together with the left-out people removed (nil: not checked).
        public var keptWithPeopleLeftOut: Double?

        public init(id: Int32, sampleSize: Int, keptAcrossSeeds: Double?, keptWithPeopleLeftOut: Double?) {
            self.id = id
            self.sampleSize = sampleSize
            self.keptAcrossSeeds = keptAcrossSeeds
            self.keptWithPeopleLeftOut = keptWithPeopleLeftOut
        }
    }

    /// The lowest ARI between this run and a reclustering with another seed (nil: no other seeds).
    public var worstSeedARI: Double?
    /// The share of people left out, how many were, and the ARI over everyone else (nil: not checked).
    public var leftOutShare: Double
    public var leftOutPeople: Int
    public var leftOutARI: Double?
    /// Per cluster, by id.
    public var clusters: [Cluster]

    public init(worstSeedARI: Double?, leftOutShare: Double, leftOutPeople: Int, leftOutARI: Double?, clusters: [Cluster]) {
        self.worstSeedARI = worstSeedARI
        self.leftOutShare = leftOutShare
        self.leftOutPeople = leftOutPeople
        self.leftOutARI = leftOutARI
        self.clusters = clusters
    }
}
