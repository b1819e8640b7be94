import Foundation
import Testing

/// Whether a Chromium is on PATH (the PDF tests need one; the rest run everywhere).
private let chromiumInstalled: Bool = {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    return ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"].contains { name in
        path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
    }
}()

@Suite("kindred report and [report] pdf")
struct ReportCLITests {
    @Test("without Chromium: the run still publishes its HTML and warns; kindred report exits 69 saying how to install it")
    func withoutChromium() throws {
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        func p(_ name: String) -> String { dir.appendingPathComponent(name).path }
        _ = try CLI.run(["synth", "--people", "150", "--seed", "3", "--output", p("people.jsonl"), "--truth", p("truth.csv")])
        let noBrowser = ["KINDRED_CHROMIUM": "/nonexistent/chromium"]
        let run = try CLI.run(
            ["run", "--input", p("people.jsonl"), "--output", p("out"), "--demo-key", "--run-key", "r1"], environment: noBrowser.merging(["KINDRED_REPORT_PDF": "true"]) { a, _ in a })
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("report.pdf not written") && run.stderr.contains("KINDRED_CHROMIUM"))
        #expect(FileManager.default.fileExists(atPath: p("out/runs/r1/report.html")))
        #expect(!FileManager.default.fileExists(atPath: p("out/runs/r1/report.pdf")))

        let where_ = try CLI.run(["report", p("out")])
        #expect(where_.status == 0 && where_.stdout == p("out/latest") + "/report.html\n", "\(where_.stdout) \(where_.stderr)")
        let pdf = try CLI.run(["report", p("out/runs/r1"), "--pdf", p("r.pdf"), "--html", p("r.html"), "--page", "letter"], environment: noBrowser)
        #expect(pdf.status == 69, "\(pdf.stderr)")
        #expect(pdf.stderr.contains("KINDRED_CHROMIUM") && pdf.stderr.contains("the HTML report is \(p("r.html"))"))
        let html = try String(contentsOfFile: p("r.html"), encoding: .utf8)
        #expect(html.contains("size: letter portrait") && html.hasSuffix("</html>\n"))
        #expect(!FileManager.default.fileExists(atPath: p("r.pdf")))

        let inside = try CLI.run(["report", p("out"), "--html", p("out/latest/copy.html")])
        #expect(inside.status == 2 && inside.stderr.contains("not written into the run folder"), "\(inside.stderr)")
        let notRun = try CLI.run(["report", dir.path])
        #expect(notRun.status == 65 && notRun.stderr.contains("not a finished Kindred run"), "\(notRun.stderr)")
        let badPage = try CLI.run(["report", p("out"), "--page", "a3"])
        #expect(badPage.status == 2)
    }

    @Test("with Chromium: [report] pdf = true puts report.pdf in the run and its manifest, the same bytes for the same run; kindred report prints Letter",
          .enabled(if: chromiumInstalled, "needs chromium on PATH"))
    func withChromium() throws {
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        func p(_ name: String) -> String { dir.appendingPathComponent(name).path }
        _ = try CLI.run(["synth", "--people", "150", "--seed", "4", "--output", p("people.jsonl"), "--truth", p("truth.csv")])
        try "[report]\npdf = true\nstability_seeds = 0\nsensitivity_people = 0\n".write(toFile: p("run.toml"), atomically: true, encoding: .utf8)
        for out in ["a", "b"] {
            let run = try CLI.run(["run", p("run.toml"), "--input", p("people.jsonl"), "--output", p(out), "--demo-key", "--run-key", "2026-11-30"])
            #expect(run.status == 0, "\(run.stderr)")
        }
        let a = try Data(contentsOf: URL(fileURLWithPath: p("a/latest/report.pdf")))
        let b = try Data(contentsOf: URL(fileURLWithPath: p("b/latest/report.pdf")))
        #expect(a.starts(with: Data("%PDF-".utf8)))
        #expect(a == b, "report.pdf differs between two identical runs")
        let manifest = try String(contentsOfFile: p("a/latest/manifest.json"), encoding: .utf8)
        #expect(manifest.contains("\"report.pdf\""))
        let text = String(decoding: a, as: UTF8.self)
        #expect(text.contains("D:20261101000000"), "the PDF's dates are the as-of month's first day")

        let letter = try CLI.run(["report", p("a"), "--pdf", p("letter.pdf"), "--page", "letter", "--json"])
        #expect(letter.status == 0, "\(letter.stderr)")
        #expect(letter.stdout.contains("\"pages\""))
        let printed = String(decoding: try Data(contentsOf: URL(fileURLWithPath: p("letter.pdf"))), as: UTF8.self)
        #expect(printed.contains("0 0 612 792"), "Letter: 612 × 792 points")
        #expect(text.contains("0 0 594.95996 841.91998") || text.contains("0 0 595"), "A4 by default")
    }
}
