import Foundation
import KindredClean
import KindredCore
import KindredPeople

/// What `kindred clean` is asked to do.
public struct CleanRequest: Sendable {
    public var input: String
    public var format: PeopleFormat?
    /// CSV field separator (nil: found from the header) and how ambiguous dates are read.
    public var delimiter: Character?
    public var dateOrder = DateOrder.mdy
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
        self.format = format
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

    /// How the input is read.
    public var readOptions: PeopleReadOptions { PeopleReadOptions(format: format, delimiter: delimiter, dateOrder: dateOrder) }

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
        let started = Date()
        let overrides = try request.overrides.map { try Overrides.load(path: $0, catalog: request.catalog) } ?? Overrides()
        let reader = try PeopleReader(path: request.input, options: request.readOptions)
        // Both passes open the file before anything is written, so an input deleted or renamed while the
        // job runs is still read whole (Linux keeps an open file's data).
        let learning = request.learnVariants && request.input != "-"
        let firstPass = learning ? try PeopleReader(path: request.input, options: request.readOptions) : nil
        let output = try AtomicFileWriter(path: request.output)
        let quarantine = try QuarantineWriter(path: request.quarantinePath)
        let runner = ParallelRunner(threads: request.threads)
        let titleDictionary = CanonicalDictionary.titles(from: request.catalog)
        let skillDictionary = CanonicalDictionary.skills(from: request.catalog)
        let matchers = MatcherPool(titles: titleDictionary, skills: skillDictionary, workers: runner.workers)
        let evidence = OccupationEvidence.of(request.catalog)
        var contradicted: [String: ContradictedMapping] = [:]
        var titleCache: [String: CanonicalMatch] = [:]
        var skillCache: [String: CanonicalMatch] = [:]
        var tally = MappingTally(limit: request.cacheLimit)
        var statistics = CleanStatistics()
        var written = 0
        var reasons: [String: Int] = [:]
        var reasonLines: [String: [Int]] = [:]
        var distinctTitles = 0
        var matchSeconds = 0.0
        var chunk: [PeopleReadItem] = []
        chunk.reserveCapacity(request.chunkSize)
        var reservoir = Reservoir<Person>(capacity: request.sampleSize, seed: request.sampleSeed)
        var recordHashes: [String: UInt64] = [:]

