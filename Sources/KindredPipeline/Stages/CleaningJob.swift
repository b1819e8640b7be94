import Foundation
import KindredClean
import KindredCore
import KindredPeople

/// One cleaning in progress (`CleanStage.run`): an optional first pass that maps every distinct title
/// and learns title variants, then the input in chunks: each chunk's new titles and skills mapped in
/// parallel (then cached), its people cleaned and serialised in parallel, and the lines written in
/// input order. A chunk is written (and its records let go) on a writer thread while the next one is
/// read and cleaned; only the writer touches what writing counts, and one chunk at a time.
final class CleaningJob {
    private let request: CleanRequest
    private let started = Date()
    private let overrides: Overrides
    private let reader: PeopleReader
    /// The learning pass's reader (opened before anything is written, so an input deleted or renamed
    /// while the job runs is still read whole: Linux keeps an open file's data).
    private let firstPass: PeopleReader?
    private let output: AtomicFileWriter
    private let quarantine: QuarantineWriter
    private let runner: ParallelRunner
    private let matchers: MatcherPool
    private let evidence: OccupationEvidence?
    private var titleCache: [String: CanonicalMatch] = [:]
    private var skillCache: [String: CanonicalMatch] = [:]
    private var tally: MappingTally
    private var contradicted: [String: ContradictedMapping] = [:]
    private var statistics = CleanStatistics()
    private var written = 0
    private var reasons: [String: Int] = [:]
    private var reasonLines: [String: [Int]] = [:]
    private var distinctTitles = 0
    private var matchSeconds = 0.0
    private var chunk: [PeopleReadItem] = []
    private var reservoir: Reservoir<Person>
    private var recordHashes: [String: UInt64] = [:]
    private var learned = TitleVariantLearning.Learned()
    /// Writes chunks in order, one at a time, beside the cleaning of the next.
    private let writer = ChunkWriter(label: "kindred.clean.writer")

    /// One chunk's people as cleaned (filled in parallel, one slot per person).
    private struct Cleaned {
        /// The clean JSON line, newline included.
        var line: [UInt8] = []
        var person: Person?
        /// Each title value looked up and its mapping (contradicted ones marked).
        var titles: [(String, CanonicalMatch)] = []
        var hash: (id: String, value: UInt64)?
    }

    init(request: CleanRequest) throws {
        self.request = request
        overrides = try request.overrides.map { try Overrides.load(path: $0, catalog: request.catalog) } ?? Overrides()
        reader = try PeopleReader(path: request.input, options: request.readOptions)
        let learning = request.learnVariants && request.input != "-"
        firstPass = learning ? try PeopleReader(path: request.input, options: request.readOptions) : nil
        output = try AtomicFileWriter(path: request.output)
        quarantine = try QuarantineWriter(path: request.quarantinePath)
        runner = ParallelRunner(threads: request.threads)
        matchers = MatcherPool(
            titles: CanonicalDictionary.titles(from: request.catalog), skills: CanonicalDictionary.skills(from: request.catalog),
            workers: runner.workers)
        evidence = OccupationEvidence.of(request.catalog)
        tally = MappingTally(limit: request.cacheLimit)
        reservoir = Reservoir<Person>(capacity: request.sampleSize, seed: request.sampleSeed)
        chunk.reserveCapacity(request.chunkSize)
    }

    /// Cleans everything, then publishes the files.
    func run() throws -> CleanOutcome {
        try writer.settlingOnError(cleanAll)
    }

