import Foundation
import KindredClean
import KindredCore
import KindredPeople

/// What a scheduled job did: the run (its summary), where it was published, what it refreshed from,
/// and what the catalog said at start.
public struct JobOutcome: Sendable {
    public var summary: RunSummary
    public var key: String
    /// `OUTPUT/runs/KEY`.
    public var folder: String
    public var previous: String?
    public var catalogID: Int64
    /// Runs found stuck in `running` and marked abandoned at start.
    public var abandoned: [String]
    /// `--strict` and records were quarantined: published, but the exit status is 3.
    public var partial = false
    /// This attempt's number for its key (1: the key's first row in the catalog) and what it was.
    public var attempt = 1
    public var attemptKind = RunCatalog.AttemptKind.first
    /// The newest good run before this one (by completion, any key): where `latest` pointed when it started.
    public var previousGood: String?

    /// One line on what this run was: `first run of key K`, `re-run of run K (attempt 2); previous good
    /// run: P`, or `retry of run K (attempt 2; no earlier attempt succeeded)`, and what it refreshed from.
    public var description: String {
        var text: String
        switch attemptKind {
        case .first: text = "first run of key \(key)"
        case .rerun: text = "re-run of run \(key) (attempt \(attempt))"
        case .retry: text = "retry of run \(key) (attempt \(attempt); no earlier attempt succeeded)"
        }
        text += "; previous good run: " + (previousGood ?? "none")
        return text
    }
}

/// `kindred run` as a scheduled batch job: one lock per output folder, the run catalog, the previous
/// run to refresh from, a staging folder published in one step with the manifest last, and a clean
/// stop on SIGTERM or after the maximum run time.
///
/// ```
/// OUTPUT/.lock              flock, held for the whole job
/// OUTPUT/catalog.sqlite     every run: key, config hash, input fingerprint, status, timings, counts, clusters
/// OUTPUT/runs/KEY/          a finished run (manifest.json last)
/// OUTPUT/latest -> runs/KEY the newest good run (by completion)
/// ```
///
/// Without `--run-key` the key is `auto-` and 12 hex digits of SHA-256(config hash, input SHA-256):
/// the same inputs and settings land in the same folder, changed ones in a new folder that refreshes
/// from the last.
public enum Job {
    /// Runs the job.
    /// - Throws: `KindredError`: `.locked` when another run holds the folder, `.stopped` on SIGTERM or
    ///   timeout, and whatever the pipeline throws; the catalog records failures once the run has a row.
    public static func run(_ config: RunConfig, lockWait: Double = 0, environment: [String: String], log: RunLog = .silent) throws -> JobOutcome {
        let started = Date()
        guard let input = config.input else { throw KindredError.usage("no input: give --input FILE or `input` in the config") }
        guard let output = config.output else { throw KindredError.usage("no output folder: give --output or `output` in the config") }
        let catalogPath = DictionaryLocation.resolve(explicit: config.catalog, environment: environment)
        try InputFile.checkReadable(input, what: "input")
        if let seconds = config.maximumRuntime { StopControl.setMaximumRuntime(seconds) }
        var settings = config
        settings.catalog = catalogPath ?? DictionaryLocation.noneWord
        settings.asOf = config.effectiveAsOf(runKey: config.runKey)
        try makeFolder(RunFolder.runs(output))
        let lock = try FolderLock.acquire(folder: output, wait: lockWait, shouldStop: StopControl.check)
        defer { lock.release() }
        let catalog = try RunCatalog(path: RunFolder.catalog(output))
        let abandoned = try tidy(output, catalog: catalog, log: log)

        try StopControl.check()
        let identity = FileIdentity(path: input)
        let fingerprint = try ClusterModel.sha256(of: input)
        let fingerprints = RunConfig.Fingerprints(
            catalog: try catalogPath.map { try RunFolder.fingerprint($0) } ?? "", truth: try settings.truth.map { try RunFolder.fingerprint($0) } ?? "",
            overrides: try settings.overrides.map { try RunFolder.fingerprint($0) } ?? "")
        let configText = settings.canonicalText(fingerprints: fingerprints, asOf: settings.asOf!)
        let configHash = sha256Hex(configText)
        let key = config.runKey ?? "auto-" + String(sha256Hex(configHash + "\n" + fingerprint).prefix(12))
        settings.runKey = key
        let attempt = try Attempt.begin(
            key: key, output: output, catalog: catalog, configHash: configHash, fingerprint: fingerprint, configText: configText,
            inputIdentity: identity, started: started)
        let (summary, previous) = try attempt.run(settings, input: input, environment: environment, log: log)
        return try attempt.finish(summary, previous: previous, strict: settings.strict, abandoned: abandoned, log: log)
    }

