import Crypto
import Foundation
import KindredClean
import KindredCore
import KindredPeople
import KindredSimilarity

/// A similarity model folder: `manifest.json` naming the clean people file (with its SHA-256) and
/// the metric, method and seed the graph was built with. `kindred similar` refits the metric from it
/// (fitting is deterministic) and refuses a model whose people file changed.
public enum SimilarityModel {
    public static let format = "kindred-similarity-model"
    public static let formatVersion = 1

    /// What a model's manifest says: the people file (relative paths are read against the model
    /// folder) and its SHA-256, and the graph settings (the metric, method and seed).
    public struct Manifest: Codable, Sendable {
        public var format = SimilarityModel.format
        public var formatVersion = SimilarityModel.formatVersion
        public var people: String
        public var peopleSHA256: String
        public var settings: GraphSettings

        enum CodingKeys: String, CodingKey {
            case format
            case formatVersion = "format_version"
            case people
            case peopleSHA256 = "people_sha256"
        }

        public init(people: String, peopleSHA256: String, settings: GraphSettings) {
            self.people = people
            self.peopleSHA256 = peopleSHA256
            self.settings = settings
        }

        /// The header, then the graph settings in the same object.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            format = try c.decode(String.self, forKey: .format)
            guard format == SimilarityModel.format else {
                throw DecodingError.dataCorruptedError(forKey: .format, in: c, debugDescription: "not a Kindred similarity model")
            }
            formatVersion = try c.decode(Int.self, forKey: .formatVersion)
            guard formatVersion == SimilarityModel.formatVersion else {
                throw KindredError.badInput(
                    "model format version \(formatVersion); this Kindred reads version \(SimilarityModel.formatVersion)", file: nil, line: nil,
                    field: "format_version")
            }
            people = try c.decode(String.self, forKey: .people)
            peopleSHA256 = try c.decode(String.self, forKey: .peopleSHA256)
            settings = try GraphSettings(from: decoder)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(format, forKey: .format)
            try c.encode(formatVersion, forKey: .formatVersion)
            try c.encode(people, forKey: .people)
            try c.encode(peopleSHA256, forKey: .peopleSHA256)
            try settings.encode(to: encoder)
        }
    }

    /// Writes the manifest (atomically) into `folder`.
    /// `recordAs` is the people path written into the manifest (relative paths are read against the
    /// model folder); by default the input's absolute path.
    public static func write(to folder: String, request: GraphRequest, input: String, recordAs: String? = nil) throws {
        try makeFolder(folder)
        let manifest = Manifest(
            people: recordAs ?? URL(fileURLWithPath: input).standardizedFileURL.path, peopleSHA256: try sha256(of: input),
            settings: request.settings)
        try AtomicFileWriter.write(try ManifestCoding.text(manifest) + "\n", to: joinPath(folder, "manifest.json"))
    }

    /// Reads and checks a model folder's manifest, and that its people file is unchanged; `people` in
    /// the answer is the path to read.
    public static func load(_ folder: String) throws -> Manifest {
        let path = joinPath(folder, "manifest.json")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KindredError(.io, "cannot read the model manifest (is this a folder written by `kindred graph --model`?)", file: path)
        }
        var manifest = try ManifestCoding.decode(Manifest.self, from: data, file: path)
        manifest.people = joinPath(folder, manifest.people)
        guard FileManager.default.fileExists(atPath: manifest.people) else {
            throw KindredError(.io, "the model's people file is gone", file: manifest.people)
        }
        guard try sha256(of: manifest.people) == manifest.peopleSHA256 else {
            throw KindredError.badInput("the people file changed since the model was written (SHA-256 differs); rebuild with `kindred graph --model`", file: manifest.people, line: nil)
        }
        return manifest
    }

    static func sha256(of path: String) throws -> String { try ClusterModel.sha256(of: path) }
}

/// One answer of `kindred similar`.
public struct SimilarPerson: Sendable {
    public var id: String
    public var similarity: Double
    public var explanation: SimilarityExplanation
    /// Who the person is (what the clean file says).
    public var summary: PersonSummary
}

/// A person as `kindred similar` shows them: current title, most frequent skills, cluster (when the
/// run's `clusters.csv` is beside the model). No personal data: the id is the pseudonym.
public struct PersonSummary: Sendable, Equatable {
    public var title: String?
    public var skills: [String]
    public var cluster: String?

    /// The summary of a clean person: the most recent position's title, the first `skills` skills.
    public init(_ person: Person, cluster: String?, skills count: Int = 5) {
        title = person.positions.last?.title
        var seen = Set<String>()
        skills = person.skills.filter { seen.insert($0.lowercased()).inserted }.prefix(count).map { $0 }
        self.cluster = cluster
    }
}

