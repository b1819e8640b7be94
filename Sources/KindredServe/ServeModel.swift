import Foundation
import KindredClean
import KindredCore
import KindredPeople
import KindredPipeline
import KindredProjection
import KindredReport

/// One run's model as `kindred serve` answers from it: the cluster model and its projector, the
/// similarity index (when the run has one), the cluster profiles as JSON, and a pool of cleaners and
/// projection scratch buffers that requests borrow. Immutable once loaded; a reload makes a new one and
/// requests in flight finish on the one they started with.
public final class ServeModel: Sendable {
    /// The run folder the model came from, with symbolic links resolved (`latest` → `runs/KEY`).
    public let runFolder: String
    /// The run's key (the run folder's name), shown in answers and metrics.
    public let runKey: String
    /// The cluster model.
    public let model: ClusterModel
    /// Seconds the load took.
    public let loadSeconds: Double
    let projector: Projector
    let similarity: SimilarityIndex?
    let clustersJSON: String
    /// Copied, never mutated (a value type: each copy grows its own caches).
    nonisolated(unsafe) let template: PersonCleaner?
    /// Cleaners and scratch buffers not in use (a request takes one, or makes one when none is free).
    private let idle: Locked<[Worker]>

    /// A request's working set: a cleaner with its caches (raw records) and the projector's scratch.
    final class Worker: @unchecked Sendable {
        var cleaner: PersonCleaner?
        let scratch: ProjectorScratch
        init(cleaner: PersonCleaner?, scratch: ProjectorScratch) {
            self.cleaner = cleaner
            self.scratch = scratch
        }
    }

    /// Loads the model that `location` names (a run's output folder — its `latest` run —, a run folder, or
    /// its `model/` folder).
    /// - Parameters:
    ///   - projection: vote or centroid, k and probes (the same settings give the same answers as `kindred project`).
    ///   - pseudonymizer: the run's key, to clean raw records (nil: only cleaned records are accepted).
    /// - Throws: `KindredError` for a folder that holds no model, or a key that is not the model's.
    public static func load(
        _ location: String, projection: ProjectionSettings, pseudonymizer: Pseudonymizer?, threads: Int? = nil
    ) throws -> ServeModel {
        let started = Date()
        let modelFolder = try ModelLocation.resolve(location, part: .clusters)
        let model = try ClusterModel.load(modelFolder)
        var template: PersonCleaner?
        if let pseudonymizer {
            guard ClusterModel.keyCheck(pseudonymizer) == model.keyCheck else {
                throw KindredError.usage(
                    "the pseudonymisation key is not the one the model was built with (ids would not match); use the model's key (KINDRED_KEY or --key-file)")
            }
            template = try ProjectStage.modelCleaner(model: model, pseudonymizer: pseudonymizer)
        }
        let run = URL(fileURLWithPath: joinPath(modelFolder, "..")).standardized.resolvingSymlinksInPath().path
        // The similarity index is optional: a model folder copied alone has none.
        let similarity = try? SimilarityIndex.load(model: run, threads: threads)
        return ServeModel(
            runFolder: run, model: model, projector: model.projector(projection), similarity: similarity, template: template,
            loadSeconds: Date().timeIntervalSince(started))
    }

    init(runFolder: String, model: ClusterModel, projector: Projector, similarity: SimilarityIndex?, template: PersonCleaner?, loadSeconds: Double) {
        self.runFolder = runFolder
        runKey = ServeModel.runKey(of: runFolder)
        self.model = model
        self.projector = projector
        self.similarity = similarity
        self.template = template
        self.loadSeconds = loadSeconds
        clustersJSON = ServeModel.profilesJSON(model.profiles, runKey: runKey)
        idle = Locked([])
    }

    /// The `run_key` of the run folder's manifest, else the folder's name.
    static func runKey(of runFolder: String) -> String {
        if let data = FileManager.default.contents(atPath: joinPath(runFolder, "manifest.json")),
            let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any], let key = root["run_key"] as? String, !key.isEmpty {
            return key
        }
        return (runFolder as NSString).lastPathComponent
    }

    /// True when raw records can be cleaned (the key was given).
    public var acceptsRawRecords: Bool { template != nil }

    /// People in the similarity index (0 when the run has none).
    public var similarityPeople: Int { similarity?.count ?? 0 }

    /// Assigns people read from records (raw records are cleaned with the model's dictionaries and key
    /// first): the same cleaning, embedding and assignment as `kindred project` with the same settings.
    /// Returns each person's id (the pseudonym) and assignment, in order.
    public func assign(_ people: [Person], cleaned: Bool) -> [(id: String, assignment: Assignment)] {
        let worker = idle.withLock { $0.popLast() } ?? Worker(cleaner: template, scratch: projector.makeScratch())
        defer { idle.withLock { $0.append(worker) } }
        var ready: [Person] = []
        ready.reserveCapacity(people.count)
        for person in people {
            if cleaned || worker.cleaner == nil { ready.append(person) } else { ready.append(worker.cleaner!.clean(person)) }
        }
        let assignments = projector.assign(ready[...], scratch: worker.scratch)
        return zip(ready, assignments).map { ($0.id, $1) }
    }

    /// The nearest people to `id` (a pseudonym; with `pseudonymizer`, also the analyst's own id).
    /// - Throws: `ServeFailure` 404 when the run has no similarity index; `KindredError` (field `id`) when no one has that id.
    public func similar(id: String, top: Int, pseudonymizer: Pseudonymizer?) throws -> SimilarAnswer {
        guard let similarity else { throw ServeFailure(status: 404, message: "this run has no similarity/ model", field: nil) }
        return try similarity.answer(id: id, top: top, pseudonymizer: pseudonymizer)
    }

    /// The cluster profiles as one JSON object: `{"run":…, "clusters":[{"cluster":0,"size":…,"top_titles":[…],"top_skills":[…]}]}`.
    static func profilesJSON(_ profiles: [ClusterProfile], runKey: String) -> String {
        func counted(_ items: [(String, Int)]) -> String {
            "[" + items.map { "{\"value\":\(JSONText.quote($0.0)),\"count\":\($0.1)}" }.joined(separator: ",") + "]"
        }
        let clusters = profiles.map { p -> String in
            var j = JSONText()
            j.add("cluster", p.cluster)
            j.add("size", p.size)
            j.add("top_titles", raw: counted(p.topTitles))
            j.add("top_skills", raw: counted(p.topSkills))
            return j.text
        }
        var j = JSONText()
        j.add("run", runKey)
        j.add("clusters", raw: "[" + clusters.joined(separator: ",") + "]")
        return j.text
    }
}

/// A request that cannot be answered: the HTTP status, a message and the field at fault (if any).
public struct ServeFailure: Error, Sendable, Equatable {
    public var status: Int
    public var message: String
    public var field: String?
    public init(status: Int, message: String, field: String?) {
        self.status = status
        self.message = message
        self.field = field
    }
}
