import Foundation
import KindredClean
import KindredCore
import KindredPeople
import KindredProjection

/// What `kindred project` is asked to do.
public struct ProjectRequest: Sendable {
    /// People file (JSON Lines, a JSON array or CSV, optionally gzipped), or `-` for standard input.
    public var input: String
    /// How the input is read: format (nil: from its name and content), CSV field separator (nil: found
    /// from the header) and how ambiguous dates are read.
    public var readOptions = PeopleReadOptions()
    /// Output CSV file, or `-` for standard output; a folder when `shard` is set.
    public var output: String
    /// Where quarantined records go (default: beside the output; required on standard output unless
    /// `failOnBadRecord`).
    public var quarantine: String?
    /// Vote or centroid, k and probes.
    public var projection = ProjectionSettings()
    public var threads: Int?
    /// Where to count records done (added once per block by the worker; the caller starts the phase with its total).
    /// Never changes the output.
    public var progress: ProgressCounter?
    /// Records read per chunk (bounded memory); output order is input order whatever the chunking.
    public var chunkSize = 16_384
    /// Records per parallel work item (nil: 256 for centroid, 2048 for vote, whose sgemm tiles then
    /// reuse each cluster's members across more queries).
    public var blockSize: Int?
    /// Only the records of this shard.
    public var shard: Shard?
    /// Write the CSV header line.
    public var header = true
    /// A bad record stops the run with its error (exit 65) instead of going to quarantine.
    public var failOnBadRecord = false
    /// The input is already `kindred clean` output (no cleaning, ids are pseudonyms already).
    public var inputIsClean = false
    /// Keep raw values in quarantine records (default: identifiers masked).
    public var showValues = false
    /// Distinct titles, and distinct skills, the cleaning cache shared by the workers keeps (bounds memory).
    public var cacheLimit = 50_000
    /// Ids (pseudonyms) whose cluster is already known (the clustered sample): written as such with
    /// confidence 1 instead of being projected.
    public var known: [String: Int32]?
    /// Also keep every row's id and cluster in the outcome (`rows`), in output order (`kindred run`
    /// compares them with the previous run without reading its own output back).
    public var keepRows = false

    public init(input: String, output: String) {
        self.input = input
        self.output = output
    }

    /// The CSV path actually written.
    public var outputPath: String {
        guard let shard else { return output }
        return joinPath(output, shard.partName + ".csv")
    }

    /// The quarantine path actually used.
    public var quarantinePath: String {
        if let quarantine { return quarantine }
        if let shard { return joinPath(output, shard.partName + ".quarantine.jsonl") }
        if output == "-" { return "quarantine.jsonl" }
        var base = output
        if base.hasSuffix(".csv") { base.removeLast(4) }
        return base + ".quarantine.jsonl"
    }
}

/// What projection did: read = assigned + unassigned + quarantined (records of other shards are
/// only counted as skipped).
public struct ProjectOutcome: Sendable {
    public var read = 0
    public var assigned = 0
    public var unassigned = 0
    public var quarantined = 0
    public var known = 0
    public var skippedOtherShards = 0
    public var unassignedReasons: [String: Int] = [:]
    public var quarantineReasons: [String: Int] = [:]
    public var clusterSizes: [Int32: Int] = [:]
    public var seconds = 0.0
    public var threads = 1
    public var method = ProjectionMethod.vote
    public var shard: Shard?
    public var outputPath = ""
    public var quarantinePath: String?
    /// Every row written (id and cluster, nil when unassigned) when the request keeps them.
    public var rows = AssignmentRows()
    public var reconciles: Bool { read == assigned + unassigned + quarantined }
}

/// Ids and their clusters (nil: unassigned), in file order: the content of an `assignments.csv`.
public struct AssignmentRows: Sendable, Equatable {
    public var ids: [String] = []
    public var clusters: [Int32?] = []
    public init() {}
    public init(ids: [String], clusters: [Int32?]) {
        precondition(ids.count == clusters.count, "one cluster (or none) per id")
        self.ids = ids
        self.clusters = clusters
    }
    public mutating func append(id: String, cluster: Int32?) {
        ids.append(id)
        clusters.append(cluster)
    }
}

/// Streams people through cleaning (with the model's dictionaries), embedding and assignment, in
/// chunks: each chunk's records are parsed, cleaned and projected in parallel blocks, and the rows are
/// written in input order. Memory is bounded by the model, the chunk size and the per-worker caches,
/// whatever the input size.
public enum ProjectStage {
    /// True when the first record of `path` reads as `kindred clean` output: a pseudonymous id
    /// (`k` and 24 hex digits) with the raw values kept beside the canonical ones. Standard input and
    /// unreadable files are not looked at (false).
    public static func looksClean(path: String, format: PeopleFormat?) -> Bool {
        guard path != "-", let reader = try? PeopleReader(path: path, format: format) else { return false }
        defer { reader.close() }
        guard case .person(let person, _)? = try? reader.next() else { return false }
        let id = person.id.utf8
        let pseudonymous = id.count == 25 && id.first == UInt8(ascii: "k")
            && id.dropFirst().allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
        return pseudonymous && (person.rawSkills != nil || person.positions.contains { $0.rawTitle != nil })
    }

    /// Runs the projection.
    /// - Throws: `KindredError`: `.usage` for a key that is not the model's, `.badInput` for a bad
    ///   record under `failOnBadRecord` or an empty input, `.io` for unreadable or unwritable files.
    public static func run(_ request: ProjectRequest, model: ClusterModel, pseudonymizer: Pseudonymizer?) throws -> ProjectOutcome {
        let started = Date()
        let blockSize = try check(request, model: model, pseudonymizer: pseudonymizer)
        if request.shard != nil { try makeFolder(request.output) }
        let job = try ProjectionJob(request: request, model: model, pseudonymizer: pseudonymizer, blockSize: blockSize)
        var outcome = try job.run()
        outcome.seconds = Date().timeIntervalSince(started)
        if let shard = request.shard { try markDone(shard, output: request.output, outcome: outcome) }
        return outcome
    }

