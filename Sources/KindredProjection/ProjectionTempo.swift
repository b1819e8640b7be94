import KindredPeople
import KindredSimilarity

/// Career tempo in projection, as in the graph's metric: each out-of-sample person's standardised
/// tempo (`TempoScale`) is compared with the sample's by `CareerTempo.similarity`, and the score of
/// a neighbour or a centroid is
///
///     (w_text · text cosine + w_tempo · tempo similarity) / (w_text + w_tempo)
///
/// (a neighbour or cluster with no tempo scores 0 on tempo; a person with no dated position is scored
/// on text alone). Stored in the model beside the index, in member order.
public struct ProjectionTempo: Sendable, Equatable {
    public let scale: TempoScale
    /// Weight of the text field (skills + titles) and of tempo, from the metric.
    public let textWeight: Float
    public let tempoWeight: Float
    /// Standardised tempo of each index member (row order of `ProjectionIndex.members`); NaN lanes
    /// for a member with no dated position.
    public let members: [SIMD4<Float>]
    /// Mean standardised tempo of each cluster's members who have one (NaN when none has).
    public let clusterMeans: [SIMD4<Float>]

    /// - Precondition: `members.count` is the index's member count, and the weights are positive.
    public init(scale: TempoScale, textWeight: Float, tempoWeight: Float, members: [SIMD4<Float>], index: ProjectionIndex) {
        precondition(members.count == index.memberCount, "one tempo per index member")
        precondition(textWeight > 0 && tempoWeight > 0, "tempo in projection needs positive weights")
        self.scale = scale
        self.textWeight = textWeight
        self.tempoWeight = tempoWeight
        self.members = members
        var means = [SIMD4<Float>](repeating: SIMD4(repeating: .nan), count: index.clusterCount)
        for c in 0..<index.clusterCount {
            var sum = SIMD4<Double>(repeating: 0)
            var count = 0.0
            for row in index.memberOffsets[c]..<index.memberOffsets[c + 1] where !members[row].x.isNaN {
                let m = members[row]
                sum += SIMD4(Double(m.x), Double(m.y), Double(m.z), Double(m.w))
                count += 1
            }
            if count > 0 { means[c] = SIMD4(Float(sum.x / count), Float(sum.y / count), Float(sum.z / count), Float(sum.w / count)) }
        }
        clusterMeans = means
    }

    /// The standardised tempo of `person` (NaN lanes when they have none).
    func standardized(_ person: Person) -> SIMD4<Float> { scale.standardized(person) ?? SIMD4(repeating: .nan) }

    /// The combined score of a text cosine and the tempo pair (`query` known to have a tempo).
    @inline(__always)
    func score(text: Float, query: SIMD4<Float>, other: SIMD4<Float>) -> Float {
        ProjectionTempo.combine(text: text, query: query, other: other, textWeight: textWeight, tempoWeight: tempoWeight)
    }

    /// `score` with the weights given (the hot loop reads them from locals).
    @inline(__always)
    static func combine(text: Float, query: SIMD4<Float>, other: SIMD4<Float>, textWeight: Float, tempoWeight: Float) -> Float {
        let t: Float = other.x.isNaN ? 0 : Float(CareerTempo.similarity(query, other))
        return (textWeight * text + tempoWeight * t) / (textWeight + tempoWeight)
    }
}
