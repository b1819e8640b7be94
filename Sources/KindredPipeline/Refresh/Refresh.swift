import Foundation
import KindredCommunity
import KindredCore
import KindredPeople

/// The run a refresh starts from: everyone's cluster in it, its cluster ids, the next fresh id,
/// and a fingerprint of each person's clean record (to tell whether a person who moved had changed).
public struct PreviousRun: Sendable {
    public var key: String
    public var folder: String
    /// People in the previous run's assignment order, with their clusters (nil: unassigned).
    public var ids: [String]
    public var clusters: [Int32?]
    public var index: [String: Int]
    public var clusterIDs: Set<Int32>
    /// Above every id the previous run (and the runs before it) handed out.
    public var nextClusterID: Int32
    /// The pseudonymisation key check of the previous run's model.
    public var keyCheck: String
    /// FNV-1a of each person's clean JSON line, by pseudonymous id.
    public var recordHashes: [String: UInt64]

    /// The cluster of a person in the previous run, if they were in it and assigned.
    public func cluster(of id: String) -> Int32?? {
        guard let i = index[id] else { return nil }
        return .some(clusters[i])
    }

    /// Loads a finished run folder (one with a run `manifest.json`).
    /// - Throws: `KindredError` naming the file when the folder is not a finished run or is damaged.
    public static func load(folder: String) throws -> PreviousRun {
        let manifest = try RunManifest.load(folder: folder)
        let rows = try AssignmentsFile.read(path: joinPath(folder, "assignments.csv"))
        let (ids, clusters) = (rows.ids, rows.clusters)
        var index: [String: Int] = [:]
        index.reserveCapacity(ids.count)
        for (i, id) in ids.enumerated() { index[id] = i }
        let hashes = try recordHashes(path: joinPath(folder, "clean.jsonl"))
        return PreviousRun(
            key: manifest.key, folder: folder, ids: ids, clusters: clusters, index: index, clusterIDs: Set(manifest.clusterIDs),
            nextClusterID: manifest.nextClusterID, keyCheck: manifest.keyCheck, recordHashes: hashes)
    }

    /// FNV-1a of a clean line (without its newline): a person's record fingerprint.
    @inlinable
    public static func recordHash<Bytes: Sequence<UInt8>>(_ line: Bytes) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in line {
            hash ^= UInt64(b)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }

    /// `recordHash` of every clean line, by id.
    public static func recordHashes(path: String) throws -> [String: UInt64] {
        var hashes: [String: UInt64] = [:]
        let reader = try LineReader(path: path)
        let prefix = Array(#"{"id":""#.utf8)
        while let line = try reader.nextLine() {
            if line.isEmpty { continue }
            let hash = recordHash(line)
            let id: String
            if line.count > prefix.count && line.starts(with: prefix), let end = line.dropFirst(prefix.count).firstIndex(of: UInt8(ascii: "\"")) {
                id = String(decoding: line[(line.startIndex + prefix.count)..<end], as: UTF8.self)
            } else {
                id = try PeopleJSON.parse(String(decoding: line, as: UTF8.self)).id
            }
            hashes[id] = hash
        }
        return hashes
    }
}

/// What changed since the previous run: clusters born, gone, split and merged, and the people who
/// moved. Written as `diff.json` (counts and clusters) and `moved.csv` (pseudonymous ids).
public struct RunDiff: Sendable {
    public var previousKey: String
    public var changes: ClusterChanges
    /// People of this run absent from the previous one, and the reverse.
    public var joined = 0
    public var left = 0
    /// Moved people: id, previous cluster, current cluster, whether their clean record changed.
    public var moved: [(id: String, from: Int32?, to: Int32?, recordChanged: Bool)] = []
    /// Share of the previous run's cluster ids still in use.
    public var idsKept: Double
    /// The matches that kept ids (over the clustered sample), for the record.
    public var matches: [ClusterMatching.Match]

    /// Compares this run's assignments (`ids`, `clusters`, in output order) with the previous run.
    public static func compute(
        previous: PreviousRun, ids: [String], clusters: [Int32?], clusterIDs: Set<Int32>, recordHashes: [String: UInt64],
        matches: [ClusterMatching.Match]
    ) -> RunDiff {
        var old: [Int32?] = []
        var new: [Int32?] = []
        var moved: [(id: String, from: Int32?, to: Int32?, recordChanged: Bool)] = []
        var joined = 0
        var seen = 0
        for (i, id) in ids.enumerated() {
            guard let p = previous.index[id] else {
                joined += 1
                continue
            }
            seen += 1
            let before = previous.clusters[p]
            let now = clusters[i]
            old.append(before)
            new.append(now)
            if before != now {
                let changed = previous.recordHashes[id] != recordHashes[id]
                moved.append((id, before, now, changed))
            }
        }
        let changes = ClusterChanges.compute(previous: old, current: new, previousIDs: previous.clusterIDs, currentIDs: clusterIDs)
        let kept = previous.clusterIDs.isEmpty ? 1 : Double(changes.kept.count) / Double(previous.clusterIDs.count)
        return RunDiff(
            previousKey: previous.key, changes: changes, joined: joined, left: previous.ids.count - seen, moved: moved, idsKept: kept,
            matches: matches)
    }

    /// `diff.json`: counts, cluster ids born/gone/kept, splits and merges (no personal data).
    public func json() -> String {
        var j = JSONText()
        j.add("previous_run", previousKey)
        var people = JSONText()
        people.add("in_both", changes.inBoth)
        people.add("joined", joined)
        people.add("left", left)
        people.add("moved", moved.count)
        people.add("moved_record_changed", moved.filter(\.recordChanged).count)
        people.add("moved_record_unchanged", moved.filter { !$0.recordChanged }.count)
        j.add("people", raw: people.text)
        var clusters = JSONText()
        clusters.add("previous", changes.kept.count + changes.gone.count)
        clusters.add("current", changes.kept.count + changes.born.count)
        clusters.add("kept", changes.kept.count)
        clusters.add("ids_kept_share", idsKept, digits: 4)
        clusters.add("born", raw: "[" + changes.born.map(String.init).joined(separator: ",") + "]")
        clusters.add("gone", raw: "[" + changes.gone.map(String.init).joined(separator: ",") + "]")
        func flows(_ list: [ClusterChanges.Flow], _ key: String) -> String {
            "[" + list.map { f in
                var o = JSONText()
                o.add("cluster", Int(f.cluster))
                o.add(key, raw: "[" + f.parts.map { "{\"cluster\":\($0.cluster),\"people\":\($0.people)}" }.joined(separator: ",") + "]")
                return o.text
            }.joined(separator: ",") + "]"
        }
        clusters.add("split", raw: flows(changes.split, "into"))
        clusters.add("merged", raw: flows(changes.merged, "from"))
        j.add("clusters", raw: clusters.text)
        j.add("ari_vs_previous", changes.ari, digits: 4)
        var matched = JSONText()
        for m in matches.sorted(by: { $0.previous < $1.previous }) { matched.add(String(m.previous), m.jaccard, digits: 4) }
        j.add("sample_jaccard_of_kept_ids", raw: matched.text)
        return j.text
    }

    /// `moved.csv`: `id,from_cluster,to_cluster,record_changed` (pseudonymous ids; `unassigned` when none).
    public func movedCSV() -> String {
        var out = "id,from_cluster,to_cluster,record_changed\n"
        for m in moved {
            out += CSV.escape(m.id) + "," + (m.from.map(String.init) ?? "unassigned") + "," + (m.to.map(String.init) ?? "unassigned") + ","
                + (m.recordChanged ? "true" : "false") + "\n"
        }
        return out
    }
}
