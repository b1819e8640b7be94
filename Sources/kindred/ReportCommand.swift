import ArgumentParser
import Foundation
import KindredCore
import KindredPipeline
import KindredReport

/// `kindred report`: a finished run's report printed to PDF (headless Chromium), or its HTML written
/// elsewhere, laid out for A4 or Letter.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print a run's report to PDF, or write its HTML elsewhere (A4 or Letter).",
        discussion: """
            RUN_DIR is a run folder (OUTPUT/runs/KEY, OUTPUT/latest) or the output folder of `kindred run` \
            (its latest run). Its report.html (checked against the run's manifest) is laid out for --page and \
            written to --html, printed to --pdf, or both; with neither, the report's path is printed. Outputs \
            are never written into the run folder (it holds exactly what its manifest lists: for a PDF inside \
            the run, set [report] pdf = true in the run's config).

            Printing needs headless Chromium: KINDRED_CHROMIUM (a path or command) when set, else chromium, \
            chromium-browser, google-chrome or google-chrome-stable on PATH. Without it the command says how \
            to install it and exits 69 (--html, when given, is written first).
            """)

    @Argument(help: "A run folder (OUTPUT/runs/KEY, OUTPUT/latest) or the output folder of kindred run.") var runDir: String
    @Option(help: "Write the printed report here (PDF).") var pdf: String?
    @Option(help: "Write the HTML report here.") var html: String?
    @Option(help: "Paper to lay the printed report out for: a4 or letter.") var page: PageSize = .a4
    @Flag(help: "Print one JSON summary object on stdout.") var json = false
    @OptionGroup var resources: ResourceOptions

    func run() throws {
        try guarded(resources) {
            let folder = try ReportFiles.runFolder(runDir)
            let report = try ReportFiles.html(inRun: folder)
            let source = joinPath(folder, "report.html")
            for output in [html, pdf].compactMap({ $0 }) { try ReportFiles.checkOutside(output, runFolder: folder) }
            var summary = JSONText()
            summary.add("run", folder)
            summary.add("report", source)
            summary.add("page", page.rawValue)
            if let html {
                try ReportFiles.writeHTML(report, page: page, to: html)
                note("kindred report: \(html) written (laid out for \(page.cssName))")
                summary.add("html", html)
            }
            if let pdf {
                let printer: PDFPrinter
                do {
                    printer = try PDFPrinter.find()
                } catch let error as KindredError {
                    throw KindredError(error.code, error.message + "; the HTML report is \(html ?? source)")
                }
                let scratch = joinPath(NSTemporaryDirectory(), "kindred-report-\(getpid())")
                try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(atPath: scratch) }
                let laidOut = joinPath(scratch, "report.html")
                try ReportFiles.writeHTML(report, page: page, to: laidOut)
                let pages = try printer.print(html: laidOut, to: pdf)
                note("kindred report: \(pdf) written (\(plural(pages, "page")), \(page.cssName))")
                summary.add("pdf", pdf)
                summary.add("pages", pages)
            }
            if json {
                print(summary.text)
            } else if html == nil && pdf == nil {
                print(source)
            }
        }
    }
}
