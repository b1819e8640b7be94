import Foundation
import KindredClean
import KindredCore
import KindredPeople
import KindredProjection
import KindredReport
import KindredSimilarity

extension ClusterModel {
    /// `manifest.json`: format and version, Kindred version, parameters, input fingerprint, key check,
    /// shape and the SHA-256 of every other file. Written through `JSONTextEncoder`, read through
    /// `JSONDecoder`; the format and its version are checked first, so an incompatible model is
    /// refused with a message saying which version wrote it.
    public struct Manifest: Codable, Sendable {
        /// The input the sample was drawn from.
        public struct Input: Codable, Sendable {
            public var sha256 = ""
            public var records = 0
            public var samplePeople = 0
            enum CodingKeys: String, CodingKey {
                case sha256, records
                case samplePeople = "sample_people"
            }
            init(sha256: String, records: Int, samplePeople: Int) {
                (self.sha256, self.records, self.samplePeople) = (sha256, records, samplePeople)
            }
            /// Lenient: a field left out reads as empty or 0.
            public init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: CodingKeys.self)
                sha256 = (try? c.decode(String.self, forKey: .sha256)) ?? ""
                records = (try? c.decode(Int.self, forKey: .records)) ?? 0
                samplePeople = (try? c.decode(Int.self, forKey: .samplePeople)) ?? 0
            }
        }

        /// Array sizes, for a reader's information (the loader checks the arrays against each other).
        public struct Shape: Codable, Sendable {
            public var features: Int
            public var dimensions: Int
            public var clusters: Int
            public var labelledVectors: Int
            enum CodingKeys: String, CodingKey {
                case features, dimensions, clusters
                case labelledVectors = "labelled_vectors"
            }
        }

        public var format = ClusterModel.format
        public var formatVersion = ClusterModel.formatVersion
        public var kindredVersion = KindredVersion.string
        public var parameters: Parameters
        public var input: Input
        public var modularity: Double
        public var keyCheck: String
        public var shape: Shape?
        /// SHA-256 of every other file of the model, by name.
        public var files: SortedStringMap

        enum CodingKeys: String, CodingKey {
            case format
            case formatVersion = "format_version"
            case kindredVersion = "kindred_version"
            case parameters, input, modularity
            case keyCheck = "key_check"
            case shape, files
        }

        init(parameters: Parameters, input: Input, modularity: Double, keyCheck: String, shape: Shape, files: [String: String]) {
            self.parameters = parameters
            self.input = input
            self.modularity = modularity
            self.keyCheck = keyCheck
            self.shape = shape
            self.files = SortedStringMap(files)
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            format = try c.decode(String.self, forKey: .format)
            guard format == ClusterModel.format else {
                throw KindredError.badInput("not a Kindred cluster model (format is not \(ClusterModel.format))", file: nil, line: nil, field: "format")
            }
            formatVersion = try c.decode(Int.self, forKey: .formatVersion)
            kindredVersion = (try? c.decode(String.self, forKey: .kindredVersion)) ?? "?"
            guard ClusterModel.readableFormatVersions.contains(formatVersion) else {
                let readable = ClusterModel.readableFormatVersions
                throw KindredError.badInput(
                    "model format version \(formatVersion) (written by Kindred \(kindredVersion)); this Kindred \(KindredVersion.string) reads versions \(readable.lowerBound)–\(readable.upperBound): rebuild the model with `kindred run`",
                    file: nil, line: nil, field: "format_version")
            }
            files = try c.decode(SortedStringMap.self, forKey: .files)
            parameters = try c.decode(Parameters.self, forKey: .parameters)
            input = (try? c.decode(Input.self, forKey: .input)) ?? Input(sha256: "", records: 0, samplePeople: 0)
            modularity = (try? c.decode(Double.self, forKey: .modularity)) ?? 0
            keyCheck = try c.decode(String.self, forKey: .keyCheck)
            shape = try? c.decode(Shape.self, forKey: .shape)
        }
    }

    /// The files every model has (`overrides.csv` is optional; the tempo files come with a tempo weight).
    static let requiredFiles = [
        "vocabulary.json", "spelling_fixes.json", "idf.npy", "basis.npy", "singular_values.npy", "cluster_ids.npy", "centroids.npy",
        "members.npy", "member_offsets.npy", "clusters.json", "catalog.json", "learned_titles.json",
    ]
    /// The files a model of format 3 on has besides (the TF-IDF space: centroids and members).
    static let termSpaceFiles = [
        "term_centroid_offsets.npy", "term_centroid_clusters.npy", "term_centroid_weights.npy", "member_term_offsets.npy", "member_term_columns.npy",
        "member_term_values.npy",
    ]

    /// The files a model of this format version must list.
    static func requiredFiles(formatVersion: Int) -> [String] { formatVersion >= 3 ? requiredFiles + termSpaceFiles : requiredFiles }

    /// This model's manifest, given the checksums of the files written.
    func manifest(files: [String: String]) -> Manifest {
        Manifest(
            parameters: parameters, input: Manifest.Input(sha256: inputSHA256, records: inputRecords, samplePeople: samplePeople),
            modularity: modularity, keyCheck: keyCheck,
            shape: Manifest.Shape(
                features: vectorizer.vocabulary.count, dimensions: basis.dimensions, clusters: index.clusterCount, labelledVectors: index.memberCount),
            files: files)
    }

    // MARK: Loading

    /// Reads a model folder, checking its format version and the SHA-256 of every file.
    /// - Throws: `KindredError` naming the file at fault (`.io` when unreadable, `.badInput` when
    ///   damaged or incompatible).
    public static func load(_ folder: String) throws -> ClusterModel {
        func path(_ name: String) -> String { joinPath(folder, name) }
        let manifest = try readManifest(folder)
        try verifyChecksums(manifest, folder: folder)
        let weights = manifest.parameters.graph.weights
        var (vectorizer, lsa, index) = try readArrays(folder, weights: weights)
        if manifest.formatVersion >= 3 { index = index.with(terms: try readTermSpace(folder, featureCount: vectorizer.vocabulary.count, index: index)) }
        let tempo = manifest.files.values["member_tempo.npy"] != nil ? try readTempo(folder, weights: weights, index: index) : nil
        let catalog = try OccupationCatalog.loadJSON(path: path("catalog.json"))
        let learned = try readLearnedTitles(path("learned_titles.json"))
        let overridesCSV = manifest.files.values["overrides.csv"] != nil ? (try? String(contentsOfFile: path("overrides.csv"), encoding: .utf8)) : nil
        return ClusterModel(
            parameters: manifest.parameters, inputSHA256: manifest.input.sha256, inputRecords: manifest.input.records,
            samplePeople: manifest.input.samplePeople, modularity: manifest.modularity, keyCheck: manifest.keyCheck, vectorizer: vectorizer,
            basis: lsa, index: index, catalog: catalog, overridesCSV: overridesCSV, learnedTitles: learned,
            profiles: try loadProfiles(path("clusters.json")), tempo: tempo)
    }

    /// The tempo standardisation and the members' tempos, checked against the index.
    static func readTempo(_ folder: String, weights: MetricWeights, index: ProjectionIndex) throws -> ProjectionTempo {
        func path(_ name: String) -> String { joinPath(folder, name) }
        func damaged(_ name: String, _ why: String) -> KindredError {
            KindredError.badInput("model file inconsistent with the rest of the model: \(why)", file: path(name), line: nil)
        }
        let text = Float(weights.skills + weights.titles)
        guard weights.tempo > 0, text > 0 else { throw damaged("member_tempo.npy", "the model's metric gives tempo or text no weight") }
        let scale = try NumpyFormat.readFloat32(path("tempo_scale.npy"))
        guard scale.shape == [3, 4], scale.values.allSatisfy(\.isFinite), scale.values[8] >= 0, scale.values[8] < 1e7 else {
            throw damaged("tempo_scale.npy", "expected 3 × 4 finite values")
        }
        let members = try NumpyFormat.readFloat32(path("member_tempo.npy"))
        guard members.shape == [index.memberCount, 4], members.values.allSatisfy({ $0.isFinite || $0.isNaN }) else {
            throw damaged("member_tempo.npy", "expected \(index.memberCount) × 4")
        }
        let v = scale.values
        let tempoScale = TempoScale(mean: SIMD4(v[0], v[1], v[2], v[3]), scale: SIMD4(v[4], v[5], v[6], v[7]), reference: Int(v[8]))
        let rows = (0..<index.memberCount).map { SIMD4(members.values[$0 * 4], members.values[$0 * 4 + 1], members.values[$0 * 4 + 2], members.values[$0 * 4 + 3]) }
        return ProjectionTempo(scale: tempoScale, textWeight: text, tempoWeight: Float(weights.tempo), members: rows, index: index)
    }

    /// The folder's manifest, decoded and its format checked.
    static func readManifest(_ folder: String) throws -> Manifest {
        let manifestPath = joinPath(folder, "manifest.json")
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw KindredError(.io, "no model folder here (a model is written by `kindred run` into OUTPUT/model)", file: folder)
        }
        guard let data = FileManager.default.contents(atPath: manifestPath) else {
            throw KindredError(.io, "the model has no manifest (not a model folder, or a model whose writing did not finish)", file: manifestPath)
        }
        return try ManifestCoding.decode(Manifest.self, from: data, file: manifestPath)
    }

    /// Every file the model needs is listed, present, inside the folder and has its recorded SHA-256.
    static func verifyChecksums(_ manifest: Manifest, folder: String) throws {
        let manifestPath = joinPath(folder, "manifest.json")
        let files = manifest.files.values
        for name in requiredFiles(formatVersion: manifest.formatVersion) where files[name] == nil {
            throw KindredError.badInput("the manifest lists no checksum for \(name)", file: manifestPath, line: nil, field: "files")
        }
        for (name, expected) in files.sorted(by: { $0.key < $1.key }) {
            guard !name.contains("/"), !name.hasPrefix(".") else {
                throw KindredError.badInput("a file name in the manifest leaves the model folder", file: manifestPath, line: nil, field: "files")
            }
            let path = joinPath(folder, name)
            guard FileManager.default.fileExists(atPath: path) else {
                throw KindredError(.io, "model file missing (the model is incomplete)", file: path)
            }
            guard try sha256(of: path) == expected else {
                throw KindredError.badInput("model file damaged: its SHA-256 differs from the manifest's; rebuild or restore the model", file: path, line: nil)
            }
        }
    }

    /// The vectoriser, the LSA basis and the projection index, with their shapes checked against each other.
    static func readArrays(_ folder: String, weights: MetricWeights) throws -> (PeopleVectorizer, LSAModel, ProjectionIndex) {
        func path(_ name: String) -> String { joinPath(folder, name) }
        func damaged(_ name: String, _ why: String) -> KindredError {
            KindredError.badInput("model file inconsistent with the rest of the model: \(why)", file: path(name), line: nil)
        }
        guard let vocabulary = (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path("vocabulary.json"))))) as? [String] else {
            throw damaged("vocabulary.json", "expected a JSON array of strings")
        }
        guard vocabulary == vocabulary.sorted(), Set(vocabulary).count == vocabulary.count else { throw damaged("vocabulary.json", "features must be sorted and distinct") }
        let idf = try NumpyFormat.readFloat32(path("idf.npy"))
        guard idf.shape == [vocabulary.count] else { throw damaged("idf.npy", "expected \(vocabulary.count) values") }
        let basis = try NumpyFormat.readFloat32(path("basis.npy"))
        guard basis.shape.count == 2, basis.shape[0] == vocabulary.count, basis.shape[1] >= 1 else {
            throw damaged("basis.npy", "expected \(vocabulary.count) × d")
        }
        let d = basis.shape[1]
        let sigma = try NumpyFormat.readFloat32(path("singular_values.npy"))
        guard sigma.shape == [d] else { throw damaged("singular_values.npy", "expected \(d) values") }
        let ids = try NumpyFormat.readIntegers(path("cluster_ids.npy"))
        guard ids.shape.count == 1, ids.values == ids.values.sorted(), Set(ids.values).count == ids.values.count else {
            throw damaged("cluster_ids.npy", "expected distinct ascending ids")
        }
        let c = ids.values.count
        let centroids = try NumpyFormat.readFloat32(path("centroids.npy"))
        guard centroids.shape == [c, d] else { throw damaged("centroids.npy", "expected \(c) × \(d)") }
        let offsets = try NumpyFormat.readIntegers(path("member_offsets.npy"))
        guard offsets.shape == [c + 1], offsets.values.first == 0, zip(offsets.values, offsets.values.dropFirst()).allSatisfy({ $0 <= $1 }) else {
            throw damaged("member_offsets.npy", "expected \(c + 1) ascending offsets from 0")
        }
        let members = try NumpyFormat.readFloat32(path("members.npy"))
        guard members.shape == [offsets.values.last ?? 0, d] else { throw damaged("members.npy", "expected \(offsets.values.last ?? 0) × \(d)") }
        for value in idf.values + centroids.values + members.values + basis.values where !value.isFinite {
            throw KindredError.badInput("model holds a value that is not a finite number", file: folder, line: nil)
        }
        let features = Set(vocabulary)
        guard let fixes = (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path("spelling_fixes.json"))))) as? [String: String],
            fixes.values.allSatisfy({ features.contains($0) })
        else {
            throw damaged("spelling_fixes.json", "expected a JSON object from feature to a feature of the vocabulary")
        }
        let vectorizer = PeopleVectorizer(weights: weights, vocabulary: vocabulary, idf: idf.values, spellingFixes: fixes)
        let lsa = LSAModel(dimensions: d, featureCount: vocabulary.count, basis: basis.values, singularValues: sigma.values)
        let index = ProjectionIndex(
            dimensions: d, clusterIDs: ids.values.map { Int32(truncatingIfNeeded: $0) }, centroids: centroids.values, members: members.values,
            memberOffsets: offsets.values)
        return (vectorizer, lsa, index)
    }

    /// The TF-IDF space (format 3 on): centroids and members, checked against the vocabulary and the index.
    static func readTermSpace(_ folder: String, featureCount: Int, index: ProjectionIndex) throws -> TermSpace {
        func path(_ name: String) -> String { joinPath(folder, name) }
        func damaged(_ name: String, _ why: String) -> KindredError {
            KindredError.badInput("model file inconsistent with the rest of the model: \(why)", file: path(name), line: nil)
        }
        /// Offsets, entries and values of compressed rows (`PREFIX_offsets.npy`, `PREFIX_ENTRIES.npy`, `PREFIX_VALUES.npy`).
        func rows(_ prefix: String, _ entriesName: String, _ valuesName: String) throws -> (offsets: [Int], entries: [Int], values: [Float]) {
            let offsets = try NumpyFormat.readIntegers(path(prefix + "_offsets.npy"))
            let entries = try NumpyFormat.readIntegers(path(prefix + "_" + entriesName + ".npy"))
            let values = try NumpyFormat.readFloat32(path(prefix + "_" + valuesName + ".npy"))
            for (name, shape) in [("offsets", offsets.shape), (entriesName, entries.shape), (valuesName, values.shape)] where shape.count != 1 {
                throw damaged(prefix + "_" + name + ".npy", "expected a one-dimensional array")
            }
            return (offsets.values, entries.values, values.values)
        }
        let (offsets, clusters, weights) = try rows("term_centroid", "clusters", "weights")
        if let fault = TermCentroids.inconsistency(
            offsets: offsets, clusters: clusters, weights: weights, featureCount: featureCount, clusterCount: index.clusterCount)
        {
            throw damaged("term_centroid_\(fault.array).npy", fault.why)
        }
        let (memberOffsets, columns, values) = try rows("member_term", "columns", "values")
        if let fault = TermSpace.memberInconsistency(
            offsets: memberOffsets, columns: columns, values: values, featureCount: featureCount, memberCount: index.memberCount)
        {
            throw damaged("member_term_\(fault.array).npy", fault.why)
        }
        return TermSpace(
            centroids: TermCentroids(
                featureCount: featureCount, offsets: offsets, clusters: clusters.map { Int32(truncatingIfNeeded: $0) }, weights: weights),
            members: SparseVectors(offsets: memberOffsets, columns: columns.map { UInt32(truncatingIfNeeded: $0) }, values: values, columnCount: featureCount))
    }

    /// `learned_titles.json`: `[raw, canonical, seniority]` rows.
    static func readLearnedTitles(_ file: String) throws -> [(raw: String, match: CanonicalMatch)] {
        let damaged = { (why: String) in KindredError.badInput("model file inconsistent with the rest of the model: \(why)", file: file, line: nil) }
        guard let rows = (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file)))) as? [[Any]] else {
            throw damaged("expected a JSON array of [raw, canonical, seniority]")
        }
        var learned: [(raw: String, match: CanonicalMatch)] = []
        for row in rows {
            guard row.count == 3, let raw = row[0] as? String, let canonical = row[1] as? String else {
                throw damaged("expected [raw, canonical, seniority] rows")
            }
            learned.append((raw, CanonicalMatch(canonical: canonical, occupation: nil, seniority: row[2] as? String, confidence: 0.5, method: .learned)))
        }
        return learned
    }
}
