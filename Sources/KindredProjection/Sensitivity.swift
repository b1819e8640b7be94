import KindredPeople

/// One factor of `kindred sensitivity`: a name ("tenure", "switches", "skills", "title"), its unit,
/// and the steps, each a value and the variation that makes it (value 0: the person as they are).
public struct SensitivityFactor: Sendable, Equatable {
    public var name: String
    /// Unit of one step of `value` ("month", "switch", "skill"); nil for a factor without a scale (title).
    public var unit: String?
    public var steps: [(label: String, value: Double, variation: CareerVariation?)]

    public init(name: String, unit: String?, steps: [(label: String, value: Double, variation: CareerVariation?)]) {
        self.name = name
        self.unit = unit
        self.steps = steps
    }

    public static func == (a: SensitivityFactor, b: SensitivityFactor) -> Bool {
        a.name == b.name && a.unit == b.unit && a.steps.map(\.label) == b.steps.map(\.label) && a.steps.map(\.value) == b.steps.map(\.value)
            && a.steps.map(\.variation) == b.steps.map(\.variation)
    }
}

/// One step of one factor for one person.
public struct SensitivityStep: Sendable, Equatable {
    public var factor: String
    public var label: String
    public var value: Double
    /// The projection of the varied person.
    public var assignment: Assignment
    /// The person's own cluster: where the unvaried person is projected.
    public var ownCluster: Int32?
    /// Score against the own cluster and against the best other cluster (centroid scores, tempo
    /// included as the model weighs it), and the other cluster's id.
    public var similarityOwn: Double?
    public var secondCluster: Int32?
    public var similaritySecond: Double?
    /// Share of the unvaried person's vote neighbours still among this step's (vote method only).
    public var neighborOverlap: Double?

    /// similarityOwn − similaritySecond: how far the person sits from the border with the next cluster.
    public var margin: Double? { similarityOwn.flatMap { own in similaritySecond.map { own - $0 } } }
    /// The step's cluster is not the own cluster.
    public var flipped: Bool { assignment.cluster != ownCluster }
}

/// How one factor moved one person's answer.
public struct SensitivitySummary: Sendable, Equatable {
    public var factor: String
    /// The largest change of `similarityOwn` between consecutive steps, and that change per unit of
    /// the factor (nil for title).
    public var largestStepChange: Double
    public var largestChangePerUnit: Double?
    /// The first step (nearest the unvaried person, the smaller value first on ties) whose cluster is
    /// not the own cluster, and the margin the unvaried person had there.
    public var flipAt: String?
    public var baselineMargin: Double?
    /// `similarityOwn` only rises, or only falls, along the steps (nil for title).
    public var monotone: Bool?
}

/// `kindred sensitivity`'s analysis: the person varied one factor at a time, each variant projected
/// with the model, and what moved. Deterministic (projection is); no I/O.
public enum Sensitivity {
    /// The steps and per-factor summaries of `person`.
    /// - Parameters:
    ///   - prepare: applied to each varied person before projection (nothing for clean records).
    ///   - reference: the month open positions run to (the model's tempo reference, or the as-of month).
    public static func analyse(
        _ person: Person, factors: [SensitivityFactor], projector: Projector, scratch: ProjectorScratch, reference: Int
    ) -> (steps: [SensitivityStep], summaries: [SensitivitySummary]) {
        var variants = [person]
        for factor in factors {
            for step in factor.steps { variants.append(step.variation.map { $0.apply(to: person, reference: reference) } ?? person) }
        }
        let details = projector.detail(variants[...], scratch: scratch)
        let base = details[0]
        let own = base.assignment.cluster
        let ownPosition = own.flatMap { projector.clusterPosition($0) }
        let baseNeighbors = Set(base.neighbors)
        var steps: [SensitivityStep] = []
        var summaries: [SensitivitySummary] = []
        var next = 1
        for factor in factors {
            var rows: [SensitivityStep] = []
            for step in factor.steps {
                let d = details[next]
                next += 1
                var row = SensitivityStep(
                    factor: factor.name, label: step.label, value: step.value, assignment: d.assignment, ownCluster: own, similarityOwn: nil,
                    secondCluster: nil, similaritySecond: nil, neighborOverlap: nil)
                if let ownPosition, !d.clusterScores.isEmpty {
                    row.similarityOwn = Double(d.clusterScores[ownPosition])
                    var best: Int?
                    for c in d.clusterScores.indices where c != ownPosition {
                        if best == nil || d.clusterScores[c] > d.clusterScores[best!] { best = c }
                    }
                    if let best {
                        row.secondCluster = projector.index.clusterIDs[best]
                        row.similaritySecond = Double(d.clusterScores[best])
                    }
                }
                if !baseNeighbors.isEmpty {
                    row.neighborOverlap = Double(d.neighbors.filter { baseNeighbors.contains($0) }.count) / Double(baseNeighbors.count)
                }
                rows.append(row)
            }
            summaries.append(summarize(factor, rows))
            steps += rows
        }
        return (steps, summaries)
    }

    static func summarize(_ factor: SensitivityFactor, _ rows: [SensitivityStep]) -> SensitivitySummary {
        var largest = 0.0
        var perUnit: Double?
        var rising = true
        var falling = true
        for (a, b) in zip(rows, rows.dropFirst()) {
            guard let x = a.similarityOwn, let y = b.similarityOwn else { continue }
            let change = abs(y - x)
            if change > largest { largest = change }
            if factor.unit != nil, b.value != a.value {
                let unit = change / abs(b.value - a.value)
                if unit > (perUnit ?? 0) { perUnit = unit }
            }
            if y < x - 1e-6 { rising = false }
            if y > x + 1e-6 { falling = false }
        }
        if factor.unit != nil && perUnit == nil { perUnit = 0 }
        let flip = rows.filter(\.flipped).min { (abs($0.value), $0.value) < (abs($1.value), $1.value) }
        let baseline = rows.first { $0.value == 0 } ?? rows.first
        return SensitivitySummary(
            factor: factor.name, largestStepChange: largest, largestChangePerUnit: perUnit, flipAt: flip?.label,
            baselineMargin: baseline?.margin, monotone: factor.unit == nil ? nil : (rising || falling))
    }
}
