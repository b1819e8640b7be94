import Foundation
import KindredCore

/// Prints an HTML file to PDF with headless Chromium: the one place Kindred starts a browser.
///
/// The browser is `KINDRED_CHROMIUM` (a path or a command name) when set, else the first of
/// `chromium`, `chromium-browser`, `google-chrome`, `google-chrome-stable` on `PATH`. It runs with its own
/// throw-away profile folder, no sandbox (Chromium's sandbox needs privileges containers rarely give),
/// no GPU, and without the browser's own header and footer (the report's CSS `@page` rules set the paper
/// size, margins and page numbers). Nothing is loaded from the network: the report is self-contained
/// and its Content-Security-Policy forbids every external load.
///
/// ```swift
/// let pdf = try PDFPrinter.find()            // throws .unavailable when no Chromium is installed
/// try pdf.print(html: "run/report.html", to: "report.pdf")
/// ```
public struct PDFPrinter: Sendable {
    /// The browser executable.
    public var executable: String
    /// Seconds the browser may take before it is stopped and printing fails.
    public var timeout: Double = 120

    /// The command names looked for on `PATH`, in order.
    public static let candidates = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]

    public init(executable: String) {
        self.executable = executable
    }

    /// Finds the browser.
    /// - Parameter environment: where `KINDRED_CHROMIUM` and `PATH` are read.
    /// - Throws: `KindredError` `.unavailable` (exit 69) saying how to install one, when none is found.
    public static func find(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PDFPrinter {
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        if let chosen = environment["KINDRED_CHROMIUM"], !chosen.isEmpty {
            guard let found = resolve(chosen, path: path) else {
                throw KindredError(.unavailable, "KINDRED_CHROMIUM=\(chosen) is not an executable program; set it to Chromium's path, or unset it to look for chromium on PATH")
            }
            return PDFPrinter(executable: found)
        }
        for name in candidates {
            if let found = resolve(name, path: path) { return PDFPrinter(executable: found) }
        }
        throw KindredError(
            .unavailable,
            "no Chromium to print the PDF with (looked for \(candidates.joined(separator: ", ")) on PATH): install it (Debian: apt-get install -y chromium) or set KINDRED_CHROMIUM to its path")
    }

    /// `name` as an executable path: itself when it contains a `/`, else the first match on `path`.
    static func resolve(_ name: String, path: String) -> String? {
        let fm = FileManager.default
        if name.contains("/") { return fm.isExecutableFile(atPath: name) ? name : nil }
        for folder in path.split(separator: ":") where !folder.isEmpty {
            let candidate = joinPath(String(folder), name)
            var isFolder: ObjCBool = false
            if fm.fileExists(atPath: candidate, isDirectory: &isFolder), !isFolder.boolValue, fm.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Prints `html` (a file) to `output` (written atomically).
    /// - Parameters:
    ///   - html: the HTML file to print.
    ///   - output: where the PDF goes.
    ///   - fixedDate: when given (`YYYYMMDDHHMMSS`), the PDF's creation and modification dates are set to it,
    ///     so the same report prints to the same bytes (Chromium stamps the current time otherwise).
    /// - Returns: the number of pages.
    /// - Throws: `KindredError` `.unavailable` when the browser fails, times out or writes no PDF.
    @discardableResult
    public func print(html: String, to output: String, fixedDate: String? = nil) throws -> Int {
        let fm = FileManager.default
        let scratch = joinPath(NSTemporaryDirectory(), "kindred-pdf-\(getpid())-\(UUID().uuidString.prefix(8))")
        try fm.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: scratch) }
        let pdfPath = joinPath(scratch, "out.pdf")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        let absolute = html.hasPrefix("/") ? html : joinPath(fm.currentDirectoryPath, html)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-background-networking", "--disable-sync", "--no-pdf-header-footer",
            "--user-data-dir=\(joinPath(scratch, "profile"))", "--print-to-pdf=\(pdfPath)", URL(fileURLWithPath: absolute).absoluteString,
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["TZ"] = "UTC"
        environment["HOME"] = scratch  // Chromium writes caches under HOME
        process.environment = environment
        let logPath = joinPath(scratch, "chromium.log")
        _ = fm.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        defer { try? log.close() }
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw KindredError(.unavailable, "could not start \(executable): \(error.localizedDescription)")
        }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                process.terminate()
                Thread.sleep(forTimeInterval: 1)
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                process.waitUntilExit()
                throw KindredError(.unavailable, "\(executable) did not finish printing within \(Int(timeout)) s")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.waitUntilExit()
        guard var bytes = fm.contents(atPath: pdfPath).map([UInt8].init), bytes.starts(with: Array("%PDF-".utf8)) else {
            let tail = ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").split(separator: "\n").suffix(3).joined(separator: " | ")
            throw KindredError(.unavailable, "\(executable) wrote no PDF (exit \(process.terminationStatus))\(tail.isEmpty ? "" : ": " + tail)")
        }
        if let fixedDate { bytes = Self.settingDates(bytes, to: fixedDate) }
        try AtomicFileWriter.write(bytes: bytes, to: output)
        return Self.pageCount(bytes)
    }

    /// The PDF with every `D:YYYYMMDDHHMMSS` date stamp set to `date` (14 digits; same length, so the
    /// cross-reference offsets stay right).
    public static func settingDates(_ pdf: [UInt8], to date: String) -> [UInt8] {
        let digits = Array(date.utf8)
        guard digits.count == 14, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return pdf }
        var out = pdf
        let marker = Array("Date (D:".utf8)
        var i = 0
        while i + marker.count + 14 <= out.count {
            if out[i] == marker[0] && Array(out[i..<(i + marker.count)]) == marker {
                let start = i + marker.count
                if out[start..<(start + 14)].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                    for k in 0..<14 { out[start + k] = digits[k] }
                }
                i = start + 14
            } else {
                i += 1
            }
        }
        return out
    }

    /// Pages in a PDF as Chromium writes it: its `/Type /Page` objects.
    public static func pageCount(_ pdf: [UInt8]) -> Int {
        let text = String(decoding: pdf, as: Unicode.ASCII.self)
        var count = 0
        var rest = text[...]
        while let r = rest.range(of: "/Type /Page") {
            let next = rest[r.upperBound...].first
            if next != "s" { count += 1 }
            rest = rest[r.upperBound...]
        }
        return count
    }
}