        func cacheTitle(_ value: String, _ match: CanonicalMatch) { titleCache[value] = match }
        func cacheSkill(_ value: String, _ match: CanonicalMatch) { skillCache[value] = match }
        func flush() throws {
            try StopControl.check()
            let people: [Person] = chunk.compactMap { if case .person(let p, _) = $0 { return p } else { return nil } }
            // 1. Distinct values not seen before, in first-seen order.
            var newTitles: [String] = []
            var newSkills: [String] = []
            var pendingTitles = Set<String>()
            var pendingSkills = Set<String>()
            var chunkTitles: [String: CanonicalMatch] = [:]
            var chunkSkills: [String: CanonicalMatch] = [:]
            for person in people {
                let values = PersonCleaner.maskedValues(of: person)
                for value in values.titles where titleCache[value] == nil && chunkTitles[value] == nil {
                    if let o = overrides.match(value) {
                        chunkTitles[value] = o
                    } else if pendingTitles.insert(value).inserted {
                        newTitles.append(value)
                    }
                }
                for value in values.skills where skillCache[value] == nil && pendingSkills.insert(value).inserted { newSkills.append(value) }
            }
            // 2. Map them in parallel (each worker has its own matcher and scratch).
            let t0 = Date()
            let titleMatches = matchers.matchTitles(newTitles, runner: runner)
            matchSeconds += Date().timeIntervalSince(t0)
            distinctTitles += newTitles.count
            let skillMatches = matchers.matchSkills(newSkills, runner: runner)
            for (value, match) in zip(newTitles, titleMatches) { chunkTitles[value] = match }
            for (value, match) in zip(newSkills, skillMatches) { chunkSkills[value] = match }
            // 3. Clean and serialise people in parallel.
            let lines = UnsafeMutableBufferPointer<String>.allocate(capacity: people.count)
            lines.initialize(repeating: "")
            defer { lines.deinitialize(); lines.deallocate() }
            var cleaned = [Person?](repeating: nil, count: request.sampleSize > 0 ? people.count : 0)
            // The id as written (the pseudonym) and the fingerprint of the line, for a refresh's diff.
            var hashed = [(id: String, hash: UInt64)](repeating: ("", 0), count: request.keepRecordHashes ? people.count : 0)
            var perWorker = [CleanStatistics](repeating: CleanStatistics(), count: runner.workers)
            let cleanedTitles = UnsafeMutableBufferPointer<[(String, CanonicalMatch)]>.allocate(capacity: people.count)
            cleanedTitles.initialize(repeating: [])
            defer { cleanedTitles.deinitialize(); cleanedTitles.deallocate() }
            do {
            // Read-only copies for the workers, released before the caches grow (no copy-on-write).
            let (titlesNow, skillsNow, titleCacheNow, skillCacheNow) = (chunkTitles, chunkSkills, titleCache, skillCache)
            perWorker.withUnsafeMutableBufferPointer { stats in
              cleaned.withUnsafeMutableBufferPointer { cleaned in
               hashed.withUnsafeMutableBufferPointer { hashed in
                let shared = UncheckedSendable((lines, cleanedTitles, stats, cleaned, hashed))
                runner.forEach(items: people.count) { i, worker in
                    let (lines, cleanedTitles, stats, cleaned, hashed) = shared.value
                    var seen: [(String, CanonicalMatch)] = []
                    let person = PersonCleaner.clean(
                        people[i], pseudonymizer: request.pseudonymizer, dates: request.dates,
                        title: { value in
                            let match = titlesNow[value] ?? titleCacheNow[value] ?? CanonicalMatch(canonical: value, occupation: nil, seniority: nil, confidence: 0, method: .none)
                            seen.append((value, match))
                            return match
                        },
                        skill: { value in skillsNow[value] ?? skillCacheNow[value] ?? CanonicalMatch(canonical: value, occupation: nil, seniority: nil, confidence: 0, method: .none) },
                        evidence: evidence, statistics: &stats[worker])
                    lines[i] = PeopleJSON.line(for: person)
                    if !cleaned.isEmpty { cleaned[i] = person }
                    if !hashed.isEmpty { hashed[i] = (person.id, PreviousRun.recordHash(lines[i].utf8)) }
                    for position in person.positions where position.titleMatch == PersonCleaner.contradicted {
                        if let at = seen.firstIndex(where: { $0.1.canonical == position.title && $0.1.occupation == position.occupation }) {
                            seen[at].1.method = .contradicted
                        }
                    }
                    cleanedTitles[i] = seen
                }
               }
              }
            }
            }
            for s in perWorker { statistics.add(s) }
            // 4. Write in input order; quarantine in input order too.
            var p = 0
            for item in chunk {
                switch item {
                case .person:
                    try output.write(lines[p] + "\n")
                    if request.sampleSize > 0 { reservoir.offer(cleaned[p]!) }
                    if request.keepRecordHashes { recordHashes[hashed[p].id] = hashed[p].hash }
                    for (value, match) in cleanedTitles[p] {
                        if match.method == .contradicted {
                            // Bounded like the tally: values beyond the limit are counted in the statistics only.
                            if contradicted[value] != nil || contradicted.count < request.cacheLimit {
                                contradicted[value, default: ContradictedMapping(canonical: match.canonical, occupation: match.occupation, count: 0)].count += 1
                            }
                        } else {
                            tally.record(value, match)
                        }
                    }
                    p += 1
                    written += 1
                case .quarantined(let record):
                    try quarantine.append(request.showValues ? record : Redaction.redact(record))
                    let key = record.field.map { "\($0): \(record.reason)" } ?? record.reason
                    let tallied = key.hasPrefix("id: duplicate id") ? "id: duplicate id" : key.hasPrefix("line is longer than") ? "line too long" : key
                    reasons[tallied, default: 0] += 1
                    if reasonLines[tallied, default: []].count < CleanOutcome.exampleLines { reasonLines[tallied, default: []].append(record.line) }
                }
            }
            // 5. Cache this chunk's mappings while there is room.
            for (value, match) in chunkTitles where titleCache.count < request.cacheLimit && match.method != .override { cacheTitle(value, match) }
            for (value, match) in chunkSkills where skillCache.count < request.cacheLimit { cacheSkill(value, match) }
            chunk.removeAll(keepingCapacity: true)
        }

        // Learning pass: every distinct title of the file is mapped once (filling the cache), then the
        // spellings left alone are clustered and each cluster's members map to its most frequent one.
        var clusters: [VariantClusterer.Cluster] = []
        var learnedTitles: [(raw: String, match: CanonicalMatch)] = []
        var recordsInFile: Int?
        if let first = firstPass {
            var counts: [String: Int] = [:]
            var order: [String] = []
            var items = 0
            request.progress?.start(phase: "reading titles")
            while let item = try first.next() {
                items += 1
                if items & 4095 == 0 { request.progress?.set(done: items) }
                guard case .person(let person, _) = item else { continue }
                for value in PersonCleaner.maskedValues(of: person).titles where overrides.match(value) == nil {
                    if counts[value] != nil {
                        counts[value]! += 1
                    } else if counts.count < request.cacheLimit {
                        counts[value] = 1
                        order.append(value)
                    }
                }
            }
            first.close()
            recordsInFile = first.recordsRead
            request.progress?.set(done: items)
            request.progress?.start(phase: "mapping titles", total: order.count)
            let t0 = Date()
            let matches = matchers.matchTitles(order, runner: runner, progress: request.progress)
            matchSeconds += Date().timeIntervalSince(t0)
            distinctTitles += order.count
            request.progress?.start(phase: "learning title variants")
            var leftAlone: [(String, Int)] = []
            for (value, match) in zip(order, matches) {
                titleCache[value] = match
                if match.method == .none { leftAlone.append((value, counts[value]!)) }
            }
            leftAlone.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            var values: [String: Int] = [:]
            for (value, count) in leftAlone.prefix(request.learnLimit) { values[value] = count }
            clusters = VariantClusterer.clusters(values)
            for cluster in clusters {
                guard let name = titleCache[cluster.name] else { continue }
                for (member, _) in cluster.members where member != cluster.name {
                    guard let own = titleCache[member], own.canonical != name.canonical else { continue }
                    let learned = CanonicalMatch(
                        canonical: name.canonical, occupation: nil, seniority: own.seniority, confidence: 0.5, method: .learned)
                    titleCache[member] = learned
                    learnedTitles.append((member, learned))
                }
            }
        }

