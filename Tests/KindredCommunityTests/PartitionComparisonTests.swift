import KindredCommunity
import Testing

@Suite("PartitionComparison")
struct PartitionComparisonTests {
    @Test("identical and relabelled partitions score 1")
    func identical() {
        let a: [UInt32] = [0, 0, 1, 1, 2, 2, 2]
        let relabelled: [UInt32] = [9, 9, 4, 4, 0, 0, 0]
        for b in [a, relabelled] {
            #expect(abs(PartitionComparison.normalizedMutualInformation(a, b) - 1) < 1e-12)
            #expect(abs(PartitionComparison.adjustedRandIndex(a, b) - 1) < 1e-12)
        }
    }

    @Test("degenerate partitions follow scikit-learn")
    func degenerate() {
        let one: [UInt32] = [5, 5, 5, 5]
        let singletons: [UInt32] = [0, 1, 2, 3]
        #expect(PartitionComparison.normalizedMutualInformation(one, [1, 1, 1, 1]) == 1)
        #expect(PartitionComparison.normalizedMutualInformation([], []) == 1)
        #expect(PartitionComparison.normalizedMutualInformation(singletons, [3, 2, 1, 0]) == 1)
        // All in one against all apart: no information (sklearn: 0.0 for both measures).
        #expect(PartitionComparison.normalizedMutualInformation(one, singletons) == 0)
        #expect(PartitionComparison.adjustedRandIndex(one, singletons) == 0)
        #expect(PartitionComparison.adjustedRandIndex(one, [1, 1, 1, 1]) == 1)
        #expect(PartitionComparison.adjustedRandIndex(singletons, [3, 2, 1, 0]) == 1)
        #expect(PartitionComparison.adjustedRandIndex([0], [4]) == 1)
    }

    /// Expected values from the textbook formulas evaluated in Python (numpy), the same as
    /// scikit-learn's defaults: NMI = I / ((H(a) + H(b)) / 2) with natural logs;
    /// ARI = (Σ C(n_ij,2) − E) / ((Σ C(a_i,2) + Σ C(b_j,2)) / 2 − E), E = Σ C(a_i,2) Σ C(b_j,2) / C(n,2).
    @Test("hand-computed examples", arguments: [
        ([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2], 0.5158037429793888, 0.24242424242424246),
        ([0, 0, 1, 1], [0, 1, 0, 1], 0.0, -0.5),
        ([0, 0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 1, 1, 1, 2, 2], 0.5119624112418625, 0.3076923076923077),
        ([0, 1, 2, 0, 1, 2, 0, 1, 2], [0, 0, 0, 1, 1, 1, 2, 2, 2], 0.0, -0.3333333333333333),
        ([0, 0, 1, 1, 2, 2], [0, 0, 0, 0, 0, 1], 0.2833925948630293, 0.0),
        ([0, 0, 1, 2], [0, 0, 1, 1], 0.8, 0.5714285714285714),
    ] as [([UInt32], [UInt32], Double, Double)])
    func examples(_ a: [UInt32], _ b: [UInt32], nmi: Double, ari: Double) {
        let gotNMI = PartitionComparison.normalizedMutualInformation(a, b)
        let gotARI = PartitionComparison.adjustedRandIndex(a, b)
        #expect(abs(gotNMI - nmi) < 1e-12, "NMI \(gotNMI)")
        #expect(abs(gotARI - ari) < 1e-12, "ARI \(gotARI)")
        // Both measures are symmetric.
        #expect(abs(PartitionComparison.normalizedMutualInformation(b, a) - gotNMI) < 1e-12)
        #expect(abs(PartitionComparison.adjustedRandIndex(b, a) - gotARI) < 1e-12)
    }
}
