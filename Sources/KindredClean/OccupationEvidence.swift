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
    /// Canonical skill text → (occupation ids listing it, the skill's weight).
    private let bySkill: [String: (occupations: [String], weight: Double)]

    /// Below this share of the person's skill weight a mapped occupation counts as unsupported.
    public static let unsupportedBelow = 0.1
    /// The skills' own best occupation must carry at least this share to contradict a mapping.
    public static let contradictsFrom = 0.5
    /// Informative skills (in the catalogue, not listed by every occupation) a person needs before their
    /// skills can contradict a title.
    public static let minimumSkills = 3

    public init(catalog: OccupationCatalog) {
        var lists: [String: [String]] = [:]
        for occupation in catalog.occupations {
            for skill in Set(occupation.skills) { lists[skill, default: []].append(occupation.id) }
        }
        let n = Double(max(catalog.occupations.count, 1))
        var bySkill: [String: (occupations: [String], weight: Double)] = [:]
        // idf over occupations: a skill every occupation lists weighs 0 and is no evidence.
        for (skill, ids) in lists where ids.count < catalog.occupations.count { bySkill[skill] = (ids.sorted(), log(n / Double(ids.count))) }
        self.bySkill = bySkill
    }

    /// Whether the catalogue lists any skills at all.
    public var isEmpty: Bool { bySkill.isEmpty }

    /// The evidence of a catalogue, or nil when it lists no informative skills (nothing to vote with).
    public static func of(_ catalog: OccupationCatalog) -> OccupationEvidence? {
        let evidence = OccupationEvidence(catalog: catalog)
        return evidence.isEmpty ? nil : evidence
    }

    /// The share of the person's (known) skill weight that supports each occupation, and the best one.
    /// Nil when fewer than `minimumSkills` of the skills are in the catalogue.
    public func support(skills: [String]) -> (shares: [String: Double], best: (occupation: String, share: Double))? {
        var total = 0.0
        var known = 0
        var sums: [String: Double] = [:]
        for skill in Set(skills) {
            guard let entry = bySkill[skill] else { continue }
            known += 1
            total += entry.weight
            for occupation in entry.occupations { sums[occupation, default: 0] += entry.weight }
        }
        guard known >= OccupationEvidence.minimumSkills, total > 0 else { return nil }
        var shares: [String: Double] = [:]
        var best: (occupation: String, share: Double)?
        for (occupation, sum) in sums {
            let share = sum / total
            shares[occupation] = share
            if best == nil || share > best!.share || (share == best!.share && occupation < best!.occupation) { best = (occupation, share) }
        }
        guard let best else { return nil }
        return (shares, best)
    }

    /// Whether the skills contradict mapping a title to `occupation`.
    public static func contradicts(_ support: (shares: [String: Double], best: (occupation: String, share: Double)), occupation: String) -> Bool {
        (support.shares[occupation] ?? 0) < unsupportedBelow && support.best.share >= contradictsFrom && support.best.occupation != occupation
    }
}
