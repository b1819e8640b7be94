import Foundation
import KindredCore
import KindredTestSupport
import Testing
@testable import KindredPipeline

/// A catalog in a fresh folder.
private func freshCatalog() throws -> (RunCatalog, TemporaryFolder) {
    let folder = try TemporaryFolder(prefix: "kindred-catalog-tests")
    return (try RunCatalog(path: folder.file("catalog.sqlite")), folder)
}

/// Starts a row for `key` with fixed hashes.
@discardableResult
private func begin(_ catalog: RunCatalog, _ key: String, now: String = "2026-01-01T00:00:00Z") throws -> Int64 {
    try catalog.begin(key: key, configHash: "config-" + key, inputFingerprint: "input-" + key, previousKey: nil, folder: "/runs/" + key, now: now)
}

@Suite("RunCatalog: the SQLite run catalog")
struct RunCatalogTests {
    @Test("a row starts running with its key, hashes and folder; finishing records status, figures, timings and cluster sizes")
    func recordsARun() throws {
        let (catalog, folder) = try freshCatalog()
        defer { folder.cleanUp() }
        let id = try begin(catalog, "week-1", now: "2026-01-05T10:00:00Z")
        let started = try #require(try catalog.record(id: id))
        #expect(started.key == "week-1" && started.status == .running && started.attempt == 1 && started.attemptKind == .first)
        #expect(started.configHash == "config-week-1" && started.inputFingerprint == "input-week-1" && started.folder == "/runs/week-1")
        #expect(started.startedAt == "2026-01-05T10:00:00Z" && started.finishedAt == nil && started.read == nil && started.timings == nil)
        var figures = RunCatalog.Figures()
        figures.read = 100
        figures.written = 97
        figures.quarantined = 3
        figures.sampled = 90
        figures.assigned = 95
        figures.unassigned = 2
        figures.modularity = 0.625
        figures.idsKept = 0.75
        figures.moved = 4
        figures.timings = [("clean", 1.25), ("graph", 2.0)]
        figures.clusterSizes = [(3, 40), (0, 50), (7, 5)]
        try catalog.setPrevious(id: id, previousKey: "week-0")
        try catalog.finish(id: id, status: .succeeded, seconds: 12.5, exitCode: 0, error: nil, figures: figures, now: "2026-01-05T10:01:00Z")
        let done = try #require(try catalog.record(id: id))
        #expect(done.status == .succeeded && done.exitCode == 0 && done.error == nil && done.seconds == 12.5)
        #expect(done.finishedAt == "2026-01-05T10:01:00Z" && done.previousKey == "week-0")
        #expect(done.read == 100 && done.written == 97 && done.quarantined == 3 && done.sampled == 90 && done.assigned == 95 && done.unassigned == 2)
        #expect(done.clusters == 3 && done.modularity == 0.625 && done.idsKept == 0.75 && done.moved == 4)
        #expect(done.timings == #"{"clean":1.25,"graph":2}"#)
        let sizes = try catalog.clusterSizes(runID: id)
        #expect(sizes.map(\.0) == [0, 3, 7] && sizes.map(\.1) == [50, 40, 5])
        #expect(try catalog.record(id: id + 1) == nil)
    }

    @Test("a failed run keeps its error and exit code and no figures")
    func recordsAFailure() throws {
        let (catalog, folder) = try freshCatalog()
        defer { folder.cleanUp() }
        let id = try begin(catalog, "w2")
        try catalog.finish(id: id, status: .failed, seconds: 0.5, exitCode: 2, error: "environment: field 'KINDRED_GRAPH_K': expected an integer", figures: nil)
        let row = try #require(try catalog.record(id: id))
        #expect(row.status == .failed && row.exitCode == 2 && row.error?.contains("KINDRED_GRAPH_K") == true)
        #expect(row.read == nil && row.clusters == nil && row.timings == nil)
        #expect(try catalog.clusterSizes(runID: id).isEmpty)
        #expect(try catalog.newestKey() == nil && catalog.lastSucceeded(key: "w2") == nil && catalog.firstSucceeded(key: "w2") == nil)
    }

    @Test("attempts are numbered per key: first, retry while none succeeded, re-run once one did")
    func attempts() throws {
        let (catalog, folder) = try freshCatalog()
        defer { folder.cleanUp() }
        let a1 = try begin(catalog, "a")
        try catalog.finish(id: a1, status: .failed, seconds: 1, exitCode: 1, error: "stopped", figures: nil)
        let b1 = try begin(catalog, "b")
        try catalog.finish(id: b1, status: .succeeded, seconds: 1, exitCode: 0, error: nil, figures: RunCatalog.Figures())
        let a2 = try begin(catalog, "a")
        try catalog.markAbandoned()
        let a3 = try begin(catalog, "a")
        try catalog.finish(id: a3, status: .succeeded, seconds: 1, exitCode: 0, error: nil, figures: RunCatalog.Figures())
        let a4 = try begin(catalog, "a")
        let rows = try catalog.runs()
        #expect(rows.map(\.id) == [a1, b1, a2, a3, a4])
        #expect(rows.map(\.key) == ["a", "b", "a", "a", "a"])
        #expect(rows.map(\.attempt) == [1, 1, 2, 3, 4])
        #expect(rows.map(\.attemptKind) == [.first, .first, .retry, .retry, .rerun])
        #expect(rows.map(\.status) == [.failed, .succeeded, .abandoned, .succeeded, .running])
        #expect(RunCatalog.AttemptKind.rerun.rawValue == "re-run")
        #expect(try catalog.firstRowID(key: "a") == a1 && catalog.firstRowID(key: "zzz") == nil)
        #expect(try catalog.firstSucceeded(key: "a")?.id == a3 && catalog.lastSucceeded(key: "a")?.id == a3)
    }