        request.progress?.start(phase: "cleaning", total: recordsInFile)
        while let item = try reader.next() {
            chunk.append(item)
            if chunk.count >= request.chunkSize {
                try flush()
                request.progress?.set(done: reader.recordsRead)
            }
        }
        if !chunk.isEmpty { try flush() }
        request.progress?.set(done: reader.recordsRead)
        if reader.recordsRead == 0 {
            output.abandon()
            throw KindredError.badInput("the file is empty: no people records", file: request.input, line: nil)
        }
        var outcome = CleanOutcome(
            read: reader.recordsRead, written: written, quarantined: quarantine.count, statistics: statistics,
            quarantinePath: request.quarantinePath,
            reasons: reasons.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) },
            seconds: Date().timeIntervalSince(started))
        outcome.reasonLines = reasonLines
        outcome.distinctTitles = distinctTitles
        outcome.titleMatchSeconds = matchSeconds
        outcome.threads = runner.workers
        outcome.learnedVariants = learning
        outcome.clusters = clusters
        outcome.learnedTitles = learnedTitles.sorted { $0.raw < $1.raw }
        outcome.sample = reservoir.itemsInOfferOrder
        outcome.recordHashes = recordHashes
        outcome.contradicted = contradicted.map { ($0.key, $0.value) }.sorted { $0.1.count != $1.1.count ? $0.1.count > $1.1.count : $0.0 < $1.0 }
        guard outcome.reconciles else {
            throw KindredError(.internalFailure, "records do not reconcile: read \(outcome.read), written \(written), quarantined \(quarantine.count)")
        }
        if let path = request.report {
            let report = CleanReport(outcome: outcome, tally: tally, overrides: overrides.count, asOf: request.dates.asOf)
            try report.write(json: path)
            outcome.reportPath = path
            outcome.summaryPath = CleanReport.summaryPath(for: path)
        }
        try quarantine.commit()
        try output.commit()
        outcome.seconds = Date().timeIntervalSince(started)
        return outcome
    }
}

/// One matcher per worker for titles and skills, reached by worker index.
final class MatcherPool: @unchecked Sendable {
    private var titles: [CanonicalDictionary.Matcher]
    private var skills: [CanonicalDictionary.Matcher]

    init(titles: CanonicalDictionary, skills: CanonicalDictionary, workers: Int) {
        let t = CanonicalDictionary.Matcher(titles)
        let s = CanonicalDictionary.Matcher(skills)
        self.titles = Array(repeating: t, count: workers)
        self.skills = Array(repeating: s, count: workers)
    }

    /// Maps values in parallel; results in the values' order. Each worker only touches its own matcher.
    /// `progress`, when given, counts values mapped (once per block of 64).
    func matchTitles(_ values: [String], runner: ParallelRunner, progress: ProgressCounter? = nil) -> [CanonicalMatch] {
        match(values, &titles, runner, progress)
    }
    func matchSkills(_ values: [String], runner: ParallelRunner) -> [CanonicalMatch] { match(values, &skills, runner, nil) }

    private func match(
        _ values: [String], _ matchers: inout [CanonicalDictionary.Matcher], _ runner: ParallelRunner, _ progress: ProgressCounter?
    ) -> [CanonicalMatch] {
        guard !values.isEmpty else { return [] }
        let placeholder = CanonicalMatch(canonical: "", occupation: nil, seniority: nil, confidence: 0, method: .none)
        var out = [CanonicalMatch](repeating: placeholder, count: values.count)
        // Blocks of values per item keep the hand-out cheap.
        let block = 64
        out.withUnsafeMutableBufferPointer { results in
            matchers.withUnsafeMutableBufferPointer { matchers in
                let shared = UncheckedSendable((results, matchers))
                runner.forEach(items: (values.count + block - 1) / block) { item, worker in
                    let (results, matchers) = shared.value
                    for i in (item * block)..<min(values.count, (item + 1) * block) {
                        results[i] = matchers[worker].match(values[i])
                    }
                    progress?.add(min(values.count, (item + 1) * block) - item * block)
                }
            }
        }
        return out
    }
}
