import Foundation
import KindredPeople

/// What a person's skills say about their occupation, from a catalogue that lists each occupation's
/// skills (O*NET's Technology Skills): a skill supports the occupations that list it, weighted by its
/// rarity (idf over occupations), so "Microsoft Excel", listed almost everywhere, says little and
/// "AutoCAD Civil 3D" a lot.
///
/// `PersonCleaner` uses it to check the current title's nearest-match mapping against the whole person:
/// when the person's
/// skills point clearly at other occupations and give the mapped one (almost) no support, the mapping
/// is demoted (`contradicted`, confidence halved) and listed in the mapping report.
public struct OccupationEvidence: Sendable {
    /// Canonical skill text → (the occupations listing it, as indices into `occupationIDs`, ascending;
    /// the skill's weight).
    private let bySkill: [String: (occupations: [Int32], weight: Double)]
    /// Occupation ids in ascending order (so a smaller index is a smaller id).
    private let occupationIDs: [String]
    private let occupationIndex: [String: Int32]

    /// Below this share of the person's skill weight a mapped occupation counts as unsupported.
    public static let unsupportedBelow = 0.1
    /// The skills' own best occupation must carry at least this share to contradict a mapping.
    public static let contradictsFrom = 0.5
    /// Informative skills (in the catalogue, not listed by every occupation) a person needs before their
    /// skills can contradict a title.
    public static let minimumSkills = 3

    public init(catalog: OccupationCatalog) {
        let ids = Array(Set(catalog.occupations.map(\.id))).sorted()
        var index: [String: Int32] = [:]
        for (i, id) in ids.enumerated() { index[id] = Int32(i) }
        var lists: [String: [Int32]] = [:]
        for occupation in catalog.occupations {
            for skill in Set(occupation.skills) { lists[skill, default: []].append(index[occupation.id]!) }
        }
        let n = Double(max(catalog.occupations.count, 1))
        var bySkill: [String: (occupations: [Int32], weight: Double)] = [:]
        // idf over occupations: a skill every occupation lists weighs 0 and is no evidence.
        for (skill, list) in lists where list.count < catalog.occupations.count {
            bySkill[skill] = (Array(Set(list)).sorted(), log(n / Double(list.count)))
        }
        self.bySkill = bySkill
        occupationIDs = ids
        occupationIndex = index
    }

    /// Whether the catalogue lists any skills at all.
    public var isEmpty: Bool { bySkill.isEmpty }

    /// The evidence of a catalogue, or nil when it lists no informative skills (nothing to vote with).
    public static func of(_ catalog: OccupationCatalog) -> OccupationEvidence? {
        let evidence = OccupationEvidence(catalog: catalog)
        return evidence.isEmpty ? nil : evidence
    }

    /// The skill weight supporting each occupation (indexed as `occupationIDs`), summed over the
    /// person's distinct known skills in text order (a fixed order: the same sums on every run), and
    /// the total; nil when fewer than `minimumSkills` of the skills are in the catalogue.
    private func sums(_ skills: [String]) -> (sums: [Double], total: Double)? {
        var known: [(skill: String, occupations: [Int32], weight: Double)] = []
        known.reserveCapacity(skills.count)
        for skill in skills {
            if let entry = bySkill[skill] { known.append((skill, entry.occupations, entry.weight)) }
        }
        known.sort { $0.skill < $1.skill }
        var sums = [Double](repeating: 0, count: occupationIDs.count)
        var total = 0.0
        var distinct = 0
        for (i, entry) in known.enumerated() where i == 0 || known[i - 1].skill != entry.skill {
            distinct += 1
            total += entry.weight
            for o in entry.occupations { sums[Int(o)] += entry.weight }
        }
        guard distinct >= OccupationEvidence.minimumSkills, total > 0 else { return nil }
        return (sums, total)
    }

    /// The best-supported occupation's index and share (ties: the smaller id).
    private static func best(_ sums: [Double], total: Double) -> (index: Int, share: Double) {
        var best = 0
        for o in sums.indices where sums[o] > sums[best] { best = o }
        return (best, sums[best] / total)
    }

    /// The share of the person's (known) skill weight that supports each occupation, and the best one.
    /// Nil when fewer than `minimumSkills` of the skills are in the catalogue.
    public func support(skills: [String]) -> (shares: [String: Double], best: (occupation: String, share: Double))? {
        guard let (sums, total) = sums(skills) else { return nil }
        var shares: [String: Double] = [:]
        for (o, sum) in sums.enumerated() where sum > 0 { shares[occupationIDs[o]] = sum / total }
        let best = OccupationEvidence.best(sums, total: total)
        return (shares, (occupationIDs[best.index], best.share))
    }

    /// Whether the skills contradict mapping a title to `occupation`.
    public static func contradicts(_ support: (shares: [String: Double], best: (occupation: String, share: Double)), occupation: String) -> Bool {
        contradicts(mappedShare: support.shares[occupation] ?? 0, bestShare: support.best.share, bestIsMapped: support.best.occupation == occupation)
    }

    /// The rule: the mapped occupation gets (almost) no support while another gets a clear share.
    private static func contradicts(mappedShare: Double, bestShare: Double, bestIsMapped: Bool) -> Bool {
        mappedShare < unsupportedBelow && bestShare >= contradictsFrom && !bestIsMapped
    }

    /// Whether `skills` contradict mapping a title to `occupation`: the same answer as
    /// `contradicts(support(skills:)!, occupation:)` (false without a vote), without building the
    /// per-occupation table (what `PersonCleaner` calls for every nearest-match current title).
    public func contradicts(skills: [String], occupation: String) -> Bool {
        guard let (sums, total) = sums(skills) else { return false }
        let best = OccupationEvidence.best(sums, total: total)
        let mapped = occupationIndex[occupation].map { sums[Int($0)] / total } ?? 0
        return OccupationEvidence.contradicts(mappedShare: mapped, bestShare: best.share, bestIsMapped: occupationIDs[best.index] == occupation)
    }
}