/// The query and its nearest people.
public struct SimilarAnswer: Sendable {
    public var query: SimilarPerson
    public var neighbors: [SimilarPerson]
    /// The query id was the analyst's own id, read through the pseudonymisation key.
    public var queryWasRaw: Bool
}

/// The nearest people to one person under a model's metric (exact: every other person is scored).
/// A field the query has and another person lacks scores 0 for that person (missing evidence;
/// `PeopleMetric.querySimilarity`).
public enum SimilarQuery {
    /// Loads the model and answers one query (`SimilarityIndex.load` then `answer`).
    /// - Parameters:
    ///   - model: a similarity model folder, a run folder, or a run's output folder (`ModelLocation`).
    ///   - id: a pseudonym from the clean file, or (with `pseudonymizer`, the run's key) the analyst's own id.
    public static func run(model path: String, id: String, top: Int, threads: Int? = nil, pseudonymizer: Pseudonymizer? = nil) throws -> SimilarAnswer {
        guard top >= 1 else { throw KindredError.usage("--top must be at least 1") }
        return try SimilarityIndex.load(model: path, threads: threads).answer(id: id, top: top, pseudonymizer: pseudonymizer)
    }

    /// The clusters of the run the model belongs to (`../clusters.csv`: node,community), each named by
    /// its most frequent title when `../profiles.csv` is there ("7 · compliance officer"), or none.
    static func clusterLabels(besides folder: String) -> [String: String] {
        let run = joinPath(folder, "..")
        var names: [String: String] = [:]
        for fields in csvRows(joinPath(run, "profiles.csv")) where fields.count >= 3 {
            // top_titles: "compliance officer (33); compliance manager (14)"
            let first = fields[2].split(separator: ";").first.map(String.init) ?? ""
            let title = first.replacingOccurrences(of: #"\s*\(\d+\)\s*$"#, with: "", options: .regularExpression).trimmingSpaces()
            if !title.isEmpty { names[fields[0]] = title }
        }
        var labels: [String: String] = [:]
        for fields in csvRows(joinPath(run, "clusters.csv")) where fields.count >= 2 {
            labels[fields[0]] = names[fields[1]].map { fields[1] + " · " + $0 } ?? fields[1]
        }
        return labels
    }

    /// The data rows of a small CSV file (none when it cannot be read).
    static func csvRows(_ path: String) -> [[String]] {
        guard let reader = try? LineReader(path: path) else { return [] }
        defer { reader.close() }
        var rows: [[String]] = []
        _ = try? reader.nextString()  // header
        while let line = (try? reader.nextString()) ?? nil {
            if let fields = try? CSV.fields(of: line) { rows.append(fields) }
        }
        return rows
    }
}

/// A similarity model loaded once and queried many times (`kindred similar`, `kindred serve`): the clean
/// people, the fitted metric and their profiles, the text embedding (dense models) and the cluster labels
/// of the run. Immutable after loading; safe to query from several threads.
public final class SimilarityIndex: Sendable {
    /// The similarity model folder.
    public let folder: String
    let manifestPeople: String
    let people: [Person]
    let metric: PeopleMetric
    let profiles: [PersonProfile]
    /// Row-major embedding (people × dimensions) of dense and approximate models; nil for sparse ones.
    let embedding: [Float]?
    let dimensions: Int
    let clusters: [String: String]
    let positionOfID: [String: Int]

    /// Loads `model` (a similarity folder, a run folder, or a run's output folder).
    public static func load(model path: String, threads: Int? = nil) throws -> SimilarityIndex {
        let folder = try ModelLocation.resolve(path, part: .similarity)
        let manifest = try SimilarityModel.load(folder)
        let people = try GraphStage.readPeople(path: manifest.people, threads: threads)
        let (metric, profiles) = PeopleMetric.fit(people, weights: manifest.settings.weights, threads: threads)
        var embedding: [Float]?
        var dimensions = 0
        if manifest.settings.method != .sparse {
            let vectors = metric.vectors(profiles)
            let lsa = LSAModel.fit(vectors, dimensions: manifest.settings.dimensions, seed: manifest.settings.seed, threads: threads)
            let e = lsa.embed(vectors, threads: threads)
            embedding = e.values
            dimensions = e.columns
        }
        var positions: [String: Int] = [:]
        positions.reserveCapacity(people.count)
        for (i, p) in people.enumerated() where positions[p.id] == nil { positions[p.id] = i }
        return SimilarityIndex(
            folder: folder, manifestPeople: manifest.people, people: people, metric: metric, profiles: profiles,
            embedding: embedding, dimensions: dimensions, clusters: SimilarQuery.clusterLabels(besides: folder), positionOfID: positions)
    }

