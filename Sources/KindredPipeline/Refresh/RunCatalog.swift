import Foundation
import GRDB
import KindredCore

/// The run catalog: one SQLite database per output folder (`OUTPUT/catalog.sqlite`, via GRDB) with
/// every run's key, config hash, input fingerprint, status, timings, counts, modularity, and its
/// cluster ids and sizes. A run stuck in `running` (its process died) is marked `abandoned` by the
/// next run, which holds the folder's lock and so knows no other run is alive.
///
/// Every attempt has its own row, numbered per key (`attempt`, 1 for the key's first row) and marked
/// `first`, `retry` (the key had rows, none of them good) or `re-run` (the key already had a good run).
public final class RunCatalog {
    /// A run's state.
    public enum Status: String, Sendable, CaseIterable {
        case running, succeeded, failed, abandoned
    }

    /// What an attempt was to the attempts of its key before it.
    public enum AttemptKind: String, Sendable, CaseIterable {
        /// The key's first row.
        case first
        /// The key had rows before, none of them succeeded (failed, abandoned or still marked running).
        case retry
        /// The key had already succeeded: the same key run again.
        case rerun = "re-run"
    }

    /// One catalog row.
    public struct Record: Sendable, Equatable {
        public var id: Int64
        public var key: String
        /// 1 for the key's first row, then 2, 3, … in the order the attempts started.
        public var attempt: Int
        public var attemptKind: AttemptKind
        public var status: Status
        public var configHash: String
        public var inputFingerprint: String
        public var previousKey: String?
        public var folder: String
        public var startedAt: String
        public var finishedAt: String?
        public var seconds: Double?
        public var exitCode: Int?
        public var error: String?
        public var read: Int?
        public var written: Int?
        public var quarantined: Int?
        public var sampled: Int?
        public var assigned: Int?
        public var unassigned: Int?
        public var clusters: Int?
        public var modularity: Double?
        public var idsKept: Double?
        public var moved: Int?
        /// Stage → seconds, as a JSON object.
        public var timings: String?
    }

    /// What a finished run adds to its row.
    public struct Figures: Sendable {
        public var read = 0, written = 0, quarantined = 0, sampled = 0, assigned = 0, unassigned = 0
        public var modularity = 0.0
        public var idsKept: Double?
        public var moved: Int?
        public var timings: [(String, Double)] = []
        /// Cluster id and people assigned to it.
        public var clusterSizes: [(Int32, Int)] = []
        public init() {}
    }

    public let path: String
    private let queue: DatabaseQueue

