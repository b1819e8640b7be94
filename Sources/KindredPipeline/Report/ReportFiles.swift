import Foundation
import KindredCore
import KindredReport

/// A finished run's HTML report, found from whatever folder the analyst names, for `kindred report`:
/// re-laid out for another paper, copied elsewhere, or printed to PDF (`PDFPrinter`).
public enum ReportFiles {
    /// The run folder `path` names: a run folder itself (`OUTPUT/runs/KEY`, `OUTPUT/latest`), or the output
    /// folder of `kindred run` (its `latest` run).
    /// - Throws: `KindredError` `.badInput` saying what `path` is instead.
    public static func runFolder(_ path: String) throws -> String {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw KindredError(.badInput, "no such folder (give a run folder, OUTPUT/runs/KEY or OUTPUT/latest, or the output folder of kindred run)", file: path)
        }
        guard isFolder.boolValue else {
            throw KindredError(.badInput, "a file, not a folder (give the run folder that holds report.html)", file: path)
        }
        for candidate in [path, joinPath(path, "latest")] where isRun(candidate) { return candidate }
        throw KindredError(
            .badInput, "not a finished Kindred run: no manifest.json of a run here or in its latest/ (give OUTPUT/runs/KEY, OUTPUT/latest or OUTPUT)",
            file: path)
    }

    static func isRun(_ folder: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: joinPath(folder, "manifest.json")),
            let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else { return false }
        return root["format"] as? String == RunManifest.format
    }

    /// The run's `report.html`, checked against the SHA-256 its manifest lists.
    /// - Throws: `KindredError` when the run has no report or it was changed since the run.
    public static func html(inRun folder: String) throws -> String {
        let path = joinPath(folder, "report.html")
        let manifest = try RunManifest.load(folder: folder)
        guard let listed = manifest.files.values["report.html"], FileManager.default.fileExists(atPath: path) else {
            throw KindredError(.badInput, "this run has no report.html", file: folder)
        }
        guard try ClusterModel.sha256(of: path) == listed else {
            throw KindredError(.badInput, "report.html does not match the SHA-256 in the run's manifest (changed since the run)", file: path)
        }
        guard let text = FileManager.default.contents(atPath: path).flatMap({ String(data: $0, encoding: .utf8) }) else {
            throw KindredError(.io, "cannot read the report as UTF-8", file: path)
        }
        return text
    }

    /// Refuses an output path inside the run folder: a run folder holds exactly what its manifest lists.
    /// - Throws: `KindredError` `.usage` when `output` would go into `runFolder`.
    public static func checkOutside(_ output: String, runFolder: String) throws {
        let target = URL(fileURLWithPath: AtomicFileWriter.folder(of: output)).resolvingSymlinksInPath().standardizedFileURL.path
        let run = URL(fileURLWithPath: runFolder).resolvingSymlinksInPath().standardizedFileURL.path
        if target == run || target.hasPrefix(run + "/") {
            throw KindredError(
                .usage, "\(output): not written into the run folder (it holds exactly what its manifest lists); write it elsewhere, or set [report] pdf = true in the run's config")
        }
    }

    /// Writes the report, laid out for `page`, to `html`.
    public static func writeHTML(_ report: String, page: PageSize, to html: String) throws {
        try AtomicFileWriter.write(HTMLReport.settingPageSize(report, to: page), to: html)
    }
}
