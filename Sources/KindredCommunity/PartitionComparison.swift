#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Similarity measures between two partitions of the same elements (e.g. detected communities
/// against ground truth). Labels are arbitrary `UInt32` values; only which elements share a label
/// matters, so relabelling either partition does not change the result.
public enum PartitionComparison {
    /// How much of each community of `reference` another partition keeps together: for community c,
    /// |c ∩ d| / max(|c|, |d|), where d is the community of `other` holding most of c's members (ties:
    /// the smaller label). 1 when `other` has exactly c; a split or a merge lowers it. Only elements with
    /// `include[i]` count (all when nil); a community with no counted member scores 1.
    /// - Returns: one share per label 0…max of `reference`.
    /// - Complexity: O(n log n).
    public static func keptShares(reference: [UInt32], other: [UInt32], include: [Bool]? = nil) -> [Double] {
        precondition(reference.count == other.count, "partitions differ in length")
        let communities = Int(reference.max().map { $0 + 1 } ?? 0)
        var sizes = [Int](repeating: 0, count: communities)
        var otherSizes: [UInt32: Int] = [:]
        var pairs: [UInt64] = []
        pairs.reserveCapacity(reference.count)
        for i in reference.indices where include?[i] ?? true {
            sizes[Int(reference[i])] += 1
            otherSizes[other[i], default: 0] += 1
            pairs.append(UInt64(reference[i]) << 32 | UInt64(other[i]))
        }
        pairs.sort()
        var best = [(count: Int, label: UInt32)](repeating: (0, 0), count: communities)
        var i = 0
        while i < pairs.count {
            var j = i
            while j < pairs.count && pairs[j] == pairs[i] { j += 1 }
            let c = Int(pairs[i] >> 32)
            let d = UInt32(pairs[i] & 0xFFFF_FFFF)
            if j - i > best[c].count { best[c] = (j - i, d) }
            i = j
        }
        return (0..<communities).map { c in
            guard sizes[c] > 0 else { return 1 }
            return Double(best[c].count) / Double(max(sizes[c], otherSizes[best[c].label] ?? 0))
        }
    }

    /// Normalised mutual information with arithmetic-mean normalisation,
    /// NMI = I(A; B) / ((H(A) + H(B)) / 2), as scikit-learn's `normalized_mutual_info_score` by
    /// default (Strehl & Ghosh 2002 with the arithmetic mean; Vinh, Epps & Bailey 2010, JMLR 11).
    ///
    /// Special cases follow scikit-learn: 1 when both partitions put all elements in one community
    /// (or there are no elements); 0 when the mutual information is 0 otherwise.
    ///
    /// - Parameters:
    ///   - a: A label per element.
    ///   - b: A label per element (same count as `a`).
    /// - Returns: NMI in [0, 1]; 1 for identical partitions.
    /// - Complexity: O(n log n).
    public static func normalizedMutualInformation(_ a: [UInt32], _ b: [UInt32]) -> Double {
        let table = Contingency(a, b)
        if table.rowSums.count == table.columnSums.count && table.rowSums.count <= 1 { return 1 }
        let n = Double(table.total)
        // I = Σ n_ij/n · log(n · n_ij / (a_i · b_j))
        var mutual = 0.0
        for cell in table.cells {
            let nij = Double(cell.count)
            let rowColumn = Double(table.rowSums[cell.row]) * Double(table.columnSums[cell.column])
            mutual += nij / n * (log(n * nij) - log(rowColumn))
        }
        if mutual <= 0 { return 0 }
        let hA = entropy(table.rowSums, total: n)
        let hB = entropy(table.columnSums, total: n)
        let normaliser = (hA + hB) / 2
        guard normaliser > 0 else { return 1 }
        return min(1, max(0, mutual / normaliser))
    }

    /// Adjusted Rand index (Hubert & Arabie 1985, doi:10.1007/BF01908075): the Rand index corrected for
    /// chance, (index − expected) / (max − expected) over pairs of elements, as scikit-learn's
    /// `adjusted_rand_score`.
    ///
    /// - Parameters:
    ///   - a: A label per element.
    ///   - b: A label per element (same count as `a`).
    /// - Returns: ARI ≤ 1: 1 for identical partitions, about 0 for independent ones, possibly negative.
    ///   1 in the degenerate cases where it is undefined (fewer than two elements, or max = expected,
    ///   e.g. both partitions all singletons or both a single community).
    /// - Complexity: O(n log n).
    public static func adjustedRandIndex(_ a: [UInt32], _ b: [UInt32]) -> Double {
        let table = Contingency(a, b)
        guard table.total >= 2 else { return 1 }
        func pairs(_ x: Int) -> Double { Double(x) * Double(x - 1) / 2 }
        var index = 0.0
        for cell in table.cells { index += pairs(cell.count) }
        var sumA = 0.0
        for count in table.rowSums { sumA += pairs(count) }
        var sumB = 0.0
        for count in table.columnSums { sumB += pairs(count) }
        let expected = sumA * sumB / pairs(table.total)
        let maximum = (sumA + sumB) / 2
        let denominator = maximum - expected
        if denominator == 0 { return 1 }
        return (index - expected) / denominator
    }

    private static func entropy(_ counts: [Int], total: Double) -> Double {
        var h = 0.0
        for count in counts where count > 0 {
            let p = Double(count) / total
            h -= p * log(p)
        }
        return h
    }
}

/// The sparse contingency table of two labellings.
struct Contingency {
    struct Cell {
        var row: Int
        var column: Int
        var count: Int
    }

    /// Non-zero cells.
    var cells: [Cell] = []
    /// Elements per label of the first partition (labels renumbered by first appearance).
    var rowSums: [Int]
    /// Elements per label of the second partition.
    var columnSums: [Int]
    /// The number of elements.
    var total: Int

    init(_ a: [UInt32], _ b: [UInt32]) {
        precondition(a.count == b.count, "partitions have different sizes: \(a.count) and \(b.count)")
        let (rows, rowCount) = Partition.labelsByFirstAppearance(a)
        let (columns, columnCount) = Partition.labelsByFirstAppearance(b)
        total = a.count
        rowSums = [Int](repeating: 0, count: rowCount)
        columnSums = [Int](repeating: 0, count: columnCount)
        var keys = [UInt64](repeating: 0, count: total)
        for i in 0..<total {
            rowSums[Int(rows[i])] += 1
            columnSums[Int(columns[i])] += 1
            keys[i] = UInt64(rows[i]) << 32 | UInt64(columns[i])
        }
        keys.sort()
        var i = 0
        while i < total {
            let key = keys[i]
            var j = i
            while j < total && keys[j] == key { j += 1 }
            cells.append(Cell(row: Int(key >> 32), column: Int(key & 0xFFFF_FFFF), count: j - i))
            i = j
        }
    }
}
