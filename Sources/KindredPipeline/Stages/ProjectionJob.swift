import Foundation
import KindredClean
import KindredCore
import KindredPeople
import KindredProjection

/// One projection in progress (`ProjectStage.run`): the input read in chunks, each chunk's records
/// parsed, cleaned and projected in parallel blocks, and the rows written in input order. A chunk's
/// rows are written on a writer thread while the next chunk is read and projected; only the writer
/// touches what writing counts (output, quarantine, seen ids, the outcome's counts), one chunk at a time.
final class ProjectionJob {
    /// One record's result: an output row, or the record's way to quarantine.
    private enum Result { case row(String, Assignment, known: Bool, id: String), quarantined(QuarantinedRecord) }

    private let request: ProjectRequest
    private let blockSize: Int
    private let projector: Projector
    private let runner: ParallelRunner
    private let lines: PeopleRecordReader
    private let output: AtomicFileWriter
    private let quarantine: QuarantineWriter?
    private var cleaners: [PersonCleaner]
    /// The mappings of titles and skills that every worker's cleaner reads (one cache for all workers).
    private var mappings = SharedMappings()
    private let scratches: [ProjectorScratch]
    private var outcome = ProjectOutcome()
    /// Records of other shards passed over by the reading thread (added to the outcome at the end: the
    /// outcome is the writer's while it writes).
    private var skippedOtherShards = 0
    private var chunk: [[UInt8]] = []
    private var chunkLines: [Int] = []
    /// The line each id was first seen on (a repeated id is quarantined, as `kindred clean` does).
    private let seen = SeenIDs()
    /// Writes chunks in order, one at a time, beside the reading and projecting of the next.
    private let writer = ChunkWriter(label: "kindred.project.writer")

    init(request: ProjectRequest, model: ClusterModel, pseudonymizer: Pseudonymizer?, blockSize: Int) throws {
        self.request = request
        self.blockSize = blockSize
        projector = model.projector(request.projection)
        runner = ParallelRunner(threads: request.threads)
        lines = try PeopleRecordReader(
            path: request.input, options: request.readOptions)
        output = try AtomicFileWriter(path: request.outputPath)
        quarantine = request.failOnBadRecord ? nil : try QuarantineWriter(path: request.quarantinePath)
        if request.header { try output.write("id,cluster,confidence,second_cluster,reason\n") }
        cleaners = try ProjectStage.cleaners(for: request, model: model, pseudonymizer: pseudonymizer, workers: runner.workers)
        scratches = (0..<runner.workers).map { [projector] _ in projector.makeScratch() }
        outcome.threads = runner.workers
        outcome.method = request.projection.method
        outcome.shard = request.shard
        outcome.outputPath = request.outputPath
        outcome.quarantinePath = quarantine == nil ? nil : request.quarantinePath
        chunk.reserveCapacity(request.chunkSize)
        chunkLines.reserveCapacity(request.chunkSize)
    }

    deinit { lines.close() }

    /// Reads, projects and writes everything, then publishes the files.
    func run() throws -> ProjectOutcome {
        try writer.settlingOnError(projectAll)
    }

    private func projectAll() throws -> ProjectOutcome {
        var sawRecord = false
        while let read = try lines.next() {
            sawRecord = true
            switch read {
            case .skipped(let record): try skipped(record)
            case .record(let bytes, let line):
                if let shard = request.shard, !shard.owns(bytes) {
                    skippedOtherShards += 1
                    continue
                }
                chunk.append(Array(bytes))
                chunkLines.append(line)
                if chunk.count >= request.chunkSize { try flush() }
            }
        }
        try flush()
        try writer.finish()
        outcome.skippedOtherShards += skippedOtherShards
        if !sawRecord {
            output.abandon()
            throw KindredError.badInput("the file is empty: no people records", file: request.input, line: nil)
        }
        guard outcome.reconciles else {
            throw KindredError(.internalFailure, "records do not reconcile: read \(outcome.read), assigned \(outcome.assigned), unassigned \(outcome.unassigned), quarantined \(outcome.quarantined)")
        }
        try quarantine?.commit()
        try output.commit()
        return outcome
    }

    /// A line that was not read (too long, or no record at all): quarantined in its place in the input
    /// order. Sharded, its bytes are unknown, so the shard that owns its line number ("line N" hashed)
    /// takes it: exactly one.
    private func skipped(_ record: QuarantinedRecord) throws {
        if let shard = request.shard, !shard.owns(Array("line \(record.line)".utf8)[...]) {
            skippedOtherShards += 1
            return
        }
        try flush()
        try writer.finish()
        if request.failOnBadRecord {
            output.abandon()
            throw KindredError.badInput(record.reason, file: record.file, line: record.line, field: record.field)
        }
        try quarantine!.append(record)
        outcome.read += 1
        outcome.quarantined += 1
        outcome.quarantineReasons[record.reason.hasPrefix("line is longer than") ? "line too long" : record.reason, default: 0] += 1
    }

