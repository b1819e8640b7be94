import Foundation
import KindredCore

/// Where a run's outputs live and how they are published: `OUTPUT/runs/KEY/`, written first into
/// `OUTPUT/runs/.staging-KEY-PID/` (every file fsynced and renamed there, the manifest last), then
/// swapped into place in one step (`renameat2(RENAME_EXCHANGE)` on Linux; two renames elsewhere),
/// and `OUTPUT/latest` re-pointed at it. A run that dies before the swap leaves the previous
/// outputs exactly as they were; its staging folder is removed by the next run.
public enum RunFolder {
    public static func runs(_ output: String) -> String { joinPath(output, "runs") }
    public static func folder(_ output: String, key: String) -> String { joinPath(runs(output), key) }
    public static func staging(_ output: String, key: String) -> String { joinPath(runs(output), ".staging-\(key)-\(getpid())") }
    public static func latest(_ output: String) -> String { joinPath(output, "latest") }
    public static func catalog(_ output: String) -> String { joinPath(output, "catalog.sqlite") }

    /// Cleans up after runs that died (call while holding the lock): an older run moved aside by the
    /// two-rename publication (`.replaced-KEY-PID`) goes back when `runs/KEY` is missing; other staging
    /// and replaced folders are removed. Returns what was restored and removed.
    @discardableResult
    public static func removeLeftovers(_ output: String) -> (restored: [String], removed: [String]) {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: runs(output)) else { return ([], []) }
        var restored: [String] = []
        var removed: [String] = []
        for name in names.sorted() where name.hasPrefix(".replaced-") {
            let rest = name.dropFirst(".replaced-".count)
            guard let dash = rest.lastIndex(of: "-") else { continue }
            let key = String(rest[..<dash])
            let final = folder(output, key: key)
            if RunConfig.isValidRunKey(key), !fm.fileExists(atPath: final), rename(joinPath(runs(output), name), final) == 0 { restored.append(key) }
        }
        for name in ((try? fm.contentsOfDirectory(atPath: runs(output))) ?? []).sorted() where name.hasPrefix(".staging-") || name.hasPrefix(".replaced-") {
            if (try? fm.removeItem(atPath: joinPath(runs(output), name))) != nil { removed.append(name) }
        }
        return (restored, removed)
    }

    /// SHA-256 of a file, or of a folder's files (each relative name and SHA-256, sorted).
    public static func fingerprint(_ path: String) throws -> String {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { throw KindredError(.io, "cannot open: no such file or folder", file: path) }
        guard isFolder.boolValue else { return try ClusterModel.sha256(of: path) }
        var lines = ""
        for name in files(in: path) { lines += name + " " + (try ClusterModel.sha256(of: joinPath(path, name))) + "\n" }
        return sha256Hex(lines)
    }

    private typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32

    /// `renameat2` when the C library has it (glibc ≥ 2.28): Swift's Glibc module does not export it.
    private static let renameat2: RenameAt2? = {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "renameat2") else { return nil }
        return unsafeBitCast(symbol, to: RenameAt2.self)
    }()

    /// Moves the finished staging folder to `final`, replacing an older run with the same key.
    public static func publish(staging: String, to final: String) throws {
        let fm = FileManager.default
        var isFolder: ObjCBool = false
        if fm.fileExists(atPath: final, isDirectory: &isFolder) {
            let exchanged = renameat2.map { $0(AT_FDCWD, staging, AT_FDCWD, final, 2 /* RENAME_EXCHANGE */) == 0 } ?? false
            if exchanged {
                // `staging` now holds the old run.
                try? fm.removeItem(atPath: staging)
            } else {
                let aside = AtomicFileWriter.folder(of: final) + "/.replaced-" + (final.split(separator: "/").last.map(String.init) ?? "run") + "-\(getpid())"
                guard rename(final, aside) == 0 else { throw KindredError(.io, "cannot move the older run aside: \(String(cString: strerror(errno)))", file: final) }
                guard rename(staging, final) == 0 else {
                    let message = String(cString: strerror(errno))
                    _ = rename(aside, final)
                    throw KindredError(.io, "cannot publish the run: \(message)", file: final)
                }
                try? fm.removeItem(atPath: aside)
            }
        } else {
            guard rename(staging, final) == 0 else { throw KindredError(.io, "cannot publish the run: \(String(cString: strerror(errno)))", file: final) }
        }
        syncFolder(AtomicFileWriter.folder(of: final))
    }

    /// Points `OUTPUT/latest` at `runs/KEY` (a relative symlink, replaced atomically).
    public static func pointLatest(_ output: String, key: String) throws {
        let link = latest(output)
        let temporary = joinPath(output, ".latest-\(getpid())")
        unlink(temporary)
        guard symlink("runs/" + key, temporary) == 0 else { throw KindredError(.io, "cannot create the latest link: \(String(cString: strerror(errno)))", file: link) }
        guard rename(temporary, link) == 0 else {
            let message = String(cString: strerror(errno))
            unlink(temporary)
            throw KindredError(.io, "cannot replace the latest link: \(message)", file: link)
        }
        syncFolder(output)
    }

    static func syncFolder(_ path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
    }

    /// Every regular file under `folder`, relative, sorted (for the manifest).
    public static func files(in folder: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else { return [] }
        var out: [String] = []
        while let name = enumerator.nextObject() as? String {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: joinPath(folder, name), isDirectory: &isFolder), !isFolder.boolValue { out.append(name) }
        }
        return out.sorted()
    }
}