    init(
        folder: String, manifestPeople: String, people: [Person], metric: PeopleMetric, profiles: [PersonProfile],
        embedding: [Float]?, dimensions: Int, clusters: [String: String], positionOfID: [String: Int]
    ) {
        self.folder = folder
        self.manifestPeople = manifestPeople
        self.people = people
        self.metric = metric
        self.profiles = profiles
        self.embedding = embedding
        self.dimensions = dimensions
        self.clusters = clusters
        self.positionOfID = positionOfID
    }

    /// People in the model.
    public var count: Int { people.count }

    /// The `top` nearest people to the person `id` (a pseudonym, or with `pseudonymizer` the analyst's own id).
    /// - Throws: `KindredError.badInput` (field `id`) when no one has that id; the id is not echoed.
    public func answer(id: String, top: Int, pseudonymizer: Pseudonymizer? = nil) throws -> SimilarAnswer {
        guard top >= 1 else { throw KindredError.usage("--top must be at least 1") }
        var queryWasRaw = false
        var found = positionOfID[id]
        if found == nil, let pseudonymizer {
            found = positionOfID[pseudonymizer.pseudonym(for: id)]
            queryWasRaw = found != nil
        }
        guard let index = found else {
            // The id is not echoed: it may be a raw identifier typed by mistake.
            let hint = pseudonymizer == nil
                ? "ids are the pseudonyms in the clean file; to look up your own id, give the run's key (--key-file or KINDRED_KEY)"
                : "neither a pseudonym in the clean file nor, read through the key given, one of the people's own ids (is it the run's key?)"
            throw KindredError.badInput("no person with the given id (\(hint))", file: manifestPeople, line: nil, field: "id")
        }
        var text: [Double]?
        if let e = embedding {
            let d = dimensions
            text = (0..<people.count).map { o in
                var s: Float = 0
                for c in 0..<d { s += e[index * d + c] * e[o * d + c] }
                return Double(s)
            }
        }
        var scored: [(Double, Int)] = []
        for o in people.indices where o != index {
            let s = metric.querySimilarity(profiles[index], profiles[o], text: text?[o])
            if s > 0 { scored.append((s, o)) }
        }
        scored.sort { $0.0 > $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        func person(_ o: Int, _ s: Double) -> SimilarPerson {
            SimilarPerson(
                id: people[o].id, similarity: s, explanation: metric.explain(profiles[index], profiles[o], missingEvidence: true),
                summary: PersonSummary(people[o], cluster: clusters[people[o].id]))
        }
        return SimilarAnswer(
            query: person(index, 1), neighbors: scored.prefix(top).map { person($0.1, $0.0) }, queryWasRaw: queryWasRaw)
    }
}

extension SimilarAnswer {
    /// The answer as one JSON object (`kindred similar --json`, `kindred serve`'s `GET /similar/ID`):
    /// `{"query":{…},"neighbors":[{"id","similarity","title","skills","cluster"[,"fields","shared_skills","shared_titles"]}]}`.
    public func json(explain: Bool) -> String {
        func person(_ a: SimilarPerson, withScore: Bool) -> String {
            var j = JSONText()
            j.add("id", a.id)
            if withScore { j.add("similarity", a.similarity, digits: 4) }
            if let title = a.summary.title { j.add("title", title) }
            j.add("skills", raw: JSONText.array(a.summary.skills))
            if let cluster = a.summary.cluster { j.add("cluster", cluster) }
            if explain && withScore {
                let fields = a.explanation.fields.map { f -> String in
                    var x = JSONText()
                    x.add("field", f.field.rawValue)
                    x.add("similarity", f.similarity, digits: 4)
                    x.add("share", f.share, digits: 4)
                    x.add("contribution", f.contribution, digits: 4)
                    return x.text
                }
                j.add("fields", raw: "[" + fields.joined(separator: ",") + "]")
                j.add("shared_skills", raw: JSONText.array(a.explanation.sharedSkills.map(\.feature)))
                j.add("shared_titles", raw: JSONText.array(a.explanation.sharedTitles.map(\.feature)))
            }
            return j.text
        }
        return "{\"query\":" + person(query, withScore: false) + ",\"neighbors\":["
            + neighbors.map { person($0, withScore: true) }.joined(separator: ",") + "]}"
    }
}
