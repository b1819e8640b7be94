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
/// | `clusters.json` | per-cluster summaries: sample size, top titles and skills |
/// | `catalog.json`, `learned_titles.json`, `overrides.csv` | the cleaning dictionaries |
///
/// `load` checks the format version and every checksum and refuses a damaged or incompatible model
/// with a message naming the file.
public struct ClusterModel: Sendable {
    public static let format = "kindred-model"
    public static let formatVersion = 2

    /// The settings the model was built with.
    public struct Parameters: Sendable, Equatable {
        public var seed: UInt64 = 1
        public var sampleSize = 0
        public var k = 15
        public var resolution = 1.0
        public var graphMethod = SearchMethod.sparse
        public var dimensions = 128
        public var candidateFactor = 2
        public var minimumSimilarity: Float = 0
        public var symmetrization = Symmetrization.max
        public var weights = MetricWeights()
        public var asOf = YearMonth(year: 2100, month: 1)
        public var typicalTenureMonths: Int?
        public init() {}
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
        learnedTitles: [(raw: String, match: CanonicalMatch)], profiles: [ClusterProfile]
    ) {
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
        var files: [(String, String)] = []
        func record(_ name: String) throws { files.append((name, try ClusterModel.sha256(of: path(name)))) }
        let d = basis.dimensions
        try AtomicFileWriter.write(bytes: Array(try JSONSerialization.data(withJSONObject: vectorizer.vocabulary)), to: path("vocabulary.json"))
        try record("vocabulary.json")
        try AtomicFileWriter.write(
            bytes: Array(try JSONSerialization.data(withJSONObject: vectorizer.spellingFixes, options: [.sortedKeys])), to: path("spelling_fixes.json"))
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
        try AtomicFileWriter.write(manifestJSON(files: files) + "\n", to: path("manifest.json"))
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

    func manifestJSON(files: [(String, String)]) -> String {
        let p = parameters
        var parameters = JSONText()
        parameters.add("seed", Int(p.seed))
        parameters.add("sample_size", p.sampleSize)
        parameters.add("k", p.k)
        parameters.add("resolution", p.resolution)
        parameters.add("graph_method", p.graphMethod.rawValue)
        parameters.add("dimensions", p.dimensions)
        parameters.add("candidates", p.candidateFactor)
        parameters.add("min_similarity", Double(p.minimumSimilarity))
        parameters.add("symmetrization", p.symmetrization.rawValue)
        parameters.add("weights", raw: SimilarityModel.weightsJSON(p.weights))
        parameters.add("as_of", p.asOf.description)
        if let t = p.typicalTenureMonths { parameters.add("typical_tenure_months", t) }
        var input = JSONText()
        input.add("sha256", inputSHA256)
        input.add("records", inputRecords)
        input.add("sample_people", samplePeople)
        var shape = JSONText()
        shape.add("features", vectorizer.vocabulary.count)
        shape.add("dimensions", basis.dimensions)
        shape.add("clusters", index.clusterCount)
        shape.add("labelled_vectors", index.memberCount)
        var sums = JSONText()
        for (name, sum) in files.sorted(by: { $0.0 < $1.0 }) { sums.add(name, sum) }
        var j = JSONText()
        j.add("format", ClusterModel.format)
        j.add("format_version", ClusterModel.formatVersion)
        j.add("kindred_version", kindredVersion)
        j.add("parameters", raw: parameters.text)
        j.add("input", raw: input.text)
        j.add("modularity", modularity)
        j.add("key_check", keyCheck)
        j.add("shape", raw: shape.text)
        j.add("files", raw: sums.text)
        return j.text
    }

    // MARK: Loading

    /// Reads a model folder, checking its format version and the SHA-256 of every file.
    /// - Throws: `KindredError` naming the file at fault (`.io` when unreadable, `.badInput` when
    ///   damaged or incompatible).
    public static func load(_ folder: String) throws -> ClusterModel {
        func path(_ name: String) -> String { joinPath(folder, name) }
        let manifestPath = path("manifest.json")
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw KindredError(.io, "no model folder here (a model is written by `kindred run` into OUTPUT/model)", file: folder)
        }
        guard let data = FileManager.default.contents(atPath: manifestPath) else {
            throw KindredError(.io, "the model has no manifest (not a model folder, or a model whose writing did not finish)", file: manifestPath)
        }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw KindredError.badInput("the manifest is not a JSON object (damaged?)", file: manifestPath, line: 1)
        }
        func field<T>(_ object: [String: Any], _ key: String, _ prefix: String = "") throws -> T {
            guard let value = object[key] as? T else {
                throw KindredError.badInput("missing or of the wrong type", file: manifestPath, line: nil, field: prefix + key)
            }
            return value
        }
        guard (try field(root, "format") as String) == format else {
            throw KindredError.badInput("not a Kindred cluster model (format is not \(format))", file: manifestPath, line: nil, field: "format")
        }
        let version: Int = try field(root, "format_version")
        guard version == formatVersion else {
            let written: String = (root["kindred_version"] as? String) ?? "?"
            throw KindredError.badInput(
                "model format version \(version) (written by Kindred \(written)); this Kindred \(KindredVersion.string) reads version \(formatVersion): rebuild the model with `kindred run`",
                file: manifestPath, line: nil, field: "format_version")
        }
        let files: [String: String] = try field(root, "files")
        for name in ["vocabulary.json", "spelling_fixes.json", "idf.npy", "basis.npy", "singular_values.npy", "cluster_ids.npy", "centroids.npy", "members.npy", "member_offsets.npy", "clusters.json", "catalog.json", "learned_titles.json"] where files[name] == nil {
            throw KindredError.badInput("the manifest lists no checksum for \(name)", file: manifestPath, line: nil, field: "files")
        }
        for (name, expected) in files.sorted(by: { $0.key < $1.key }) {
            guard !name.contains("/"), !name.hasPrefix(".") else {
                throw KindredError.badInput("a file name in the manifest leaves the model folder", file: manifestPath, line: nil, field: "files")
            }
            guard FileManager.default.fileExists(atPath: path(name)) else {
                throw KindredError(.io, "model file missing (the model is incomplete)", file: path(name))
            }
            guard try sha256(of: path(name)) == expected else {
                throw KindredError.badInput("model file damaged: its SHA-256 differs from the manifest's; rebuild or restore the model", file: path(name), line: nil)
            }
        }
        // Parameters.
        let p: [String: Any] = try field(root, "parameters")
        var parameters = Parameters()
        func number(_ key: String) throws -> Double {
            guard let value = p[key] as? NSNumber else {
                throw KindredError.badInput("missing or not a number", file: manifestPath, line: nil, field: "parameters." + key)
            }
            return value.doubleValue
        }
        // Whole numbers in range, else an error naming the field (a bare conversion traps; found by fuzzing).
        func whole(_ key: String, _ range: ClosedRange<Double>) throws -> Double {
            let value = try number(key)
            guard value.isFinite, value.rounded() == value, range.contains(value) else {
                throw KindredError.badInput("not a whole number in range", file: manifestPath, line: nil, field: "parameters." + key)
            }
            return value
        }
        parameters.seed = UInt64(try whole("seed", 0...1.8e19))
        parameters.sampleSize = Int(try whole("sample_size", 0...1.0e12))
        parameters.k = Int(try whole("k", 1...100_000))
        parameters.resolution = try number("resolution")
        parameters.dimensions = Int(try whole("dimensions", 1...100_000))
        parameters.candidateFactor = Int(try whole("candidates", 1...1_000))
        parameters.minimumSimilarity = Float(try number("min_similarity"))
        if let m = SearchMethod(rawValue: (p["graph_method"] as? String) ?? "") { parameters.graphMethod = m }
        if let s = Symmetrization(rawValue: (p["symmetrization"] as? String) ?? "") { parameters.symmetrization = s }
        let w: [String: Any] = try field(p, "weights", "parameters.")
        func weight(_ key: String) throws -> Double {
            guard let value = w[key] as? NSNumber else {
                throw KindredError.badInput("missing or not a number", file: manifestPath, line: nil, field: "parameters.weights." + key)
            }
            return value.doubleValue
        }
        parameters.weights = MetricWeights(
            skills: try weight("skills"), titles: try weight("titles"), titleRecencyDecay: try weight("title_recency_decay"),
            tempo: try weight("tempo"), location: try weight("location"), sameRegion: try weight("same_region"))
        guard let asOf = YearMonth(parsing: (try field(p, "as_of", "parameters.")) as String) else {
            throw KindredError.badInput("not a year-month", file: manifestPath, line: nil, field: "parameters.as_of")
        }
        parameters.asOf = asOf
        if let tenure = p["typical_tenure_months"] as? NSNumber {
            guard let months = Int(exactly: tenure.doubleValue), (1...600).contains(months) else {
                throw KindredError.badInput("not a whole number of months in 1…600", file: manifestPath, line: nil, field: "parameters.typical_tenure_months")
            }
            parameters.typicalTenureMonths = months
        }
        let input: [String: Any] = try field(root, "input")

