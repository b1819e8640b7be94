import Foundation
import KindredCore

/// Finds the part of a run that a command needs from whatever folder the analyst names: the part
/// itself (`similarity/` or `model/`), a run folder holding it (`runs/<key>`, `latest`), or the output
/// folder of `kindred run` (its `latest` run is used).
public enum ModelLocation {
    /// The two kinds of model folder a run writes.
    public enum Part: String, Sendable {
        /// `similarity/`, written by `kindred graph --model` and `kindred run`; read by `kindred similar`.
        case similarity
        /// `model/`, written by `kindred run`; read by `kindred project`.
        case clusters = "model"

        var format: String { self == .similarity ? SimilarityModel.format : ClusterModel.format }
        var reader: String { self == .similarity ? "kindred similar" : "kindred project" }
        var other: Part { self == .similarity ? .clusters : .similarity }
    }

    /// The folder of `part` that `path` names, directly or through a run or output folder.
    /// - Throws: `KindredError` saying what `path` is instead (the other kind of model, nothing usable).
    public static func resolve(_ path: String, part: Part) throws -> String {
        let fm = FileManager.default
        var isFolder: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw KindredError(.badInput, "no such folder (give a run's output folder, a run folder, or its \(part.rawValue)/ folder)", file: path)
        }
        guard isFolder.boolValue else {
            throw KindredError(.badInput, "a file, not a folder (give a run's output folder, a run folder, or its \(part.rawValue)/ folder)", file: path)
        }
        if format(of: path) == part.format { return path }
        for candidate in [joinPath(path, part.rawValue), joinPath(joinPath(path, "latest"), part.rawValue)]
        where format(of: candidate) == part.format {
            return candidate
        }
        let contents = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        if !contents.contains("manifest.json") && (contents.contains { $0.hasSuffix(".npy") } || (path as NSString).lastPathComponent == part.rawValue) {
            throw KindredError(
                .badInput, "the model has no manifest (not a model folder, or one whose writing did not finish)", file: joinPath(path, "manifest.json"))
        }
        if format(of: path) == part.other.format {
            throw KindredError(
                .badInput,
                "this is the run's \(part.other.rawValue)/ folder, for \(part.other.reader); \(part.reader) needs its \(part.rawValue)/ folder: give the run folder (or the output folder, for its latest run) and it is found",
                file: path)
        }
        throw KindredError(
            .badInput,
            "no \(part.rawValue)/ model here: expected a run's output folder, a run folder (runs/KEY or latest), or the \(part.rawValue)/ folder itself",
            file: path)
    }

    /// The `format` of a folder's `manifest.json`, if it has one.
    static func format(of folder: String) -> String? {
        guard let data = FileManager.default.contents(atPath: joinPath(folder, "manifest.json")),
            let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else { return nil }
        return root["format"] as? String
    }
}