    /// Marks runs that died as abandoned and removes or restores what they left; returns their keys.
    private static func tidy(_ output: String, catalog: RunCatalog, log: RunLog) throws -> [String] {
        let abandoned = try catalog.markAbandoned()
        for k in abandoned { log.warning("run_abandoned", "an earlier run (\(k)) ended without finishing; marked abandoned", [("run_key", .string(k))]) }
        let leftovers = RunFolder.removeLeftovers(output)
        for k in leftovers.restored { log.warning("run_restored", "put back run \(k), moved aside by a publication that did not finish", [("run_key", .string(k))]) }
        for name in leftovers.removed { log.info("leftover_removed", "removed \(name) left by a run that died", [("folder", .string(name))]) }
        return abandoned
    }

    /// One attempt at a run key: its catalog row, staged outputs, publication and record.
    private struct Attempt {
        var key: String
        var output: String
        var catalog: RunCatalog
        var configHash: String
        var fingerprint: String
        var configText: String
        var inputIdentity: FileIdentity?
        var started: Date
        var id: Int64
        var number: Int
        var kind: RunCatalog.AttemptKind
        var previousGood: String?
        var final: String { RunFolder.folder(output, key: key) }
        var staging: String { RunFolder.staging(output, key: key) }

        /// Opens the attempt's row in the catalog.
        static func begin(
            key: String, output: String, catalog: RunCatalog, configHash: String, fingerprint: String, configText: String,
            inputIdentity: FileIdentity?, started: Date
        ) throws -> Attempt {
            let id = try catalog.begin(
                key: key, configHash: configHash, inputFingerprint: fingerprint, previousKey: nil, folder: RunFolder.folder(output, key: key))
            let row = try catalog.record(id: id)
            return Attempt(
                key: key, output: output, catalog: catalog, configHash: configHash, fingerprint: fingerprint, configText: configText,
                inputIdentity: inputIdentity, started: started, id: id, number: row?.attempt ?? 1, kind: row?.attemptKind ?? .first,
                previousGood: try catalog.newestSucceeded(before: id)?.key)
        }

        /// Runs the pipeline into the staging folder and publishes it; a failure is recorded and rethrown.
        func run(_ settings: RunConfig, input: String, environment: [String: String], log: RunLog) throws -> (RunSummary, PreviousRun?) {
            do {
                let previous = try Job.resolvePrevious(settings.previous ?? "auto", key: key, currentID: id, output: output, catalog: catalog, log: log)
                try catalog.setPrevious(id: id, previousKey: previous?.key)
                let pseudonymizer = try Pseudonymizer.resolve(keyFile: settings.keyFile, environment: environment, allowDemoKey: settings.demoKey)
                if let previous, previous.keyCheck != ClusterModel.keyCheck(pseudonymizer) {
                    throw KindredError(
                        .usage, "the previous run (\(previous.key)) was made with another pseudonymisation key: its people cannot be matched; use the same key or --previous none",
                        file: previous.folder)
                }
                logStart(previous: previous, log: log)
                try? FileManager.default.removeItem(atPath: staging)
                try makeFolder(staging)
                let summary = try PipelineRun.run(
                    settings, into: staging, previous: previous, runKey: key, environment: environment, log: log, configHash: configHash,
                    inputSHA256: fingerprint)
                try publish(summary, previous: previous, input: input)
                return (summary, previous)
            } catch {
                log.finishProgress()
                try? FileManager.default.removeItem(atPath: staging)
                let failure = (error as? KindredError) ?? KindredError(.internalFailure, "unexpected error: \(error)")
                try? catalog.finish(
                    id: id, status: .failed, seconds: Date().timeIntervalSince(started), exitCode: Int(failure.exitStatus), error: failure.description,
                    figures: nil)
                throw failure
            }
        }

        private func logStart(previous: PreviousRun?, log: RunLog) {
            let what: String
            switch kind {
            case .first: what = ""
            case .rerun: what = ", re-run of run \(key) (attempt \(number)), previous good run \(previousGood ?? "none")"
            case .retry: what = ", retry of run \(key) (attempt \(number)), previous good run \(previousGood ?? "none")"
            }
            log.info("run_started", "run \(key) → \(final)" + what + (previous.map { ", refreshing from \($0.key)" } ?? ", not refreshed from an earlier run"),
                     [("run_key", .string(key)), ("config_sha256", .string(configHash)), ("previous_run", .string(previous?.key ?? "")),
                      ("attempt", .int(number)), ("attempt_kind", .string(kind.rawValue)), ("previous_good_run", .string(previousGood ?? ""))])
        }