    private func cleanAll() throws -> CleanOutcome {
        let recordsInFile = try learnVariants()
        request.progress?.start(phase: "cleaning", total: recordsInFile)
        // Records are parsed in parallel, a chunk at a time (the same items, in file order, as one by one).
        while true {
            let batch = try reader.nextBatch(request.chunkSize - chunk.count, threads: runner.workers)
            if batch.isEmpty { break }
            if chunk.isEmpty { chunk = batch } else { chunk.append(contentsOf: batch) }
            if chunk.count >= request.chunkSize {
                try flush()
                request.progress?.set(done: reader.recordsRead)
            }
        }
        if !chunk.isEmpty { try flush() }
        try writer.finish()
        request.progress?.set(done: reader.recordsRead)
        if reader.recordsRead == 0 {
            output.abandon()
            throw KindredError.badInput("the file is empty: no people records", file: request.input, line: nil)
        }
        var outcome = self.outcome()
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

    private func outcome() -> CleanOutcome {
        var outcome = CleanOutcome(
            read: reader.recordsRead, written: written, quarantined: quarantine.count, statistics: statistics,
            quarantinePath: request.quarantinePath,
            reasons: reasons.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) },
            seconds: Date().timeIntervalSince(started))
        outcome.reasonLines = reasonLines
        outcome.distinctTitles = distinctTitles
        outcome.titleMatchSeconds = matchSeconds
        outcome.threads = runner.workers
        outcome.learnedVariants = firstPass != nil
        outcome.clusters = learned.clusters
        outcome.learnedTitles = learned.titles.sorted { $0.raw < $1.raw }
        outcome.sample = reservoir.itemsInOfferOrder
        outcome.recordHashes = recordHashes
        outcome.contradicted = contradicted.map { ($0.key, $0.value) }.sorted { $0.1.count != $1.1.count ? $0.1.count > $1.1.count : $0.0 < $1.0 }
        return outcome
    }

    /// The learning pass: every distinct title of the file is mapped once (filling the cache), then the
    /// spellings left alone are clustered and each cluster's members map to its most frequent one.
    /// Returns the records in the file (nil without a learning pass).
    private func learnVariants() throws -> Int? {
        guard let first = firstPass else { return nil }
        var counts: [String: Int] = [:]
        var order: [String] = []
        var items = 0
        request.progress?.start(phase: "reading titles")
        while true {
            // Each person's masked titles, made by the worker that parsed the person (and let it go).
            let (read, batch) = try first.nextBatchValues(request.chunkSize, threads: runner.workers) { PersonCleaner.maskedTitles(of: $0) }
            if read == 0 { break }
            items += read
            request.progress?.set(done: items)
            for titles in batch {
                for value in titles where overrides.match(value) == nil {
                    if counts[value] != nil {
                        counts[value]! += 1
                    } else if counts.count < request.cacheLimit {
                        counts[value] = 1
                        order.append(value)
                    }
                }
            }
        }
        first.close()
        request.progress?.set(done: items)
        request.progress?.start(phase: "mapping titles", total: order.count)
        let t0 = Date()
        let matches = matchers.matchTitles(order, runner: runner, progress: request.progress)
        matchSeconds += Date().timeIntervalSince(t0)
        distinctTitles += order.count
        request.progress?.start(phase: "learning title variants")
        for (value, match) in zip(order, matches) { titleCache[value] = match }
        learned = TitleVariantLearning.learn(mapping: titleCache, counts: counts, limit: request.learnLimit, threads: runner.workers)
        for (raw, match) in learned.titles { titleCache[raw] = match }
        return first.recordsRead
    }

    /// Cleans the chunk: maps its new values and cleans its people in parallel, then hands them to the
    /// writer (once it has written the chunk before).
    private func flush() throws {
        try StopControl.check()
        let items = chunk
        chunk = []
        chunk.reserveCapacity(request.chunkSize)
        let people: [Person] = items.compactMap { if case .person(let p, _) = $0 { return p } else { return nil } }
        let masked = maskedValues(of: people, skippingTitles: titleCache, skippingSkills: skillCache)
        let (chunkTitles, chunkSkills) = mapNewValues(masked)
        let cleaned = clean(people, masked: masked.all, titles: chunkTitles, skills: chunkSkills)
        let job = UncheckedSendable((self, items, cleaned))
        try writer.submit {
            let (me, items, cleaned) = job.value
            try me.write(cleaned, items: items)
        }
    }

    /// The chunk's distinct values not seen before (overrides first), mapped in parallel, each worker
    /// with its own matcher, and cached while the cache has room. Returns the overrides and the new
    /// mappings the cache had no room for.
    private func mapNewValues(
        _ masked: (all: [PersonCleaner.MaskedValues], titles: [[String]], skills: [[String]])
    ) -> (titles: [String: CanonicalMatch], skills: [String: CanonicalMatch]) {
        var newTitles: [String] = []
        var newSkills: [String] = []
        var pendingTitles = Set<String>()
        var pendingSkills = Set<String>()
        var titles: [String: CanonicalMatch] = [:]
        var skills: [String: CanonicalMatch] = [:]
        // The values come masked, those already cached left out (`maskedValues`, in parallel).
        for (personTitles, personSkills) in zip(masked.titles, masked.skills) {
            let values = (titles: personTitles, skills: personSkills)
            for value in values.titles where titles[value] == nil {
                if let o = overrides.match(value) {
                    titles[value] = o
                } else if pendingTitles.insert(value).inserted {
                    newTitles.append(value)
                }
            }
            for value in values.skills where pendingSkills.insert(value).inserted { newSkills.append(value) }
        }
        let t0 = Date()
        let titleMatches = matchers.matchTitles(newTitles, runner: runner)
        matchSeconds += Date().timeIntervalSince(t0)
        distinctTitles += newTitles.count
        let skillMatches = matchers.matchSkills(newSkills, runner: runner)
        // Cached while there is room (overrides never are), else kept for this chunk only.
        for (value, match) in zip(newTitles, titleMatches) {
            if titleCache.count < request.cacheLimit { titleCache[value] = match } else { titles[value] = match }
        }
        for (value, match) in zip(newSkills, skillMatches) {
            if skillCache.count < request.cacheLimit { skillCache[value] = match } else { skills[value] = match }
        }
        return (titles, skills)
    }

    /// The masked titles and skills of each person (`PersonCleaner.masked`), in parallel chunks, in
    /// their order: all of them, and those that are not keys of `skippingTitles` / `skippingSkills`.
    private func maskedValues(
        of people: [Person], skippingTitles: [String: CanonicalMatch], skippingSkills: [String: CanonicalMatch]
    ) -> (all: [PersonCleaner.MaskedValues], titles: [[String]], skills: [[String]]) {
        var all = [PersonCleaner.MaskedValues](repeating: PersonCleaner.MaskedValues(), count: people.count)
        var titles = [[String]](repeating: [], count: people.count)
        var skills = [[String]](repeating: [], count: people.count)
        let chunk = 512
        all.withUnsafeMutableBufferPointer { a in
            titles.withUnsafeMutableBufferPointer { t in
                skills.withUnsafeMutableBufferPointer { s in
                    let shared = UncheckedSendable((a, t, s))
                    runner.forEach(items: (people.count + chunk - 1) / chunk) { c, _ in
                        for i in (c * chunk)..<min(people.count, (c + 1) * chunk) {
                            let values = PersonCleaner.masked(people[i])
                            shared.value.1[i] = values.titles.lazy.map(\.text).filter { skippingTitles[$0] == nil }
                            shared.value.2[i] = values.skills.lazy.map(\.text).filter { skippingSkills[$0] == nil }
                            shared.value.0[i] = values
                        }
                    }
                }
            }
        }
        return (all, titles, skills)
    }

    /// Cleans and serialises people in parallel. The workers read copies of the caches taken here
    /// (released before the caches grow: no copy-on-write) and each counts into its own statistics.
    private func clean(
        _ people: [Person], masked: [PersonCleaner.MaskedValues], titles: [String: CanonicalMatch], skills: [String: CanonicalMatch]
    ) -> [Cleaned] {
        var cleaned = [Cleaned](repeating: Cleaned(), count: people.count)
        var perWorker = [CleanStatistics](repeating: CleanStatistics(), count: runner.workers)
        let (titleCacheNow, skillCacheNow) = (titleCache, skillCache)
        let (pseudonymizer, dates, evidence) = (request.pseudonymizer, request.dates, evidence)
        let (keepPerson, keepHash) = (request.sampleSize > 0, request.keepRecordHashes)
        perWorker.withUnsafeMutableBufferPointer { stats in
            cleaned.withUnsafeMutableBufferPointer { cleaned in
                let shared = UncheckedSendable((cleaned, stats))
                runner.forEach(items: people.count) { i, worker in
                    let (cleaned, stats) = shared.value
                    var seen: [(String, CanonicalMatch)] = []
                    let person = PersonCleaner.clean(
                        people[i], masked: masked[i], pseudonymizer: pseudonymizer, dates: dates,
                        title: { value in
                            let match = titles[value] ?? titleCacheNow[value] ?? CanonicalMatch(canonical: value, occupation: nil, seniority: nil, confidence: 0, method: .none)
                            seen.append((value, match))
                            return match
                        },
                        skill: { value in skills[value] ?? skillCacheNow[value] ?? CanonicalMatch(canonical: value, occupation: nil, seniority: nil, confidence: 0, method: .none) },
                        evidence: evidence, statistics: &stats[worker])
                    var json = JSONBytes(capacity: 1024)
                    PeopleJSON.write(person, to: &json)
                    let hash = keepHash ? (person.id, PreviousRun.recordHash(json.bytes)) : nil
                    json.newline()
                    for position in person.positions where position.titleMatch == PersonCleaner.contradicted {
                        if let at = seen.firstIndex(where: { $0.1.canonical == position.title && $0.1.occupation == position.occupation }) {
                            seen[at].1.method = .contradicted
                        }
                    }
                    cleaned[i] = Cleaned(
                        line: json.bytes, person: keepPerson ? person : nil, titles: seen, hash: hash)
                }
            }
        }
        for s in perWorker { statistics.add(s) }
        return cleaned
    }

    /// Writes the chunk in input order, quarantined records in their place, and counts it (on the
    /// writer thread: nothing else reads or changes what this changes until `writer.finish()`).
    private func write(_ cleaned: [Cleaned], items: [PeopleReadItem]) throws {
        var p = 0
        for item in items {
            switch item {
            case .person:
                let person = cleaned[p]
                try output.write(bytes: person.line)
                if let kept = person.person { reservoir.offer(kept) }
                if let hash = person.hash { recordHashes[hash.id] = hash.value }
                for (value, match) in person.titles {
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
    }
}