/// A finished run's `manifest.json`, written last: what the run was (key, config hash, input,
/// previous run), its cluster ids and the next fresh one, and the SHA-256 of every file. Written and read
/// through `Codable` (`ManifestCoding`).
public struct RunManifest: Codable, Sendable {
    public static let format = "kindred-run"
    public static let formatVersion = 1
    public var key: String
    public var configSHA256: String
    public var inputSHA256: String
    public var inputRecords: Int
    public var previousKey: String?
    public var keyCheck: String
    public var nextClusterID: Int32
    public var clusterIDs: [Int32]
    /// SHA-256 of every other file of the run folder, by path.
    public var files = SortedStringMap()

    public init(key: String, configSHA256: String, inputSHA256: String, inputRecords: Int, previousKey: String?, keyCheck: String, nextClusterID: Int32, clusterIDs: [Int32]) {
        self.key = key
        self.configSHA256 = configSHA256
        self.inputSHA256 = inputSHA256
        self.inputRecords = inputRecords
        self.previousKey = previousKey
        self.keyCheck = keyCheck
        self.nextClusterID = nextClusterID
        self.clusterIDs = clusterIDs
    }

    enum CodingKeys: String, CodingKey {
        case format
        case formatVersion = "format_version"
        case kindredVersion = "kindred_version"
        case key = "run_key"
        case configSHA256 = "config_sha256"
        case input
        case previousKey = "previous_run"
        case keyCheck = "key_check"
        case nextClusterID = "next_cluster_id"
        case clusterIDs = "cluster_ids"
        case files
    }

    enum InputKeys: String, CodingKey { case sha256, records }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(RunManifest.format, forKey: .format)
        try c.encode(RunManifest.formatVersion, forKey: .formatVersion)
        try c.encode(KindredVersion.string, forKey: .kindredVersion)
        try c.encode(key, forKey: .key)
        try c.encode(configSHA256, forKey: .configSHA256)
        var input = c.nestedContainer(keyedBy: InputKeys.self, forKey: .input)
        try input.encode(inputSHA256, forKey: .sha256)
        try input.encode(inputRecords, forKey: .records)
        try c.encode(previousKey, forKey: .previousKey)  // null for none
        try c.encode(keyCheck, forKey: .keyCheck)
        try c.encode(nextClusterID, forKey: .nextClusterID)
        try c.encode(clusterIDs, forKey: .clusterIDs)
        try c.encode(files, forKey: .files)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard try c.decode(String.self, forKey: .format) == RunManifest.format else {
            throw DecodingError.dataCorruptedError(forKey: .format, in: c, debugDescription: "not a Kindred run manifest")
        }
        let version = try c.decode(Int.self, forKey: .formatVersion)
        guard version == RunManifest.formatVersion else {
            throw DecodingError.dataCorruptedError(
                forKey: .formatVersion, in: c, debugDescription: "run manifest format version \(version) is not \(RunManifest.formatVersion)")
        }
        key = try c.decode(String.self, forKey: .key)
        configSHA256 = try c.decode(String.self, forKey: .configSHA256)
        let input = try c.nestedContainer(keyedBy: InputKeys.self, forKey: .input)
        inputSHA256 = (try? input.decode(String.self, forKey: .sha256)) ?? ""
        inputRecords = (try? input.decode(Int.self, forKey: .records)) ?? 0
        previousKey = try c.decodeIfPresent(String.self, forKey: .previousKey)
        keyCheck = try c.decode(String.self, forKey: .keyCheck)
        func clusterID(_ value: Int, _ key: CodingKeys) throws -> Int32 {
            guard let id = Int32(exactly: value), id >= 0 else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "not a cluster id")
            }
            return id
        }
        nextClusterID = try clusterID(try c.decode(Int.self, forKey: .nextClusterID), .nextClusterID)
        clusterIDs = try c.decode([Int].self, forKey: .clusterIDs).map { try clusterID($0, .clusterIDs) }
        files = try c.decode(SortedStringMap.self, forKey: .files)
    }

    /// Hashes every file in `folder` and writes `manifest.json` there (atomically, last).
    public mutating func write(to folder: String) throws {
        var sums: [String: String] = [:]
        for name in RunFolder.files(in: folder) where name != "manifest.json" { sums[name] = try ClusterModel.sha256(of: joinPath(folder, name)) }
        files = SortedStringMap(sums)
        try AtomicFileWriter.write(try ManifestCoding.text(self) + "\n", to: joinPath(folder, "manifest.json"))
    }

    /// Reads a run folder's manifest.
    /// - Throws: `KindredError` when it is missing (not a finished run) or malformed, naming the field.
    public static func load(folder: String) throws -> RunManifest {
        let path = joinPath(folder, "manifest.json")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KindredError(.io, "not a finished Kindred run (no manifest.json)", file: path)
        }
        return try ManifestCoding.decode(RunManifest.self, from: data, file: path)
    }
}
