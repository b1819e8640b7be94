import Foundation
import KindredClean
import KindredCore
import KindredPeople

/// What `kindred clean` is asked to do.
public struct CleanRequest: Sendable {
    public var input: String
    /// How the input is read: format (nil: from its name and content), CSV field separator (nil: found
    /// from the header) and how ambiguous dates are read.
    public var readOptions = PeopleReadOptions()
    public var output: String
    /// Where quarantined records go; default: the output path with `.quarantine.jsonl`.
    public var quarantine: String?
    public var catalog: OccupationCatalog
    public var pseudonymizer: Pseudonymizer
    /// Worker threads (nil: all cores). Never changes the output.
    public var threads: Int?
    /// Analyst overrides, `raw,canonical[,occupation]` CSV: they win over every other mapping.
    public var overrides: String?
    /// Where to write the mapping report (JSON; a Markdown summary goes beside it).
    public var report: String?
    /// Keep raw values in quarantine records (default: identifiers masked).
    public var showValues = false
    /// Date checks and tenure imputation.
    public var dates = DateAudit(asOf: CleanRequest.currentMonth)
    /// People per chunk (bounded memory; output order is input order).
    public var chunkSize = 4096
    /// Distinct values kept in the mapping cache and the report tally.
    public var cacheLimit = 1_000_000
    /// Learn clusters of left-alone title spellings from the whole input first and apply them (a first
    /// pass over the file; not possible on standard input).
    public var learnVariants = true
    /// Most frequent left-alone spellings the variant clusters are learned from.
    public var learnLimit = 50_000
    /// Draw a seeded reservoir sample of this many clean people while writing.
    public var sampleSize = 0
    public var sampleSeed: UInt64 = 1
    /// Keep a fingerprint of every clean line by id (`CleanOutcome.recordHashes`, for a refresh's diff).
    public var keepRecordHashes = false
    /// Where to count records read (phases `reading titles`, `mapping titles`, `cleaning`; the last
    /// with a total when the learning pass counted the records). Never changes the output.
    public var progress: ProgressCounter?

    public init(input: String, format: PeopleFormat? = nil, output: String, quarantine: String? = nil, catalog: OccupationCatalog, pseudonymizer: Pseudonymizer) {
        self.input = input
        self.readOptions.format = format
        self.output = output
        self.quarantine = quarantine
        self.catalog = catalog
        self.pseudonymizer = pseudonymizer
    }

    /// This month (UTC).
    public static var currentMonth: YearMonth {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month], from: Date())
        return YearMonth(year: parts.year!, month: parts.month!)
    }


    /// The quarantine path actually used.
    public var quarantinePath: String {
        if let quarantine { return quarantine }
        if output == "-" { return "quarantine.jsonl" }
        var base = output
        for suffix in [".jsonl", ".json", ".ndjson"] where base.hasSuffix(suffix) {
            base.removeLast(suffix.count)
            break
        }
        return base + ".quarantine.jsonl"
    }
}

/// What cleaning did: the reconciliation (read = written + quarantined) and mapping counts.
public struct CleanOutcome: Sendable {
    public var read: Int
    public var written: Int
    public var quarantined: Int
    public var statistics: CleanStatistics
    public var quarantinePath: String
    /// Quarantine reasons with counts, most frequent first (no record content).
    public var reasons: [(String, Int)]
    /// The first few line numbers quarantined for each reason (in input order).
    public var reasonLines: [String: [Int]] = [:]
    public var seconds: Double
    /// Distinct title values mapped (cache misses) and the wall time spent mapping them.
    public var distinctTitles = 0
    public var titleMatchSeconds = 0.0
    public var reportPath: String?
    public var summaryPath: String?
    public var threads = 1
    /// Whether variant clusters were learned from the input (false on standard input or with `--no-learn`).
    public var learnedVariants = false
    /// The learned clusters of left-alone spellings, largest first.
    public var clusters: [VariantClusterer.Cluster] = []
    /// The mappings the learned clusters added (raw spelling → its cluster's canonical title).
    public var learnedTitles: [(raw: String, match: CanonicalMatch)] = []
    /// The reservoir sample (clean people, in input order) when `sampleSize` > 0.
    public var sample: [Person] = []
    /// `PreviousRun.recordHash` of every clean line, by id, when the request keeps them.
    public var recordHashes: [String: UInt64] = [:]
    /// Fuzzy title mappings that people's skills contradicted (raw title → mapping and people), most first.
    public var contradicted: [(raw: String, mapping: ContradictedMapping)] = []

    /// True when every record read is accounted for.
    public var reconciles: Bool { read == written + quarantined }

    /// Line numbers kept per quarantine reason as examples.
    public static let exampleLines = 3

    /// The quarantine reasons as text lines, most frequent first: `4 × malformed JSON (lines 1, 2, 3, …)`.
    /// Reasons and line numbers only, never record content (safe for logs).
    public func reasonSummary(limit: Int = 5) -> [String] {
        var out: [String] = []
        for (reason, count) in reasons.prefix(limit) {
            let lines = reasonLines[reason] ?? []
            let shown = lines.map(String.init).joined(separator: ", ") + (count > lines.count ? ", …" : "")
            out.append("\(count) × \(reason)" + (lines.isEmpty ? "" : " (line\(count > 1 ? "s" : "") \(shown))"))
        }
        if reasons.count > limit { out.append("… \(reasons.count - limit) more reasons (in the quarantine file)") }
        return out
    }
}

/// A fuzzy title mapping that people's skills contradicted (listed in the mapping report).
public struct ContradictedMapping: Sendable {
    public var canonical: String
    public var occupation: String?
    /// People whose skills contradicted it.
    public var count: Int
}

/// Streams people through the cleaner into clean JSON Lines and a quarantine file, in chunks: each
/// chunk's distinct new titles and skills are mapped in parallel (then cached), its people are cleaned
/// and serialised in parallel, and the lines are written in input order. Memory is bounded by the
/// chunk size and the cache limit, whatever the input size; the output is the same at any thread count.
public enum CleanStage {
    /// Runs the stage. Output files are written atomically: on an error, earlier outputs stay.
    /// - Throws: `KindredError` for an unreadable or empty input, a bad overrides file, or unwritable outputs.
    public static func run(_ request: CleanRequest) throws -> CleanOutcome {
        let job = try CleaningJob(request: request)
        return try job.run()
    }
}
