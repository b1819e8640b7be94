import Foundation
import KindredClean
import KindredCore
import KindredPeople
import KindredProjection
import KindredSimilarity
import KindredTestSupport
import Testing
@testable import KindredPipeline

/// A small model made once by the real pipeline (`PipelineRun.run`, in process) on 160 generated people.
private struct SmallModel {
    let folder: TemporaryFolder
    var model: String { folder.file("run/model") }
    let config: RunConfig

    static let shared: Result<SmallModel, any Error> = Result {
        let folder = try TemporaryFolder(prefix: "kindred-model-tests")
        try writeSyntheticPeople(count: 160, seed: 3, people: folder.file("people.jsonl"), truth: folder.file("truth.csv"))
        try FileManager.default.createDirectory(atPath: folder.file("run"), withIntermediateDirectories: true)
        var config = RunConfig()
        config.input = folder.file("people.jsonl")
        config.catalog = Paths.bundledCatalog
        config.demoKey = true
        config.seed = 4
        config.graph.k = 5
        config.graph.dimensions = 4
        config.sampleSize = 120
        config.projection.k = 5
        config.stabilitySeeds = 0
        config.typicalMembers = 1
        config.asOf = YearMonth(year: 2026, month: 1)
        _ = try PipelineRun.run(
            config, into: folder.file("run"), previous: nil, runKey: "model-tests", environment: [:], configHash: "model-tests",
            inputSHA256: "feed")
        return SmallModel(folder: folder, config: config)
    }
}

/// A copy of the small model's folder whose manifest `edit` changes (as a JSON object).
private func modelWithManifest(_ edit: (inout [String: Any]) -> Void) throws -> (folder: TemporaryFolder, model: String) {
    let source = try SmallModel.shared.get().model
    let folder = try TemporaryFolder(prefix: "kindred-model-tests")
    let model = folder.file("model")
    try FileManager.default.copyItem(atPath: source, toPath: model)
    let manifestPath = model + "/manifest.json"
    var manifest = try jsonObject(try readText(manifestPath))
    edit(&manifest)
    try JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys]).write(to: URL(fileURLWithPath: manifestPath))
    return (folder, model)
}

/// The fields of a model that decide what it does and what it reports.
private func expectSameModel(_ a: ClusterModel, _ b: ClusterModel, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.parameters == b.parameters, sourceLocation: sourceLocation)
    #expect(a.inputSHA256 == b.inputSHA256 && a.inputRecords == b.inputRecords && a.samplePeople == b.samplePeople, sourceLocation: sourceLocation)
    #expect(a.modularity == b.modularity && a.keyCheck == b.keyCheck && a.kindredVersion == b.kindredVersion, sourceLocation: sourceLocation)
    #expect(a.vectorizer.vocabulary == b.vectorizer.vocabulary && a.vectorizer.idf == b.vectorizer.idf, sourceLocation: sourceLocation)
    #expect(a.vectorizer.spellingFixes == b.vectorizer.spellingFixes, sourceLocation: sourceLocation)
    #expect(a.basis.dimensions == b.basis.dimensions && a.basis.basis == b.basis.basis && a.basis.singularValues == b.basis.singularValues, sourceLocation: sourceLocation)
    #expect(a.index.clusterIDs == b.index.clusterIDs && a.index.centroids == b.index.centroids, sourceLocation: sourceLocation)
    #expect(a.index.members == b.index.members && a.index.memberOffsets == b.index.memberOffsets, sourceLocation: sourceLocation)
    #expect(a.index.terms == b.index.terms, sourceLocation: sourceLocation)
    #expect(a.catalog.occupations.map(\.id) == b.catalog.occupations.map(\.id), sourceLocation: sourceLocation)
    #expect(a.overridesCSV == b.overridesCSV, sourceLocation: sourceLocation)
    // Tempo, bit for bit (a member with no dated position has NaN lanes, and NaN ≠ NaN).
    func bits(_ t: ProjectionTempo?) -> [UInt32]? { t.map { $0.members.flatMap { [$0.x, $0.y, $0.z, $0.w].map(\.bitPattern) } } }
    #expect(bits(a.tempo) == bits(b.tempo) && a.tempo?.scale == b.tempo?.scale, sourceLocation: sourceLocation)
    #expect(a.learnedTitles.map(\.raw) == b.learnedTitles.map(\.raw), sourceLocation: sourceLocation)
    #expect(a.learnedTitles.map(\.match.canonical) == b.learnedTitles.map(\.match.canonical), sourceLocation: sourceLocation)
    #expect(a.learnedTitles.map(\.match.seniority) == b.learnedTitles.map(\.match.seniority), sourceLocation: sourceLocation)
    #expect(a.profiles.map(\.cluster) == b.profiles.map(\.cluster) && a.profiles.map(\.size) == b.profiles.map(\.size), sourceLocation: sourceLocation)
    #expect(a.profiles.map { $0.topTitles.map(\.0) } == b.profiles.map { $0.topTitles.map(\.0) }, sourceLocation: sourceLocation)
    #expect(a.profiles.map { $0.topSkills.map(\.1) } == b.profiles.map { $0.topSkills.map(\.1) }, sourceLocation: sourceLocation)
}