        /// Writes the config and the manifest into the staging folder and publishes it as the run's folder.
        private func publish(_ summary: RunSummary, previous: PreviousRun?, input: String) throws {
            // The input must be the file that was fingerprinted: replaced, truncated or rewritten while the run
            // read it, the run is not published. Removed after it was opened, it was still read whole.
            if let now = FileIdentity(path: input), let inputIdentity, now != inputIdentity {
                throw KindredError(
                    .io, "the input changed while the run read it (replaced, truncated or rewritten); nothing was published: run again once the file is complete",
                    file: input)
            }
            try AtomicFileWriter.write(configText, to: joinPath(staging, "config.toml"))
            var manifest = RunManifest(
                key: key, configSHA256: configHash, inputSHA256: fingerprint, inputRecords: summary.clean.read, previousKey: previous?.key,
                keyCheck: summary.keyCheck, nextClusterID: summary.nextClusterID, clusterIDs: summary.clusterSizes.map(\.0))
            try manifest.write(to: staging)
            try StopControl.check()
            try RunFolder.publish(staging: staging, to: final)
        }

        /// Records the published run in the catalog and points `latest` at it when it is the newest.
        func finish(_ published: RunSummary, previous: PreviousRun?, strict: Bool, abandoned: [String], log: RunLog) throws -> JobOutcome {
            // Published: from here on the run is good whatever else fails.
            var summary = published
            summary.output = final
            let partial = strict && summary.clean.quarantined > 0
            let seconds = Date().timeIntervalSince(started)
            do {
                try catalog.finish(id: id, status: .succeeded, seconds: seconds, exitCode: partial ? 3 : 0, error: nil, figures: Self.figures(summary))
            } catch let error as KindredError {
                throw KindredError(.io, "run \(key) was published in \(final), but the catalog could not record it: \(error.message)", file: catalog.path)
            }
            do {
                if try catalog.newestKey() == key { try RunFolder.pointLatest(output, key: key) }
            } catch let error as KindredError {
                log.warning("latest_not_updated", "the run is published but `latest` was not updated: \(error.description)")
            }
            log.info("run_succeeded", "run \(key) published in \(String(format: "%.1f", seconds)) s", [("run_key", .string(key)), ("seconds", .double(seconds))])
            return JobOutcome(
                summary: summary, key: key, folder: final, previous: previous?.key, catalogID: id, abandoned: abandoned, partial: partial,
                attempt: number, attemptKind: kind, previousGood: previousGood)
        }

        private static func figures(_ summary: RunSummary) -> RunCatalog.Figures {
            var figures = RunCatalog.Figures()
            figures.read = summary.clean.read
            figures.written = summary.clean.written
            figures.quarantined = summary.clean.quarantined
            figures.sampled = summary.sampled
            figures.assigned = summary.projection.assigned
            figures.unassigned = summary.projection.unassigned
            figures.modularity = summary.modularity
            figures.idsKept = summary.diff?.idsKept
            figures.moved = summary.diff?.moved.count
            figures.timings = summary.timings
            figures.clusterSizes = summary.clusterSizes
            return figures
        }
    }

    /// The run to refresh from: `none`; a run folder; a run key in the catalog; or `auto`: for a key
    /// that already succeeded, the run its first success refreshed from (so a retry or a backfill gives
    /// the same bytes); for a new key, the newest good run with another key from before this key's
    /// first attempt.
    static func resolvePrevious(_ choice: String, key: String, currentID: Int64, output: String, catalog: RunCatalog, log: RunLog) throws -> PreviousRun? {
        func load(_ previousKey: String) throws -> PreviousRun? {
            let folder = RunFolder.folder(output, key: previousKey)
            guard FileManager.default.fileExists(atPath: joinPath(folder, "manifest.json")) else {
                log.warning("previous_missing", "the run to refresh from (\(previousKey)) is no longer on disk; starting afresh", [("run_key", .string(previousKey))])
                return nil
            }
            return try PreviousRun.load(folder: folder)
        }
        switch choice {
        case "none":
            return nil
        case "auto":
            if let done = try catalog.firstSucceeded(key: key) {
                return try done.previousKey.flatMap(load)
            }
            let anchor = try catalog.firstRowID(key: key) ?? currentID
            guard let record = try catalog.newestSucceeded(otherThan: key, before: anchor) else { return nil }
            return try load(record.key)
        default:
            if FileManager.default.fileExists(atPath: joinPath(choice, "manifest.json")) { return try PreviousRun.load(folder: choice) }
            guard RunConfig.isValidRunKey(choice), let record = try catalog.lastSucceeded(key: choice) else {
                throw KindredError(.usage, "--previous: no finished run folder or good run with that key in the catalog", file: choice)
            }
            return try PreviousRun.load(folder: RunFolder.folder(output, key: record.key))
        }
    }
}
