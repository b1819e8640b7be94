import Crypto
import Foundation
import KindredClean
import KindredCore
import KindredPeople
import KindredProjection
import KindredReport
import KindredSimilarity

/// A versioned cluster model: everything `kindred project` needs to clean, embed and assign people
/// who were not in the clustered sample. A folder:
///
/// | file | content |
/// |---|---|
/// | `manifest.json` | format and version, Kindred version, parameters, seed, input fingerprint, key check, SHA-256 of every other file (written last) |
/// | `vocabulary.json`, `idf.npy` | the TF-IDF features (sorted) and their idf |
/// | `spelling_fixes.json` | rare features read as the frequent feature they misspell (`SpellingFixes`) |
/// | `basis.npy`, `singular_values.npy` | the LSA embedding basis (F × d) |
/// | `cluster_ids.npy`, `centroids.npy` | cluster ids and unit centroids (C × d) |
/// | `members.npy`, `member_offsets.npy` | the labelled sample vectors grouped by cluster (n × d) |
/// | `term_centroid_offsets.npy`, `term_centroid_clusters.npy`, `term_centroid_weights.npy` | format 3 on: the unit centroids in the TF-IDF space, feature by feature (feature f's entries are offsets[f]..<offsets[f+1]: cluster position, weight) |
/// | `member_term_offsets.npy`, `member_term_columns.npy`, `member_term_values.npy` | format 3 on: each member's unit TF-IDF vector, in member order (member m's entries are offsets[m]..<offsets[m+1]: column, value) |
/// | `tempo_scale.npy`, `member_tempo.npy` | with a tempo weight: the tempo standardisation (mean, 1/sd, reference month) and each member's standardised tempo (n × 4, NaN when none) |
/// | `clusters.json` | per-cluster summaries: sample size, top titles and skills |
/// | `catalog.json`, `learned_titles.json`, `overrides.csv` | the cleaning dictionaries |
///
/// `load` checks the format version and every checksum and refuses a damaged or incompatible model
/// with a message naming the file.
public struct ClusterModel: Sendable {
    public static let format = "kindred-model"
    public static let formatVersion = 3
    /// Versions this Kindred reads: 2 (no TF-IDF space: people are projected in the embedding) and 3.
    public static let readableFormatVersions = 2...3

    /// The settings the model was built with: the graph's (its seed is the run's), the sample size,
    /// the resolution and the cleaning's date rules. Written flat into the manifest's `parameters`.
    public struct Parameters: Codable, Sendable, Equatable {
        public var graph = GraphSettings()
        public var sampleSize = 0
        public var resolution = ClusterRequest.peopleResolution
        public var asOf = YearMonth(year: 2100, month: 1)
        public var typicalTenureMonths: Int?
        public init() {}

        /// The run's seed (the graph's LSA sketch and the model's basis use it).
        public var seed: UInt64 { graph.seed }

        enum CodingKeys: String, CodingKey {
            case seed
            case sampleSize = "sample_size"
            case k, resolution
            case graphMethod = "graph_method"
            case dimensions
            case candidates
            case minimumSimilarity = "min_similarity"
            case symmetrization, weights
            case asOf = "as_of"
            case typicalTenureMonths = "typical_tenure_months"
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(graph.seed, forKey: .seed)
            try c.encode(sampleSize, forKey: .sampleSize)
            try c.encode(graph.k, forKey: .k)
            try c.encode(resolution, forKey: .resolution)
            try c.encode(graph.method, forKey: .graphMethod)
            try c.encode(graph.dimensions, forKey: .dimensions)
            try c.encode(graph.candidateFactor, forKey: .candidates)
            try c.encode(graph.minimumSimilarity, forKey: .minimumSimilarity)
            try c.encode(graph.symmetrization, forKey: .symmetrization)
            try c.encode(graph.weights, forKey: .weights)
            try c.encode(asOf.description, forKey: .asOf)
            try c.encodeIfPresent(typicalTenureMonths, forKey: .typicalTenureMonths)
        }