@Suite("ClusterModel: write and load", .serialized)
struct ClusterModelTests {
    @Test("a model made by a run loads with the run's settings; written again and loaded, it is the same model, byte for byte")
    func roundTrip() throws {
        let small = try SmallModel.shared.get()
        let model = try ClusterModel.load(small.model)
        var expected = ClusterModel.Parameters()
        expected.graph = small.config.graph
        expected.graph.seed = small.config.seed
        expected.sampleSize = small.config.sampleSize
        expected.resolution = small.config.cluster.resolution
        expected.asOf = YearMonth(year: 2026, month: 1)
        expected.typicalTenureMonths = model.parameters.typicalTenureMonths
        #expect(model.parameters == expected)
        #expect(model.inputSHA256 == "feed" && model.samplePeople == 120 && model.keyCheck == ClusterModel.keyCheck(Pseudonymizer.demo()))
        #expect(model.basis.dimensions == 4 && model.index.clusterCount == model.profiles.count && model.index.clusterCount > 1)
        #expect(model.index.memberCount == 120 && model.vectorizer.vocabulary.count == model.basis.featureCount)
        #expect(model.catalog.occupations.count > 0)
        // The default metric weighs career tempo, so the model carries it for projection.
        #expect(model.tempo?.members.count == model.index.memberCount && model.tempo?.tempoWeight == Float(MetricWeights().tempo))

        let copy = try TemporaryFolder(prefix: "kindred-model-tests")
        defer { copy.cleanUp() }
        try model.write(to: copy.file("model"))
        let reloaded = try ClusterModel.load(copy.file("model"))
        expectSameModel(model, reloaded)
        let original = try fileTree(small.model)
        let rewritten = try fileTree(copy.file("model"))
        #expect(Set(original.keys) == Set(rewritten.keys))
        for (name, bytes) in original { #expect(rewritten[name] == bytes, "\(name) differs when the loaded model is written again") }
    }

    @Test("the manifest is written through JSONTextEncoder and read through Codable: decoding and encoding it again gives its bytes")
    func manifestBytes() throws {
        let small = try SmallModel.shared.get()
        let text = try readText(small.model + "/manifest.json")
        let manifest = try ClusterModel.readManifest(small.model)
        #expect(try ManifestCoding.text(manifest) + "\n" == text)
        #expect(manifest.format == ClusterModel.format && manifest.formatVersion == ClusterModel.formatVersion)
        #expect(Set(manifest.files.values.keys).isSuperset(of: ClusterModel.requiredFiles + ClusterModel.termSpaceFiles))
    }

    @Test("a model of format 2 (before the TF-IDF space) still loads and projects in its embedding; format 3 without it is refused")
    func formatTwoStillLoads() throws {
        let current = try ClusterModel.load(try SmallModel.shared.get().model)
        #expect(current.index.terms != nil)
        let (folder, model) = try modelWithManifest { manifest in
            manifest["format_version"] = 2
            var files = manifest["files"] as! [String: String]
            for name in ClusterModel.termSpaceFiles { files[name] = nil }
            manifest["files"] = files
        }
        defer { folder.cleanUp() }
        let old = try ClusterModel.load(model)
        #expect(old.index.terms == nil && old.index.centroids == current.index.centroids)
        let projector = old.projector(ProjectionSettings(method: .centroid, k: 15, probes: 2))
        #expect(projector.index.terms == nil)
        let (broken, brokenModel) = try modelWithManifest { manifest in
            var files = manifest["files"] as! [String: String]
            files["term_centroid_weights.npy"] = nil
            manifest["files"] = files
        }
        defer { broken.cleanUp() }
        let error = #expect(throws: KindredError.self) { _ = try ClusterModel.load(brokenModel) }
        #expect(error?.code == .badInput && error?.message.contains("term_centroid_weights.npy") == true, "\(error?.description ?? "")")
    }

    @Test("TF-IDF centroids that do not fit the model are refused, naming the file")
    func damagedTermCentroids() throws {
        let (folder, model) = try modelWithManifest { _ in }
        defer { folder.cleanUp() }
        let clusters = try NumpyFormat.readIntegers(model + "/term_centroid_clusters.npy")
        // A cluster position beyond the model's clusters, with a checksum to match.
        var values = clusters.values.map(Int64.init)
        values[0] = 1_000_000
        try NumpyFormat.write(values, shape: clusters.shape, to: model + "/term_centroid_clusters.npy")
        let manifestPath = model + "/manifest.json"
        var manifest = try jsonObject(try readText(manifestPath))
        var files = manifest["files"] as! [String: String]
        files["term_centroid_clusters.npy"] = try ClusterModel.sha256(of: model + "/term_centroid_clusters.npy")
        manifest["files"] = files
        try JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys]).write(to: URL(fileURLWithPath: manifestPath))
        let error = #expect(throws: KindredError.self) { _ = try ClusterModel.load(model) }
        #expect(error?.code == .badInput && error?.file == model + "/term_centroid_clusters.npy", "\(error?.description ?? "")")
        #expect(error?.message.contains("clusters must ascend within a feature") == true)
    }

    @Test(
        "a manifest with a bad field is refused with a bad-input error naming the manifest and the field",
        arguments: [
            ("parameters.k = 0", "parameters.k"),
            ("parameters.k = 2.5", "parameters.k"),
            ("parameters.k = \"15\"", "parameters.k"),
            ("parameters.seed = 1e300", "parameters.seed"),
            ("parameters.dimensions missing", "parameters.dimensions"),
            ("parameters.as_of = June", "parameters.as_of"),
            ("key_check missing", "key_check"),
            ("format_version = 1", "format_version"),
            ("format = other", "format"),
            ("files missing", "files"),
        ])
    func badManifestField(edit: String, field: String) throws {
        let (folder, model) = try modelWithManifest { manifest in
            var parameters = manifest["parameters"] as! [String: Any]
            switch edit {
            case "parameters.k = 0": parameters["k"] = 0
            case "parameters.k = 2.5": parameters["k"] = 2.5
            case "parameters.k = \"15\"": parameters["k"] = "15"
            case "parameters.seed = 1e300": parameters["seed"] = 1e300
            case "parameters.dimensions missing": parameters["dimensions"] = nil
            case "parameters.as_of = June": parameters["as_of"] = "June"
            case "key_check missing": manifest["key_check"] = nil
            case "format_version = 1": manifest["format_version"] = 1
            case "format = other": manifest["format"] = "other-model"
            case "files missing": manifest["files"] = nil
            default: Issue.record("unknown edit \(edit)")
            }
            manifest["parameters"] = parameters
        }
        defer { folder.cleanUp() }
        let error = #expect(throws: KindredError.self) { _ = try ClusterModel.load(model) }
        #expect(error?.code == .badInput && error?.exitStatus == 65, "\(error?.description ?? "")")
        #expect(error?.file == model + "/manifest.json")
        #expect(error?.field == field, "\(error?.description ?? "")")
        if edit == "format_version = 1" { #expect(error?.message.contains("rebuild the model") == true) }
    }

    @Test("the unedited copy loads (the edits above are what the loader refuses); a checksum that does not match names the file")
    func controlAndChecksum() throws {
        let (folder, model) = try modelWithManifest { _ in }
        defer { folder.cleanUp() }
        _ = try ClusterModel.load(model)
        let (damaged, damagedModel) = try modelWithManifest { manifest in
            var files = manifest["files"] as! [String: String]
            files["idf.npy"] = String(repeating: "0", count: 64)
            manifest["files"] = files
        }
        defer { damaged.cleanUp() }
        let error = #expect(throws: KindredError.self) { _ = try ClusterModel.load(damagedModel) }
        #expect(error?.code == .badInput && error?.file == damagedModel + "/idf.npy")
        #expect(error?.message.contains("SHA-256") == true)
    }
}
