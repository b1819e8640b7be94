import Foundation
import KindredCore
import KindredPeople
import KindredReport
import KindredTestSupport
import Testing
@testable import KindredPipeline

@Suite("Printing the report to PDF")
struct PDFPrinterTests {
    @Test("without Chromium, finding a printer fails with exit 69 and says how to install one")
    func missing() {
        let error = #expect(throws: KindredError.self) { _ = try PDFPrinter.find(environment: ["PATH": "/nonexistent"]) }
        #expect(error?.code == .unavailable && error?.exitStatus == 69)
        #expect(error?.message.contains("apt-get install -y chromium") == true)
        let chosen = #expect(throws: KindredError.self) { _ = try PDFPrinter.find(environment: ["KINDRED_CHROMIUM": "/nonexistent/chromium"]) }
        #expect(chosen?.message.contains("KINDRED_CHROMIUM") == true)
    }

    @Test("KINDRED_CHROMIUM may name a command on PATH or a path")
    func chosen() throws {
        let printer = try PDFPrinter.find(environment: ["KINDRED_CHROMIUM": "sh", "PATH": "/usr/bin:/bin"])
        #expect(printer.executable.hasSuffix("/sh"))
        #expect(try PDFPrinter.find(environment: ["KINDRED_CHROMIUM": "/bin/sh"]).executable == "/bin/sh")
    }

    @Test("date stamps are set in place (same length), and pages are counted")
    func datesAndPages() {
        let pdf = Array("%PDF-1.4\n1 0 obj <</Type /Pages /Count 2>>\n2 0 obj <</Type /Page>>\n3 0 obj <</Type /Page>>\n<</CreationDate (D:20261206172352+00'00')\n/ModDate (D:20261206172352+00'00')>>".utf8)
        let fixed = PDFPrinter.settingDates(pdf, to: "20261201000000")
        #expect(fixed.count == pdf.count)
        let text = String(decoding: fixed, as: UTF8.self)
        #expect(text.contains("/CreationDate (D:20261201000000+00'00')") && text.contains("/ModDate (D:20261201000000+00'00')"))
        #expect(PDFPrinter.settingDates(pdf, to: "bad") == pdf)
        #expect(PDFPrinter.pageCount(pdf) == 2)
    }

    @Test("[report] pdf and page are read, only a4 or letter, and change the config hash only when set")
    func config() throws {
        let folder = try TemporaryFolder(prefix: "kindred-pdf-config")
        defer { folder.cleanUp() }
        let path = try folder.write("[report]\npdf = true\npage = \"letter\"\n", to: "run.toml")
        let config = try RunConfig.load(path: path, environment: [:])
        #expect(config.reportPDF && config.reportPage == .letter)
        let month = YearMonth(year: 2026, month: 1)
        #expect(config.canonicalText(fingerprints: .init(), asOf: month).contains("pdf = true\npage = \"letter\""))
        #expect(!RunConfig().canonicalText(fingerprints: .init(), asOf: month).contains("pdf"))
        let bad = try folder.write("[report]\npage = \"a3\"\n", to: "bad.toml")
        let error = #expect(throws: KindredError.self) { _ = try RunConfig.load(path: bad, environment: [:]) }
        #expect(error?.message.contains("a4 or letter") == true)
        #expect(try RunConfig.load(path: nil, environment: ["KINDRED_REPORT_PDF": "true"]).reportPDF)
    }

    @Test("the report folder is found from the output folder, and outputs inside the run are refused")
    func folders() throws {
        let folder = try TemporaryFolder(prefix: "kindred-report-folder")
        defer { folder.cleanUp() }
        let run = joinPath(folder.path, "runs/k")
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        _ = try folder.write("{\"format\": \"kindred-run\"}", to: "runs/k/manifest.json")
        try FileManager.default.createSymbolicLink(atPath: joinPath(folder.path, "latest"), withDestinationPath: "runs/k")
        #expect(try ReportFiles.runFolder(folder.path) == joinPath(folder.path, "latest"))
        #expect(try ReportFiles.runFolder(run) == run)
        #expect(throws: KindredError.self) { _ = try ReportFiles.runFolder(joinPath(folder.path, "runs")) }
        #expect(throws: KindredError.self) { try ReportFiles.checkOutside(joinPath(folder.path, "latest/report.pdf"), runFolder: joinPath(folder.path, "latest")) }
        #expect(throws: KindredError.self) { try ReportFiles.checkOutside(joinPath(run, "report.pdf"), runFolder: joinPath(folder.path, "latest")) }
        try ReportFiles.checkOutside(joinPath(folder.path, "report.pdf"), runFolder: run)
    }
}
