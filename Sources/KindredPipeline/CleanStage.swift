import Foundation
import KindredClean
import KindredCore
import KindredPeople

/// What `kindred clean` is asked to do.
public struct CleanRequest: Sendable {
    public var input: String
    public var format: PeopleFormat?
    public var output: String
    /// Where quarantined records go; default: the output path with `.quarantine.jsonl`.
    public var quarantine: String?
    public var catalog: OccupationCatalog
    public var pseudonymizer: Pseudonymizer

    public init(input: String, format: PeopleFormat? = nil, output: String, quarantine: String? = nil, catalog: OccupationCatalog, pseudonymizer: Pseudonymizer) {
        self.input = input
        self.format = format
        self.output = output
        self.quarantine = quarantine
        self.catalog = catalog
        self.pseudonymizer = pseudonymizer
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
    public var seconds: Double

    /// True when every record read is accounted for.
    public var reconciles: Bool { read == written + quarantined }
}

/// Streams people through the cleaner into clean JSON Lines and a quarantine file.
public enum CleanStage {
    /// Runs the stage. Output files are written atomically: on an error, earlier outputs stay.
    /// - Throws: `KindredError` for an unreadable or empty input, or unwritable outputs.
    public static func run(_ request: CleanRequest) throws -> CleanOutcome {
        let started = Date()
        let reader = try PeopleReader(path: request.input, format: request.format)
        let output = try AtomicFileWriter(path: request.output)
        let quarantine = try QuarantineWriter(path: request.quarantinePath)
        var cleaner = PersonCleaner(catalog: request.catalog, pseudonymizer: request.pseudonymizer)
        var written = 0
        var reasons: [String: Int] = [:]
        while let item = try reader.next() {
            switch item {
            case .person(let person, _):
                try output.write(PeopleJSON.line(for: cleaner.clean(person)) + "\n")
                written += 1
            case .quarantined(let record):
                try quarantine.append(record)
                let key = record.field.map { "\($0): \(record.reason)" } ?? record.reason
                reasons[key.hasPrefix("id: duplicate id") ? "id: duplicate id" : key, default: 0] += 1
            }
        }
        if reader.recordsRead == 0 {
            output.abandon()
            throw KindredError.badInput("the file is empty: no people records", file: request.input, line: nil)
        }
        let outcome = CleanOutcome(
            read: reader.recordsRead, written: written, quarantined: quarantine.count, statistics: cleaner.statistics,
            quarantinePath: request.quarantinePath,
            reasons: reasons.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) },
            seconds: Date().timeIntervalSince(started))
        guard outcome.reconciles else {
            throw KindredError(.internalFailure, "records do not reconcile: read \(outcome.read), written \(written), quarantined \(quarantine.count)")
        }
        try quarantine.commit()
        try output.commit()
        return outcome
    }
}