    /// Opens (creating and migrating) the catalog.
    /// - Throws: `KindredError` (`.io`) when the database cannot be opened or is not a Kindred catalog.
    public init(path: String) throws {
        self.path = path
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            queue = try DatabaseQueue(path: path, configuration: configuration)
            var migrator = DatabaseMigrator()
            migrator.registerMigration("v1") { db in
                try db.execute(sql: """
                    CREATE TABLE runs (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        key TEXT NOT NULL,
                        status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'abandoned')),
                        config_hash TEXT NOT NULL,
                        input_fingerprint TEXT NOT NULL,
                        previous_key TEXT,
                        folder TEXT NOT NULL,
                        pid INTEGER NOT NULL,
                        started_at TEXT NOT NULL,
                        finished_at TEXT,
                        seconds REAL,
                        exit_code INTEGER,
                        error TEXT,
                        records_read INTEGER,
                        records_written INTEGER,
                        quarantined INTEGER,
                        sampled INTEGER,
                        assigned INTEGER,
                        unassigned INTEGER,
                        clusters INTEGER,
                        modularity REAL,
                        ids_kept REAL,
                        moved INTEGER,
                        timings TEXT
                    );
                    CREATE INDEX runs_by_key ON runs(key, id);
                    CREATE TABLE run_clusters (
                        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                        cluster INTEGER NOT NULL,
                        size INTEGER NOT NULL,
                        PRIMARY KEY (run_id, cluster)
                    );
                    """)
            }
            migrator.registerMigration("v2-attempts") { db in
                try db.execute(sql: """
                    ALTER TABLE runs ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;
                    ALTER TABLE runs ADD COLUMN attempt_kind TEXT NOT NULL DEFAULT 'first' CHECK (attempt_kind IN ('first', 'retry', 're-run'));
                    UPDATE runs SET attempt = 1 + (SELECT COUNT(*) FROM runs AS e WHERE e.key = runs.key AND e.id < runs.id);
                    UPDATE runs SET attempt_kind = CASE
                        WHEN attempt = 1 THEN 'first'
                        WHEN EXISTS (SELECT 1 FROM runs AS e WHERE e.key = runs.key AND e.id < runs.id AND e.status = 'succeeded') THEN 're-run'
                        ELSE 'retry' END;
                    """)
            }
            try migrator.migrate(queue)
        } catch let error as KindredError {
            throw error
        } catch {
            throw KindredError(.io, "cannot open the run catalog: \(RunCatalog.describe(error))", file: path)
        }
    }

    static func describe(_ error: Error) -> String {
        if let e = error as? DatabaseError { return e.message ?? "SQLite error \(e.resultCode.rawValue)" }
        return String(describing: error)
    }

    private func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try queue.write(body) } catch { throw KindredError(.io, "run catalog: \(RunCatalog.describe(error))", file: path) }
    }

    private func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try queue.read(body) } catch { throw KindredError(.io, "run catalog: \(RunCatalog.describe(error))", file: path) }
    }

    /// Marks every `running` row `abandoned` (call while holding the folder's lock). Returns their keys.
    @discardableResult
    public func markAbandoned(now: String = RunLog.timestamp()) throws -> [String] {
        try write { db in
            let keys = try String.fetchAll(db, sql: "SELECT key FROM runs WHERE status = 'running' ORDER BY id")
            try db.execute(
                sql: "UPDATE runs SET status = 'abandoned', finished_at = ?, error = 'the process ended without finishing (killed or crashed)' WHERE status = 'running'",
                arguments: [now])
            return keys
        }
    }

    /// Adds a `running` row, numbered and marked against the key's earlier rows, and returns its id.
    public func begin(key: String, configHash: String, inputFingerprint: String, previousKey: String?, folder: String, now: String = RunLog.timestamp()) throws -> Int64 {
        try write { db in
            let earlier = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM runs WHERE key = ?", arguments: [key]) ?? 0
            let good = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM runs WHERE key = ? AND status = 'succeeded'", arguments: [key]) ?? 0
            let kind: AttemptKind = earlier == 0 ? .first : (good > 0 ? .rerun : .retry)
            try db.execute(
                sql: """
                    INSERT INTO runs (key, status, config_hash, input_fingerprint, previous_key, folder, pid, started_at, attempt, attempt_kind)
                    VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [key, configHash, inputFingerprint, previousKey, folder, Int(getpid()), now, earlier + 1, kind.rawValue])
            return db.lastInsertedRowID
        }
    }

    /// The row with this id.
    public func record(id: Int64) throws -> Record? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT \(RunCatalog.columns) FROM runs WHERE id = ?", arguments: [id]).map(RunCatalog.record)
        }
    }

    /// Closes a row: succeeded with its figures, or failed with the error and exit status.
    public func finish(id: Int64, status: Status, seconds: Double, exitCode: Int, error: String?, figures: Figures?, now: String = RunLog.timestamp()) throws {
        try write { db in
            try db.execute(
                sql: "UPDATE runs SET status = ?, finished_at = ?, seconds = ?, exit_code = ?, error = ? WHERE id = ?",
                arguments: [status.rawValue, now, seconds, exitCode, error, id])
            guard let f = figures else { return }
            var timings = JSONText()
            for (stage, s) in f.timings { timings.add(stage, s, digits: 3) }
            try db.execute(
                sql: """
                    UPDATE runs SET records_read = ?, records_written = ?, quarantined = ?, sampled = ?, assigned = ?, unassigned = ?,
                    clusters = ?, modularity = ?, ids_kept = ?, moved = ?, timings = ? WHERE id = ?
                    """,
                arguments: [f.read, f.written, f.quarantined, f.sampled, f.assigned, f.unassigned, f.clusterSizes.count, f.modularity, f.idsKept, f.moved, timings.text, id])
            for (cluster, size) in f.clusterSizes {
                try db.execute(sql: "INSERT INTO run_clusters (run_id, cluster, size) VALUES (?, ?, ?)", arguments: [id, Int(cluster), size])
            }
        }
    }

    private static let columns = """
        id, key, attempt, attempt_kind, status, config_hash, input_fingerprint, previous_key, folder, started_at, finished_at, seconds, exit_code, error,
        records_read, records_written, quarantined, sampled, assigned, unassigned, clusters, modularity, ids_kept, moved, timings
        """

    private static func record(_ row: Row) -> Record {
        Record(
            id: row["id"], key: row["key"], attempt: row["attempt"], attemptKind: AttemptKind(rawValue: row["attempt_kind"]) ?? .first, status: Status(rawValue: row["status"]) ?? .failed, configHash: row["config_hash"],
            inputFingerprint: row["input_fingerprint"], previousKey: row["previous_key"], folder: row["folder"], startedAt: row["started_at"],
            finishedAt: row["finished_at"], seconds: row["seconds"], exitCode: row["exit_code"], error: row["error"], read: row["records_read"],
            written: row["records_written"], quarantined: row["quarantined"], sampled: row["sampled"], assigned: row["assigned"],
            unassigned: row["unassigned"], clusters: row["clusters"], modularity: row["modularity"], idsKept: row["ids_kept"], moved: row["moved"],
            timings: row["timings"])
    }

    /// Records which run this one refreshes from (nil: none).
    public func setPrevious(id: Int64, previousKey: String?) throws {
        try write { db in try db.execute(sql: "UPDATE runs SET previous_key = ? WHERE id = ?", arguments: [previousKey, id]) }
    }

    /// The first succeeded run with `key`.
    public func firstSucceeded(key: String) throws -> Record? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT \(RunCatalog.columns) FROM runs WHERE status = 'succeeded' AND key = ? ORDER BY id LIMIT 1", arguments: [key])
                .map(RunCatalog.record)
        }
    }

    /// The id of the first row with `key` (any status).
    public func firstRowID(key: String) throws -> Int64? {
        try read { db in try Int64.fetchOne(db, sql: "SELECT MIN(id) FROM runs WHERE key = ?", arguments: [key]) }
    }

    /// The newest succeeded run with another key than `key`, before row `id`.
    public func newestSucceeded(otherThan key: String, before id: Int64) throws -> Record? {
        try read { db in
            try Row.fetchOne(
                db, sql: "SELECT \(RunCatalog.columns) FROM runs WHERE status = 'succeeded' AND key != ? AND id < ? ORDER BY id DESC LIMIT 1",
                arguments: [key, id]
            ).map(RunCatalog.record)
        }
    }

    /// The key of the newest good run by completion (the last succeeded row to finish; ties: the later
    /// row): what `latest` points at. A re-run or backfill of an older key that succeeds moves it there.
    public func newestKey() throws -> String? {
        try newestSucceeded(before: nil)?.key
    }

    /// The newest succeeded row by completion, of those before row `id` (every row when nil).
    public func newestSucceeded(before id: Int64?) throws -> Record? {
        try read { db in
            try Row.fetchOne(
                db, sql: "SELECT \(RunCatalog.columns) FROM runs WHERE status = 'succeeded' AND id < ? ORDER BY finished_at DESC, id DESC LIMIT 1",
                arguments: [id ?? Int64.max]
            ).map(RunCatalog.record)
        }
    }

    /// Every run, oldest first (the last `limit` when given).
    public func runs(limit: Int? = nil) throws -> [Record] {
        try read { db in
            let rows: [Row]
            if let limit {
                rows = try Row.fetchAll(db, sql: "SELECT * FROM (SELECT \(RunCatalog.columns) FROM runs ORDER BY id DESC LIMIT ?) ORDER BY id", arguments: [limit])
            } else {
                rows = try Row.fetchAll(db, sql: "SELECT \(RunCatalog.columns) FROM runs ORDER BY id")
            }
            return rows.map(RunCatalog.record)
        }
    }

    /// The newest succeeded run with `key`.
    public func lastSucceeded(key: String) throws -> Record? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT \(RunCatalog.columns) FROM runs WHERE status = 'succeeded' AND key = ? ORDER BY id DESC LIMIT 1", arguments: [key])
                .map(RunCatalog.record)
        }
    }

    /// A run's cluster ids and sizes, by id.
    public func clusterSizes(runID: Int64) throws -> [(Int32, Int)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT cluster, size FROM run_clusters WHERE run_id = ? ORDER BY cluster", arguments: [runID]).map {
                (Int32(truncatingIfNeeded: $0["cluster"] as Int), $0["size"] as Int)
            }
        }
    }
}