        /// Whole numbers are checked to be in range (a bare conversion would trap; found by fuzzing).
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            func whole<T: BinaryInteger>(_ key: CodingKeys, _ range: ClosedRange<Double>, as type: T.Type) throws -> T {
                let value = try c.decode(Double.self, forKey: key)
                guard value.isFinite, value.rounded() == value, range.contains(value), let whole = T(exactly: value) else {
                    throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "not a whole number in range")
                }
                return whole
            }
            graph.seed = try whole(.seed, 0...1.8e19, as: UInt64.self)
            sampleSize = try whole(.sampleSize, 0...1.0e12, as: Int.self)
            graph.k = try whole(.k, 1...100_000, as: Int.self)
            resolution = try c.decode(Double.self, forKey: .resolution)
            graph.dimensions = try whole(.dimensions, 1...100_000, as: Int.self)
            graph.candidateFactor = try whole(.candidates, 1...1_000, as: Int.self)
            graph.minimumSimilarity = Float(try c.decode(Double.self, forKey: .minimumSimilarity))
            if let m = try? c.decode(SearchMethod.self, forKey: .graphMethod) { graph.method = m }
            if let s = try? c.decode(Symmetrization.self, forKey: .symmetrization) { graph.symmetrization = s }
            graph.weights = try c.decode(MetricWeights.self, forKey: .weights)
            guard let asOf = YearMonth(parsing: try c.decode(String.self, forKey: .asOf)) else {
                throw DecodingError.dataCorruptedError(forKey: .asOf, in: c, debugDescription: "not a year-month")
            }
            self.asOf = asOf
            if c.contains(.typicalTenureMonths) {
                typicalTenureMonths = try whole(.typicalTenureMonths, 1...600, as: Int.self)
            }
        }
    }

    public var parameters: Parameters
    public var kindredVersion = KindredVersion.string
    /// SHA-256 of the input file the sample was drawn from, and its record counts.
    public var inputSHA256: String
    public var inputRecords: Int
    public var samplePeople: Int
    public var modularity: Double
    /// A keyed check value: the pseudonym of a fixed text (reveals nothing about the key).
    public var keyCheck: String
    public var vectorizer: PeopleVectorizer
    public var basis: LSAModel
    public var index: ProjectionIndex
    /// Career tempo for projection (nil when the metric gives tempo no weight).
    public var tempo: ProjectionTempo?
    public var catalog: OccupationCatalog
    public var overridesCSV: String?
    public var learnedTitles: [(raw: String, match: CanonicalMatch)]
    public var profiles: [ClusterProfile]

    public static func keyCheck(_ pseudonymizer: Pseudonymizer) -> String {
        pseudonymizer.pseudonym(for: "kindred-model-key-check")
    }

    public init(
        parameters: Parameters, inputSHA256: String, inputRecords: Int, samplePeople: Int, modularity: Double, keyCheck: String,
        vectorizer: PeopleVectorizer, basis: LSAModel, index: ProjectionIndex, catalog: OccupationCatalog, overridesCSV: String?,
        learnedTitles: [(raw: String, match: CanonicalMatch)], profiles: [ClusterProfile], tempo: ProjectionTempo? = nil
    ) {
        self.tempo = tempo
        self.parameters = parameters
        self.inputSHA256 = inputSHA256
        self.inputRecords = inputRecords
        self.samplePeople = samplePeople
        self.modularity = modularity
        self.keyCheck = keyCheck
        self.vectorizer = vectorizer
        self.basis = basis
        self.index = index
        self.catalog = catalog
        self.overridesCSV = overridesCSV
        self.learnedTitles = learnedTitles
        self.profiles = profiles
    }

    // MARK: Writing

    /// Writes the model into `folder` (created if missing): each file atomically, the manifest last,
    /// so a model interrupted while being written is refused on load (its manifest is old or missing).
    public func write(to folder: String) throws {
        try makeFolder(folder)
        func path(_ name: String) -> String { joinPath(folder, name) }
        // A rewrite starts by removing the old manifest: until the new one lands the folder is no model.
        try? FileManager.default.removeItem(atPath: path("manifest.json"))
        var files: [String: String] = [:]
        func record(_ name: String) throws { files[name] = try ClusterModel.sha256(of: path(name)) }
        let d = basis.dimensions
        try AtomicFileWriter.write(bytes: Array(try JSONSerialization.data(withJSONObject: vectorizer.vocabulary)), to: path("vocabulary.json"))
        try record("vocabulary.json")
        try AtomicFileWriter.write(bytes: try SortedKeysJSON.data(vectorizer.spellingFixes), to: path("spelling_fixes.json"))
        try record("spelling_fixes.json")
        try NumpyFormat.write(vectorizer.idf, shape: [vectorizer.idf.count], to: path("idf.npy"))
        try record("idf.npy")
        try NumpyFormat.write(basis.basis, shape: [basis.featureCount, d], to: path("basis.npy"))
        try record("basis.npy")
        try NumpyFormat.write(basis.singularValues, shape: [basis.singularValues.count], to: path("singular_values.npy"))
        try record("singular_values.npy")
        try NumpyFormat.write(index.clusterIDs, shape: [index.clusterCount], to: path("cluster_ids.npy"))
        try record("cluster_ids.npy")
        try NumpyFormat.write(index.centroids, shape: [index.clusterCount, d], to: path("centroids.npy"))
        try record("centroids.npy")
        try NumpyFormat.write(index.members, shape: [index.memberCount, d], to: path("members.npy"))
        try record("members.npy")
        try NumpyFormat.write(index.memberOffsets.map(Int64.init), shape: [index.memberOffsets.count], to: path("member_offsets.npy"))
        try record("member_offsets.npy")
        if let terms = index.terms {
            func vector<T: NumpyFormat.Element>(_ values: [T], _ name: String) throws {
                try NumpyFormat.write(values, shape: [values.count], to: path(name))
                try record(name)
            }
            try vector(terms.centroids.offsets.map(Int64.init), "term_centroid_offsets.npy")
            try vector(terms.centroids.clusters, "term_centroid_clusters.npy")
            try vector(terms.centroids.weights, "term_centroid_weights.npy")
            try vector(terms.members.offsets.map(Int64.init), "member_term_offsets.npy")
            try vector(terms.members.columns, "member_term_columns.npy")
            try vector(terms.members.values, "member_term_values.npy")
        }
        if let tempo {
            let s = tempo.scale
            let scale: [Float] = [s.mean.x, s.mean.y, s.mean.z, s.mean.w, s.scale.x, s.scale.y, s.scale.z, s.scale.w, Float(s.reference), 0, 0, 0]
            try NumpyFormat.write(scale, shape: [3, 4], to: path("tempo_scale.npy"))
            try record("tempo_scale.npy")
            try NumpyFormat.write(tempo.members.flatMap { [$0.x, $0.y, $0.z, $0.w] }, shape: [tempo.members.count, 4], to: path("member_tempo.npy"))
            try record("member_tempo.npy")
        }
        try AtomicFileWriter.write(clustersJSON() + "\n", to: path("clusters.json"))
        try record("clusters.json")
        try AtomicFileWriter.write(bytes: Array(try catalog.jsonData()), to: path("catalog.json"))
        try record("catalog.json")
        let learned: [[Any]] = learnedTitles.map { [$0.raw, $0.match.canonical, $0.match.seniority ?? NSNull()] }
        try AtomicFileWriter.write(bytes: Array(try JSONSerialization.data(withJSONObject: learned, options: [.sortedKeys])), to: path("learned_titles.json"))
        try record("learned_titles.json")
        if let overridesCSV {
            try AtomicFileWriter.write(overridesCSV, to: path("overrides.csv"))
            try record("overrides.csv")
        } else {
            try? FileManager.default.removeItem(atPath: path("overrides.csv"))
        }
        try AtomicFileWriter.write(try ManifestCoding.text(manifest(files: files)) + "\n", to: path("manifest.json"))
    }

    /// The projector of this model with `settings` (tempo included when the model has it).
    public func projector(_ settings: ProjectionSettings) -> Projector {
        Projector(vectorizer: vectorizer, basis: basis, index: index, method: settings.method, k: settings.k, probes: settings.probes, tempo: tempo)
    }

    /// Per-cluster summaries as a JSON array (canonical titles and skills only; no people).
    public func clustersJSON() -> String {
        let items = profiles.map { p -> String in
            var j = JSONText()
            j.add("id", p.cluster)
            j.add("sample_size", p.size)
            j.add("top_titles", raw: "[" + p.topTitles.map { "[\(JSONText.quote($0.0)),\($0.1)]" }.joined(separator: ",") + "]")
            j.add("top_skills", raw: "[" + p.topSkills.map { "[\(JSONText.quote($0.0)),\($0.1)]" }.joined(separator: ",") + "]")
            return j.text
        }
        return "[" + items.joined(separator: ",\n") + "]"
    }

    static func loadProfiles(_ file: String) throws -> [ClusterProfile] {
        guard let items = (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file)))) as? [[String: Any]] else {
            throw KindredError.badInput("expected a JSON array of cluster summaries", file: file, line: nil)
        }
        func pairs(_ value: Any?) -> [(String, Int)] {
            ((value as? [[Any]]) ?? []).compactMap { pair in
                guard pair.count == 2, let name = pair[0] as? String, let count = pair[1] as? Int else { return nil }
                return (name, count)
            }
        }
        return try items.map { item in
            guard let id = item["id"] as? Int, let size = item["sample_size"] as? Int else {
                throw KindredError.badInput("a cluster summary lacks id or sample_size", file: file, line: nil)
            }
            return ClusterProfile(cluster: id, size: size, topTitles: pairs(item["top_titles"]), topSkills: pairs(item["top_skills"]))
        }
    }

    /// SHA-256 of a file, hex, read in 1 MiB blocks.
    public static func sha256(of path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw KindredError(.io, "cannot open", file: path) }
        defer { try? handle.close() }
        var hasher = SHA256()
        while true {
            let block = try handle.read(upToCount: 1 << 20) ?? Data()
            if block.isEmpty { break }
            hasher.update(data: block)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