    /// Projects the chunk in parallel, then hands its results to the writer (once it has written the
    /// chunk before), to be written in input order.
    private func flush() throws {
        try StopControl.check()
        let n = chunk.count
        guard n > 0 else { return }
        let results = UnsafeMutableBufferPointer<Result>.allocate(capacity: n)
        results.initialize(repeating: .row("", .unassigned(.noFeatures), known: false, id: ""))
        project(into: results)
        shareNewMappings()
        let (records, numbers) = (chunk, chunkLines)
        chunk = []
        chunkLines = []
        chunk.reserveCapacity(request.chunkSize)
        chunkLines.reserveCapacity(request.chunkSize)
        let job = UncheckedSendable((self, results, records, numbers))
        do {
            try writer.submit {
                let (me, results, records, numbers) = job.value
                defer { results.deinitialize(); results.deallocate() }
                for i in 0..<results.count { try me.write(results[i], line: numbers[i], raw: records[i]) }
            }
        } catch {
            // The chunk before failed to be written: this one was not handed over.
            results.deinitialize()
            results.deallocate()
            throw error
        }
    }

    /// What the workers mapped during the chunk joins the shared mappings (within the cache limit).
    /// The cleaners let go of the shared mappings first, so they grow in place (no copy).
    private func shareNewMappings() {
        guard !cleaners.isEmpty else { return }
        for w in cleaners.indices { cleaners[w].shared = SharedMappings() }
        for w in cleaners.indices {
            let new = cleaners[w].takeNewMappings()
            mappings.add(titles: new.titles, skills: new.skills, limit: request.cacheLimit)
        }
        for w in cleaners.indices { cleaners[w].shared = mappings }
    }

    /// The parallel part: blocks of records parsed, cleaned and assigned, each worker with its own
    /// cleaner and scratch. Everything the workers read is taken into locals first.
    private func project(into results: UnsafeMutableBufferPointer<Result>) {
        let (records, numbers, n, blockSize) = (chunk, chunkLines, chunk.count, blockSize)
        let (known, clean, file, progress) = (request.known, request.inputIsClean, request.input, request.progress)
        let (schema, dateOrder, projector, scratches) = (lines.schema, request.readOptions.dateOrder, projector, scratches)
        let blocks = (n + blockSize - 1) / blockSize
        cleaners.withUnsafeMutableBufferPointer { cleaners in
            let shared = UncheckedSendable((results, cleaners))
            runner.forEach(items: blocks) { block, worker in
                let (results, cleaners) = shared.value
                let range = (block * blockSize)..<min(n, (block + 1) * blockSize)
                var people: [Person] = []
                var slots: [Int] = []
                people.reserveCapacity(range.count)
                for i in range {
                    switch PeopleReader.parse(records[i][...], line: numbers[i], file: file, schema: schema, dateOrder: dateOrder) {
                    case .person(let person, _):
                        people.append(clean ? person : cleaners[worker].clean(person))
                        slots.append(i)
                    case .quarantined(let record):
                        results[i] = .quarantined(record)
                    }
                }
                // People of the clustered sample keep their cluster: only the others are projected.
                let labels = people.map { known?[$0.id] }
                let projected = labels.contains(where: { $0 != nil })
                    ? projector.assign(people.indices.filter { labels[$0] == nil }.map { people[$0] }[...], scratch: scratches[worker])
                    : projector.assign(people[...], scratch: scratches[worker])
                progress?.add(range.count)
                var next = 0
                for (j, i) in slots.enumerated() {
                    let id = people[j].id
                    if let label = labels[j] {
                        let a = Assignment(cluster: label, confidence: 1, second: nil, reason: nil)
                        results[i] = .row(ProjectStage.row(id: id, a), a, known: true, id: id)
                    } else {
                        results[i] = .row(ProjectStage.row(id: id, projected[next]), projected[next], known: false, id: id)
                        next += 1
                    }
                }
            }
        }
    }

    /// Writes one record's result and counts it (on the writer thread: nothing else reads or changes
    /// what this changes until `writer.finish()`).
    private func write(_ result: Result, line: Int, raw: [UInt8]) throws {
        outcome.read += 1
        var result = result
        // A repeated id is quarantined, as `kindred clean` does (within a shard under --shard).
        if case .row(_, _, _, let id) = result {
            if let first = try seen.firstLine(of: id, line: line) {
                result = .quarantined(
                    QuarantinedRecord(file: request.input, line: line, field: "id", reason: "duplicate id (first seen on line \(first))", raw: raw))
            }
        }
        switch result {
        case .row(let text, let a, let known, let id):
            try output.write(text)
            if request.keepRows { outcome.rows.append(id: id, cluster: a.cluster) }
            if let c = a.cluster {
                outcome.assigned += 1
                outcome.clusterSizes[c, default: 0] += 1
                if known { outcome.known += 1 }
            } else {
                outcome.unassigned += 1
                outcome.unassignedReasons[(a.reason ?? .noFeatures).rawValue, default: 0] += 1
            }
        case .quarantined(let record):
            if request.failOnBadRecord {
                output.abandon()
                throw KindredError.badInput(record.reason, file: record.file, line: record.line, field: record.field)
            }
            try quarantine!.append(request.showValues ? record : Redaction.redact(record))
            outcome.quarantined += 1
            let key = record.field.map { "\($0): \(record.reason)" } ?? record.reason
            outcome.quarantineReasons[key, default: 0] += 1
        }
    }
}