    /// Checks the request against the model; returns the block size.
    private static func check(_ request: ProjectRequest, model: ClusterModel, pseudonymizer: Pseudonymizer?) throws -> Int {
        guard request.projection.k >= 1 else { throw KindredError.usage("--k must be at least 1") }
        let blockSize = request.blockSize ?? (request.projection.method == .vote ? 2048 : 256)
        guard request.chunkSize >= 1, blockSize >= 1 else { throw KindredError.usage("--chunk-size must be at least 1") }
        if !request.inputIsClean {
            guard let pseudonymizer else { throw KindredError.usage("no pseudonymisation key") }
            guard ClusterModel.keyCheck(pseudonymizer) == model.keyCheck else {
                throw KindredError.usage(
                    "the pseudonymisation key is not the one the model was built with (ids would not match); use the model's key (KINDRED_KEY or --key-file)")
            }
        }
        if request.output == "-" && request.quarantine == nil && !request.failOnBadRecord && request.shard == nil {
            throw KindredError.usage("on standard output, give --quarantine FILE or --bad-records fail")
        }
        return blockSize
    }

    /// A published part gets its marker, and the last shard to finish marks the whole.
    private static func markDone(_ shard: Shard, output: String, outcome: ProjectOutcome) throws {
        let marker = joinPath(output, "_SUCCESS-" + shard.partName)
        try AtomicFileWriter.write(summaryJSON(outcome) + "\n", to: marker)
        let all = (0..<shard.count).allSatisfy { i in
            FileManager.default.fileExists(atPath: joinPath(output, "_SUCCESS-" + (try! Shard(index: i, count: shard.count)).partName))
        }
        if all { try AtomicFileWriter.write("{\"shards\":\(shard.count)}\n", to: joinPath(output, "_SUCCESS")) }
    }

    /// Per-worker cleaners with bounded caches that prefer the model's overrides and learned titles
    /// (none when the input is already clean).
    static func cleaners(
        for request: ProjectRequest, model: ClusterModel, pseudonymizer: Pseudonymizer?, workers: Int
    ) throws -> [PersonCleaner] {
        guard !request.inputIsClean, let pseudonymizer else { return [] }
        var cleaner = try modelCleaner(model: model, pseudonymizer: pseudonymizer)
        cleaner.cacheLimit = request.cacheLimit
        return Array(repeating: cleaner, count: workers)
    }

    /// A cleaner with the model's dictionaries, date rules, overrides and learned titles.
    public static func modelCleaner(model: ClusterModel, pseudonymizer: Pseudonymizer) throws -> PersonCleaner {
        let overrides = try model.overridesCSV.map {
            try Overrides.parse(text: $0, source: "overrides.csv (in the model)", catalog: model.catalog)
        } ?? Overrides()
        var learned: [String: CanonicalMatch] = [:]
        for (raw, match) in model.learnedTitles { learned[raw] = match }
        let frozenLearned = learned
        var cleaner = PersonCleaner(
            catalog: model.catalog, pseudonymizer: pseudonymizer,
            dates: DateAudit(asOf: model.parameters.asOf, typicalTenureMonths: model.parameters.typicalTenureMonths))
        if overrides.count > 0 || !frozenLearned.isEmpty {
            cleaner.preferredTitle = { raw in overrides.match(raw) ?? frozenLearned[raw] }
        }
        return cleaner
    }

    /// One output row: `id,cluster,confidence,second_cluster,reason`.
    static func row(id: String, _ a: Assignment) -> String {
        var line = CSV.escape(id)
        line += ","
        if let c = a.cluster {
            line += String(c)
            line += ","
            line += fixed4(a.confidence)
            line += ","
            if let s = a.second { line += String(s) }
            line += ",\n"
        } else {
            line += "unassigned,,,"
            line += a.reason?.rawValue ?? ""
            line += "\n"
        }
        return line
    }

    /// `x` in [0, 1] with four decimals (no locale, no Foundation formatting in the hot path).
    public static func fixed4(_ x: Float) -> String {
        let scaled = Int((Double(min(max(x, 0), 1)) * 10_000).rounded())
        let whole = scaled / 10_000
        let fraction = scaled % 10_000
        let digits = String(fraction)
        return String(whole) + "." + String(repeating: "0", count: 4 - digits.count) + digits
    }

    /// The outcome as one JSON object (counts only; no people).
    /// `timings: false` leaves out threads, seconds and speed (for files that must not depend on the machine).
    public static func summaryJSON(_ o: ProjectOutcome, timings: Bool = true) -> String {
        var j = JSONText()
        j.add("read", o.read)
        j.add("assigned", o.assigned)
        j.add("unassigned", o.unassigned)
        j.add("quarantined", o.quarantined)
        j.add("reconciles", o.reconciles)
        if o.known > 0 { j.add("known_from_sample", o.known) }
        if let shard = o.shard {
            j.add("shard", shard.description)
            j.add("skipped_other_shards", o.skippedOtherShards)
        }
        j.add("unassigned_reasons", counts: o.unassignedReasons)
        j.add("quarantine_reasons", counts: o.quarantineReasons)
        j.add("clusters", o.clusterSizes.count)
        j.add("method", o.method.rawValue)
        if timings {
            j.add("threads", o.threads)
            j.add("seconds", o.seconds, digits: 3)
            j.add("people_per_second", o.seconds > 0 ? Double(o.read) / o.seconds : 0, digits: 0)
        }
        return j.text
    }
}
