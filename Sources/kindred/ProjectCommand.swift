import ArgumentParser
import Foundation
import KindredCore
import KindredPeople
import KindredPipeline
import KindredProjection

/// `kindred project`: out-of-sample people onto a model's clusters, streaming, shardable.
struct ProjectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "project",
        abstract: "Assign people who were not clustered to a model's clusters, streaming in bounded memory.",
        discussion: """
            MODEL is the output folder of `kindred run` (its latest run is used), a run folder (OUTPUT/runs/KEY \
            or OUTPUT/latest), or its model/ folder. Each person is cleaned with the model's dictionaries, embedded with its basis and assigned by a \
            k-NN vote among the model's labelled sample (--method vote) or to the nearest centroid \
            (--method centroid). Output CSV: id,cluster,confidence,second_cluster,reason, one row per record, in \
            input order; a person with nothing to compare gets cluster 'unassigned' and a reason. Bad records go \
            to quarantine (or stop the run with --bad-records fail).

            Scale-out: --shard i/N takes the records whose stable hash mod N is i (or --shards N with the index \
            from JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX or SLURM_ARRAY_TASK_ID); OUTPUT is then a \
            folder where each shard publishes part-IIIII-of-NNNNN.csv (five digits: part-00000-of-00002.csv) and \
            _SUCCESS-part-IIIII-of-NNNNN, and the last shard to finish writes _SUCCESS. With INPUT and OUTPUT '-' it is a filter (Apache Spark: scripts/spark).
            """)

    @Option(help: "Run output folder, run folder, or its model/ folder (written by `kindred run`).") var model: String
    @Argument(help: "People file: JSON Lines, a JSON array or CSV (by name and content; .gz allowed), or - for stdin.") var input: String
    @Option(help: "Output CSV, or - for stdout (a folder with --shard/--shards).") var output: String
    @Option(help: "vote (k-NN among the labelled sample) or centroid (nearest cluster centroid).") var method = ProjectionSettings().method
    @Option(help: "Neighbours that vote.") var k = ProjectionSettings().k
    @Option(help: "Nearest clusters whose members the vote searches (0: all clusters, exact).") var probes = ProjectionSettings().probes
    @Option(help: "This part of the input only: i/N (records whose stable hash mod N = i).") var shard: String?
    @Option(help: "Split into N parts, the index from the array-job environment (Kubernetes, AWS Batch, Slurm).") var shards: Int?
    @Option(help: "Quarantine file for bad records (default: beside OUTPUT).") var quarantine: String?
    @Option(help: "What a bad record does: quarantine (default) or fail (exit 65 with its error, e.g. under Spark).") var badRecords = BadRecordAction.quarantine
    @Option(help: "Input format: jsonl, json (an array) or csv (default: from the file name and content).") var format: PeopleFormat?
    @OptionGroup var inputOptions: InputOptions
    @Flag(help: "The input is `kindred clean` output already (ids are pseudonyms; no cleaning).") var cleaned = false
    @Flag(help: "Leave out the CSV header line.") var noHeader = false
    @OptionGroup var key: KeyOptions
    @Option(help: "Worker threads (default: the CPUs this process may use, container quota included); never changes the output.") var threads: Int?
    @Option(help: "Records per chunk (memory is bounded by it; never changes the output).") var chunkSize: Int = 16_384
    @Flag(help: "Keep raw values in quarantine records (default: identifiers redacted).") var showValues = false
    @Flag(help: "Print one JSON summary object when done: on stdout, or on stderr when the CSV goes to stdout.") var json = false

    @OptionGroup var resources: ResourceOptions

    func run() throws {
        try guarded(resources, advice: "project in shards (--shard i/N or --shards N), lower --chunk-size or --threads, or raise --max-memory") {
            guard threads.map({ $0 >= 1 }) ?? true else { throw KindredError.usage("--threads must be at least 1") }
            guard probes >= 0 else { throw KindredError.usage("--probes must be ≥ 0") }
            var request = ProjectRequest(input: input, output: output)
            request.readOptions = PeopleReadOptions(
                format: format, delimiter: try inputOptions.parsedDelimiter(), dateOrder: inputOptions.dateOrder ?? .mdy)
            if shard != nil && shards != nil { throw KindredError.usage("give --shard i/N or --shards N, not both") }
            if let shard { request.shard = try Shard.parse(shard) }
            if let shards { request.shard = try Shard.fromEnvironment(count: shards, ProcessInfo.processInfo.environment) }
            if request.shard != nil && output == "-" { throw KindredError.usage("with --shard, OUTPUT is a folder (each shard publishes its part there)") }
            request.projection = ProjectionSettings(method: method, k: k, probes: probes)
            request.quarantine = quarantine
            request.failOnBadRecord = badRecords == .fail
            request.inputIsClean = cleaned
            request.header = !noHeader
            request.threads = threads
            request.chunkSize = chunkSize
            request.showValues = showValues
            let model = try ClusterModel.load(try ModelLocation.resolve(self.model, part: .clusters))
            if !cleaned, ProjectStage.looksClean(path: input, format: format) {
                throw KindredError.usage(
                    "\(input) looks like `kindred clean` output (pseudonymous ids, raw and canonical values): add --cleaned, or its ids would be pseudonymised a second time")
            }
            let pseudonymizer = cleaned ? nil : try key.pseudonymizer()
            let outcome = try withProgress("project", unit: "records") { counter in
                request.progress = counter
                return try ProjectStage.run(request, model: model, pseudonymizer: pseudonymizer)
            }
            if json {
                if output == "-" { note(ProjectStage.summaryJSON(outcome)) } else { print(ProjectStage.summaryJSON(outcome)) }
            } else {
                var parts = ["kindred project: \(outcome.read) read = \(outcome.assigned) assigned + \(outcome.unassigned) unassigned + \(outcome.quarantined) quarantined"]
                if let s = outcome.shard { parts.append("shard \(s) (\(outcome.skippedOtherShards) records belong to other shards)") }
                parts.append("\(Int(Double(outcome.read) / max(outcome.seconds, 1e-9))) people/s, \(outcome.threads) threads, \(method.rawValue)")
                note(parts.joined(separator: "; "))
                if outcome.quarantined > 0, let q = outcome.quarantinePath { note("kindred project: quarantined records: \(q)") }
            }
        }
    }
}