    @Test("runs still marked running are marked abandoned, with a reason; their keys are returned in order")
    func abandoned() throws {
        let (catalog, folder) = try freshCatalog()
        defer { folder.cleanUp() }
        let x = try begin(catalog, "x")
        let done = try begin(catalog, "done")
        try catalog.finish(id: done, status: .succeeded, seconds: 1, exitCode: 0, error: nil, figures: nil)
        let y = try begin(catalog, "y")
        #expect(try catalog.markAbandoned(now: "2026-02-01T00:00:00Z") == ["x", "y"])
        for id in [x, y] {
            let row = try #require(try catalog.record(id: id))
            #expect(row.status == .abandoned && row.finishedAt == "2026-02-01T00:00:00Z" && row.error?.contains("without finishing") == true)
        }
        #expect(try catalog.record(id: done)?.status == .succeeded)
        #expect(try catalog.markAbandoned().isEmpty)
    }

    @Test("runs lists every row oldest first; a limit keeps the newest rows, still oldest first")
    func listAndLimit() throws {
        let (catalog, folder) = try freshCatalog()
        defer { folder.cleanUp() }
        #expect(try catalog.runs().isEmpty && catalog.runs(limit: 3).isEmpty)
        for key in ["k1", "k2", "k3", "k4", "k5"] { try begin(catalog, key) }
        #expect(try catalog.runs().map(\.key) == ["k1", "k2", "k3", "k4", "k5"])
        #expect(try catalog.runs(limit: 2).map(\.key) == ["k4", "k5"])
        #expect(try catalog.runs(limit: 1).map(\.key) == ["k5"])
        #expect(try catalog.runs(limit: 10).map(\.key) == ["k1", "k2", "k3", "k4", "k5"])
    }

    @Test("the newest good run is the last to finish (a backfill of an older key moves it); lookups skip other keys and later rows")
    func newest() throws {
        let (catalog, folder) = try freshCatalog()
        defer { folder.cleanUp() }
        let jan = try begin(catalog, "2026-01")
        try catalog.finish(id: jan, status: .succeeded, seconds: 1, exitCode: 0, error: nil, figures: nil, now: "2026-01-02T00:00:00Z")
        let feb = try begin(catalog, "2026-02")
        try catalog.finish(id: feb, status: .succeeded, seconds: 1, exitCode: 0, error: nil, figures: nil, now: "2026-02-02T00:00:00Z")
        #expect(try catalog.newestKey() == "2026-02")
        // A backfill of January, finished last: `latest` follows it.
        let janAgain = try begin(catalog, "2026-01")
        try catalog.finish(id: janAgain, status: .succeeded, seconds: 1, exitCode: 0, error: nil, figures: nil, now: "2026-03-01T00:00:00Z")
        #expect(try catalog.newestKey() == "2026-01")
        #expect(try catalog.newestSucceeded(before: janAgain)?.key == "2026-02")
        #expect(try catalog.newestSucceeded(before: feb)?.key == "2026-01")
        #expect(try catalog.newestSucceeded(before: jan) == nil)
        let mar = try begin(catalog, "2026-03")
        #expect(try catalog.newestSucceeded(otherThan: "2026-03", before: mar)?.id == janAgain)
        #expect(try catalog.newestSucceeded(otherThan: "2026-01", before: mar)?.id == feb)
        #expect(try catalog.newestSucceeded(otherThan: "2026-02", before: feb)?.id == jan)
        #expect(try catalog.newestSucceeded(otherThan: "2026-01", before: feb) == nil)
        #expect(try catalog.lastSucceeded(key: "2026-01")?.id == janAgain && catalog.firstSucceeded(key: "2026-01")?.id == jan)
    }

    @Test("the catalog persists across openings; a file that is not a catalog is an I/O error naming it")
    func persistence() throws {
        let folder = try TemporaryFolder(prefix: "kindred-catalog-tests")
        defer { folder.cleanUp() }
        let path = folder.file("catalog.sqlite")
        do {
            let catalog = try RunCatalog(path: path)
            try begin(catalog, "kept")
        }
        #expect(try RunCatalog(path: path).runs().map(\.key) == ["kept"])
        let garbage = try folder.write(String(repeating: "not a database\n", count: 400), to: "other.sqlite")
        let error = #expect(throws: KindredError.self) { _ = try RunCatalog(path: garbage).runs() }
        #expect(error?.code == .io && error?.file == garbage, "\(error?.description ?? "")")
    }
}
