import Foundation
import KindredClean
import KindredCore
import KindredPeople
import KindredProjection
import KindredReport
import KindredSimilarity

/// Builds the cluster model from the clustered sample: the metric's vocabulary and idf, an LSA basis
/// fitted on the sample, the labelled sample embeddings and their centroids, and the centroids in the
/// TF-IDF space.
public enum ModelStage {
    /// The model of a clustered sample, and each sample person's closeness to their cluster's centroid
    /// in the sample's embedding (`ReportBuilder.closenessToCentroids`; the embedding itself is let go).
    /// - Parameters:
    ///   - people: the clean sample, in graph vertex order.
    ///   - built: the graph of `people` with the metric it fitted (reused, and its LSA embedding when the
    ///     graph's method fitted one with the model's seed and dimensions).
    ///   - membership: each sample person's cluster.
    public static func build(
        people: [Person], built: BuiltGraph, membership: [UInt32], parameters: ClusterModel.Parameters, profiles: [ClusterProfile],
        modularity: Double, catalog: OccupationCatalog, learnedTitles: [(raw: String, match: CanonicalMatch)], overridesCSV: String?,
        pseudonymizer: Pseudonymizer, inputSHA256: String, inputRecords: Int, threads: Int? = nil
    ) -> (model: ClusterModel, closeness: [Float]) {
        precondition(people.count == membership.count, "one cluster per sample person")
        precondition(built.graph.vertexCount == people.count, "the graph of these people")
        let (metric, vectors) = (built.metric, built.vectors)
        let lsa: LSAModel
        let embedding: DenseMatrix
        if let fitted = built.lsa, fitted.dimensions == parameters.graph.dimensions, fitted.seed == parameters.seed {
            (lsa, embedding) = (fitted.model, fitted.embedding)
        } else {
            lsa = LSAModel.fit(vectors, dimensions: parameters.graph.dimensions, seed: parameters.seed, threads: threads)
            embedding = lsa.embed(vectors, threads: threads)
        }
        let (embedded, rows) = ProjectionIndex.buildWithRows(embedding: embedding, labels: membership.map { Int32(truncatingIfNeeded: $0) })
        let index = embedded.with(terms: TermSpace.build(vectors: vectors, rows: rows, memberOffsets: embedded.memberOffsets))
        let weights = parameters.graph.weights
        var tempo: ProjectionTempo?
        if weights.tempo > 0 && weights.skills + weights.titles > 0 {
            let scale = metric.tempoScale
            tempo = ProjectionTempo(
                scale: scale, textWeight: Float(weights.skills + weights.titles), tempoWeight: Float(weights.tempo),
                members: rows.map { scale.standardized(people[$0]) ?? SIMD4(repeating: .nan) }, index: index)
        }
        let model = ClusterModel(
            parameters: parameters, inputSHA256: inputSHA256, inputRecords: inputRecords, samplePeople: people.count, modularity: modularity,
            keyCheck: ClusterModel.keyCheck(pseudonymizer), vectorizer: metric.vectorizer, basis: lsa, index: index, catalog: catalog,
            overridesCSV: overridesCSV, learnedTitles: learnedTitles, profiles: profiles, tempo: tempo)
        return (model, ReportBuilder.closenessToCentroids(index: index, membership: membership, embedding: embedding))
    }

    /// People of the sample whose projection `selfAgreement` checks at most: evenly spaced ones beyond
    /// that (the share is an estimate; at 20,000 people its standard error is under 0.004, under 0.0005
    /// near agreement 0.99), so the check costs a fixed time on a large sample (a 200,000-person sample
    /// projected whole took 25 of the model stage's 34 s).
    public static let selfAgreementPeople = 20_000

    /// Share of the sample whose projection (as out-of-sample people) gives back their own cluster, on
    /// every `⌈n / selfAgreementPeople⌉`-th person of the sample (all of a sample of up to 20,000).
    /// People the projection leaves unassigned count as disagreeing.
    public static func selfAgreement(
        people all: [Person], membership allMembership: [UInt32], model: ClusterModel, projection: ProjectionSettings, threads: Int? = nil
    ) -> Double {
        guard !all.isEmpty else { return 1 }
        let step = (all.count + selfAgreementPeople - 1) / selfAgreementPeople
        let people = step == 1 ? all : stride(from: 0, to: all.count, by: step).map { all[$0] }
        let membership = step == 1 ? allMembership : stride(from: 0, to: all.count, by: step).map { allMembership[$0] }
        let projector = model.projector(projection)
        let runner = ParallelRunner(threads: threads)
        let block = 512
        let blocks = (people.count + block - 1) / block
        var agree = [Int](repeating: 0, count: blocks)
        let scratches = (0..<runner.workers).map { _ in projector.makeScratch() }
        agree.withUnsafeMutableBufferPointer { out in
            let shared = UncheckedSendable(out)
            runner.forEach(items: blocks) { b, worker in
                let range = (b * block)..<min(people.count, (b + 1) * block)
                let assignments = projector.assign(people[range], scratch: scratches[worker])
                var count = 0
                for (j, i) in range.enumerated() where assignments[j].cluster == Int32(truncatingIfNeeded: membership[i]) { count += 1 }
                shared.value[b] = count
            }
        }
        return Double(agree.reduce(0, +)) / Double(people.count)
    }
}
