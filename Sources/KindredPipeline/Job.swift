import Foundation
import KindredCore

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
}

/// `kindred run` as a scheduled batch job: one lock per output folder, the run catalog, the previous
/// run to refresh from, a staging folder published in one step with the manifest last, and a clean
/// stop on SIGTERM or after the maximum run time.
///
/// ```
/// OUTPUT/.lock              flock, held for the whole job
/// OUTPUT/catalog.sqlite     every run: key, config hash, input fingerprint, status, timings, counts, clusters
/// OUTPUT/runs/KEY/          a finished run (manifest.json last); KEY defaults to "default"
/// OUTPUT/latest -> runs/KEY the newest good run
/// ```
public enum Job {
    public static let defaultKey = "default"

    /// Runs the job.
    /// - Throws: `KindredError`: `.locked` when another run holds the folder, `.stopped` on SIGTERM or
    ///   timeout, and whatever the pipeline throws; the catalog records the failure either way.
    public static func run(_ config: RunConfig, lockWait: Double = 0, environment: [String: String], log: RunLog = .silent) throws -> JobOutcome {
        let started = Date()
        guard let input = config.input else { throw KindredError.usage("no input: give INPUT or `input` in the config") }
        guard let output = config.output else { throw KindredError.usage("no output folder: give --output or `output` in the config") }
        guard FileManager.default.isReadableFile(atPath: input) else { throw KindredError(.io, "cannot read the input", file: input) }
        let key = config.runKey ?? defaultKey
        if let seconds = config.maximumRuntime { StopControl.setMaximumRuntime(seconds) }
        try makeFolder(RunFolder.runs(output))
        let lock = try FolderLock.acquire(folder: output, wait: lockWait, shouldStop: StopControl.check)
        defer { lock.release() }
        let catalog = try RunCatalog(path: RunFolder.catalog(output))
        let abandoned = try catalog.markAbandoned()
        for k in abandoned { log.warning("run_abandoned", "an earlier run (\(k)) ended without finishing; marked abandoned", [("run_key", .string(k))]) }
        for name in RunFolder.removeLeftovers(output) { log.info("leftover_removed", "removed \(name) left by a run that died", [("folder", .string(name))]) }

        let previous = try resolvePrevious(config.previous ?? "auto", key: key, output: output, catalog: catalog, log: log)
        let configHash = sha256Hex(config.canonicalText())
        let fingerprint = try ClusterModel.sha256(of: input)
        let final = RunFolder.folder(output, key: key)
        let id = try catalog.begin(key: key, configHash: configHash, inputFingerprint: fingerprint, previousKey: previous?.key, folder: final)
        log.info("run_started", "run \(key) → \(final)" + (previous.map { ", refreshing from \($0.key)" } ?? ", no previous run"),
                 [("run_key", .string(key)), ("config_sha256", .string(configHash)), ("previous_run", .string(previous?.key ?? ""))])
        let staging = RunFolder.staging(output, key: key)
        try? FileManager.default.removeItem(atPath: staging)
        do {
            try makeFolder(staging)
            var summary = try PipelineRun.run(config, into: staging, previous: previous, runKey: key, environment: environment, log: log)
            try AtomicFileWriter.write(config.canonicalText(), to: joinPath(staging, "config.toml"))
            var manifest = RunManifest(
                key: key, configSHA256: configHash, inputSHA256: fingerprint, inputRecords: summary.clean.read, previousKey: previous?.key,
                keyCheck: summary.keyCheck, nextClusterID: summary.nextClusterID, clusterIDs: summary.clusterSizes.map(\.0))
            try manifest.write(to: staging)
            try StopControl.check()
            try RunFolder.publish(staging: staging, to: final)
            try RunFolder.pointLatest(output, key: key)
            summary.output = final
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
            let seconds = Date().timeIntervalSince(started)
            try catalog.finish(id: id, status: .succeeded, seconds: seconds, exitCode: 0, error: nil, figures: figures)
            log.info("run_succeeded", "run \(key) published in \(String(format: "%.1f", seconds)) s", [("run_key", .string(key)), ("seconds", .double(seconds))])
            return JobOutcome(summary: summary, key: key, folder: final, previous: previous?.key, catalogID: id, abandoned: abandoned)
        } catch {
            log.finishProgress()
            try? FileManager.default.removeItem(atPath: staging)
            let failure = (error as? KindredError) ?? KindredError(.internalFailure, "unexpected error: \(error)")
            try? catalog.finish(
                id: id, status: .failed, seconds: Date().timeIntervalSince(started), exitCode: Int(failure.exitStatus), error: failure.description, figures: nil)
            throw failure
        }
    }

    /// The run to refresh from: `none`; `auto` (the newest good run with another key, so that a retry
    /// of the same key starts from the same place); a run folder; or a run key in the catalog.
    static func resolvePrevious(_ choice: String, key: String, output: String, catalog: RunCatalog, log: RunLog) throws -> PreviousRun? {
        switch choice {
        case "none":
            return nil
        case "auto":
            guard let record = try catalog.runs().reversed().first(where: { $0.status == .succeeded && $0.key != key }) else { return nil }
            let folder = RunFolder.folder(output, key: record.key)
            guard FileManager.default.fileExists(atPath: joinPath(folder, "manifest.json")) else {
                log.warning("previous_missing", "the last good run (\(record.key)) is no longer on disk; starting afresh", [("run_key", .string(record.key))])
                return nil
            }
            return try PreviousRun.load(folder: folder)
        default:
            if FileManager.default.fileExists(atPath: joinPath(choice, "manifest.json")) { return try PreviousRun.load(folder: choice) }
            guard RunConfig.isValidRunKey(choice), let record = try catalog.lastSucceeded(key: choice) else {
                throw KindredError(.usage, "--previous: no finished run folder or good run with that key in the catalog", file: choice)
            }
            return try PreviousRun.load(folder: RunFolder.folder(output, key: record.key))
        }
    }
}