        // Arrays, with their shapes checked against each other.
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
        let vectorizer = PeopleVectorizer(weights: parameters.weights, vocabulary: vocabulary, idf: idf.values, spellingFixes: fixes)
        let lsa = LSAModel(dimensions: d, featureCount: vocabulary.count, basis: basis.values, singularValues: sigma.values)
        let index = ProjectionIndex(
            dimensions: d, clusterIDs: ids.values.map { Int32(truncatingIfNeeded: $0) }, centroids: centroids.values, members: members.values,
            memberOffsets: offsets.values)
        let catalog = try OccupationCatalog.loadJSON(path: path("catalog.json"))
        guard let learnedRows = (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path("learned_titles.json"))))) as? [[Any]] else {
            throw damaged("learned_titles.json", "expected a JSON array of [raw, canonical, seniority]")
        }
        var learned: [(raw: String, match: CanonicalMatch)] = []
        for row in learnedRows {
            guard row.count == 3, let raw = row[0] as? String, let canonical = row[1] as? String else {
                throw damaged("learned_titles.json", "expected [raw, canonical, seniority] rows")
            }
            learned.append((raw, CanonicalMatch(canonical: canonical, occupation: nil, seniority: row[2] as? String, confidence: 0.5, method: .learned)))
        }
        let overridesCSV = files["overrides.csv"] != nil ? (try? String(contentsOfFile: path("overrides.csv"), encoding: .utf8)) : nil
        let profiles = try loadProfiles(path("clusters.json"))
        return ClusterModel(
            parameters: parameters, inputSHA256: (input["sha256"] as? String) ?? "", inputRecords: (input["records"] as? Int) ?? 0,
            samplePeople: (input["sample_people"] as? Int) ?? 0, modularity: (root["modularity"] as? Double) ?? 0,
            keyCheck: try field(root, "key_check"), vectorizer: vectorizer, basis: lsa, index: index, catalog: catalog,
            overridesCSV: overridesCSV, learnedTitles: learned, profiles: profiles)
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
