import Foundation

/// The analyst's report: one self-contained HTML file (inline CSS and SVG, no script, no network:
/// a Content-Security-Policy forbids every external load) that prints cleanly to PDF.
public enum HTMLReport {
    /// Renders the report. Every text from the data is HTML-escaped; numbers that are not finite
    /// print as "–" or "n/a" and are left off the charts.
    /// - Parameters:
    ///   - data: what to show.
    ///   - page: the paper it is laid out for when printed (`@page` size; the screen is unaffected).
    /// - Returns: the whole document, ending with `</html>`.
    public static func render(_ data: ReportData, page: PageSize = .a4) -> String {
        var h = ""
        h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        h += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n"
        h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        h += "<title>Kindred clusters — run \(escape(data.runKey))</title>\n<style>\n\(css)</style>\n\(pageStyle(page))</head>\n<body>\n"
        h += "<header><h1>People clusters <span class=\"key\">run \(escape(data.runKey))</span></h1>\n"
        h += "<p class=\"meta\">Kindred \(escape(data.kindredVersion)) · config \(escape(String(data.configHash.prefix(12)))) · input \(escape(String(data.inputSHA256.prefix(12)))) · \(data.clusters.count) clusters · people appear by pseudonymous id only</p></header>\n"
        h += nav(data)
        h += coverSection(data)
        h += summarySection(data)
        h += sizesSection(data)
        h += mapSection(data)
        h += stabilitySection(data)
        h += sensitivitySection(data)
        h += changesSection(data)
        h += clustersSection(data)
        if !data.evaluation.isEmpty {
            h += "<section id=\"evaluation\"><div class=\"keep\"><h2>Evaluation against ground truth</h2>\n" + table(["measure", "value"], data.evaluation.map { [$0.0, $0.1] }) + "</div></section>\n"
        }
        h += "<footer>Made by Kindred \(escape(data.kindredVersion)) from run \(escape(data.runKey)). Counts, canonical titles and skills, and pseudonymous ids only.</footer>\n"
        h += "</body>\n</html>\n"
        return h
    }

    /// The `<style>` element that sets the printed page: paper size, margins, page numbers. Its own
    /// element, so `settingPageSize` can swap it in a report already written.
    static func pageStyle(_ page: PageSize) -> String {
        "<style id=\"kindred-page\">@page { size: \(page.cssName) portrait; margin: 14mm 14mm 16mm 14mm; "
            + "@bottom-center { content: counter(page) \" / \" counter(pages); font: 9px system-ui, \"DejaVu Sans\", sans-serif; color: #5b6478; } "
            + "@bottom-left { content: \"Kindred people clusters\"; font: 9px system-ui, \"DejaVu Sans\", sans-serif; color: #5b6478; } }</style>\n"
    }

    /// The report `html` laid out for `page` when printed: its page style replaced (or added before
    /// `</head>` in a report written without one). Pure string work; the rest is left as it is.
    /// - Returns: the changed document (unchanged when it has neither a page style nor `</head>`).
    public static func settingPageSize(_ html: String, to page: PageSize) -> String {
        if let start = html.range(of: "<style id=\"kindred-page\">"),
            let end = html.range(of: "</style>\n", range: start.upperBound..<html.endIndex) {
            return html.replacingCharacters(in: start.lowerBound..<end.upperBound, with: pageStyle(page))
        }
        guard let head = html.range(of: "</head>") else { return html }
        return html.replacingCharacters(in: head.lowerBound..<head.lowerBound, with: pageStyle(page))
    }

    /// Escapes `&`, `<`, `>`, `"` and `'`.
    public static func escape(_ text: String) -> String {
        // Most texts need nothing: one pass over the bytes decides.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r\n", "\r": out.append(ch)
            default:
                // Control characters (NUL, escapes) are not allowed in HTML text: shown as U+FFFD.
                if let v = ch.unicodeScalars.first?.value, v < 0x20 || v == 0x7F { out += "\u{FFFD}" } else { out.append(ch) }
            }
        }
        return out
    }

    /// A number with fixed decimals; "n/a" when it is not finite.
    static func f(_ x: Double, _ digits: Int = 3) -> String { x.isFinite ? String(format: "%.\(digits)f", x) : "n/a" }

    static func thousands(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    static func table(_ headers: [String], _ rows: [[String]], numeric: Set<Int> = []) -> String {
        var t = "<table>\n<thead><tr>" + headers.enumerated().map { "<th\(numeric.contains($0.offset) ? " class=\"n\"" : "")>\(escape($0.element))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for row in rows {
            t += "<tr>" + row.enumerated().map { "<td\(numeric.contains($0.offset) ? " class=\"n\"" : "")>\(escape($0.element))</td>" }.joined() + "</tr>\n"
        }
        return t + "</tbody></table>\n"
    }

    static func nav(_ d: ReportData) -> String {
        var links = [("cover", "At a glance"), ("summary", "Summary"), ("sizes", "Sizes"), ("map", "Map"), ("stability", "Stability"), ("sensitivity", "Sensitivity"), ("changes", "What moved"), ("clusters", "Clusters")]
        if !d.evaluation.isEmpty { links.append(("evaluation", "Evaluation")) }
        return "<nav>" + links.map { "<a href=\"#\($0.0)\">\($0.1)</a>" }.joined(separator: " · ") + "</nav>\n"
    }

    /// Page 1 when printed: the run, the headline figures and the largest clusters, for a reader who
    /// reads nothing else. Counts and canonical titles only.
    static func coverSection(_ d: ReportData) -> String {
        var s = "<section id=\"cover\"><h2>At a glance</h2>\n"
        let sizes = d.clusters.map(\.size).filter { $0 > 0 }.sorted(by: >)
        let assignedShare = d.written > 0 ? 100 * Double(d.assigned) / Double(d.written) : .nan
        var figures: [(String, String)] = [
            ("people", thousands(d.written)),
            ("clusters", thousands(d.clusters.count)),
            ("assigned to a cluster", assignedShare.isFinite ? "\(f(assignedShare, 1))%" : "–"),
            ("largest cluster", sizes.first.map { "\(thousands($0)) people" } ?? "–"),
        ]
        if let nmi = d.evaluation.first(where: { $0.0 == "NMI" }) { figures.append(("NMI against ground truth", nmi.1)) }
        if let worst = d.stability.map(\.ari).filter(\.isFinite).min() { figures.append(("stability (lowest ARI across seeds)", f(worst, 3))) }
        if let c = d.changes { figures.append(("moved since the previous run", "\(thousands(c.moved)) of \(thousands(c.inBoth))")) }
        s += "<p class=\"run\">Run <b>\(escape(d.runKey))</b>" + (d.asOf.map { " · data as of <b>\(escape($0))</b>" } ?? "") + " · Kindred \(escape(d.kindredVersion))</p>\n"
        s += "<div class=\"figures\">" + figures.map { "<div class=\"figure\"><div class=\"value\">\(escape($0.1))</div><div class=\"what\">\(escape($0.0))</div></div>" }.joined() + "</div>\n"
        let largest = d.clusters.sorted { $0.size != $1.size ? $0.size > $1.size : $0.id < $1.id }.prefix(8)
        if !largest.isEmpty {
            s += "<h3>The largest clusters</h3>\n"
            s += table(["cluster", "people", "most common title", "top skills"], largest.map { c in
                [String(c.id), thousands(c.size), c.topTitles.first?.0 ?? "–", c.topSkills.prefix(3).map(\.0).joined(separator: ", ")]
            }, numeric: [1])
        }
        s += "<p class=\"meta\">People appear in this report only as counts and, in the cluster cards, by pseudonymous id.</p>\n"
        return s + "</section>\n"
    }

    static func summarySection(_ d: ReportData) -> String {
        var s = "<section id=\"summary\"><div class=\"keep\"><h2>Run summary and reconciliation</h2>\n"
        let cleanOK = d.read == d.written + d.quarantined
        let projected = d.assigned + d.unassigned + d.projectionQuarantined
        let projectOK = projected == d.written
        s += "<p class=\"recon \(cleanOK ? "ok" : "bad")\">Records read \(thousands(d.read)) = clean \(thousands(d.written)) + quarantined \(thousands(d.quarantined)) \(cleanOK ? "✓" : "✗ does not reconcile")</p>\n"
        s += "<p class=\"recon \(projectOK ? "ok" : "bad")\">Clean people \(thousands(d.written)) = assigned \(thousands(d.assigned)) + unassigned \(thousands(d.unassigned))"
        s += (d.projectionQuarantined > 0 ? " + quarantined \(thousands(d.projectionQuarantined))" : "") + " \(projectOK ? "✓" : "✗ does not reconcile")</p>\n"
        if !d.unassignedReasons.isEmpty {
            s += "<p>Unassigned, by reason: " + d.unassignedReasons.map { "\(escape($0.0)) \(thousands($0.1))" }.joined(separator: ", ") + ".</p>\n"
        }
        s += table(["", "value"], d.summary.map { [$0.0, $0.1] }, numeric: [1])
        return s + "</div></section>\n"
    }

    static func sizesSection(_ d: ReportData) -> String {
        var s = "<section id=\"sizes\"><div class=\"keep\"><h2>Cluster sizes</h2>\n"
        let sorted = d.clusters.sorted { $0.size != $1.size ? $0.size > $1.size : $0.id < $1.id }.filter { $0.size >= 0 }
        guard let largest = sorted.first?.size, largest > 0 else { return s + "<p>No clusters with people.</p></div></section>\n" }
        let width = 900.0, height = 260.0, left = 56.0, bottom = 40.0, top = 12.0
        let plotW = width - left - 10, plotH = height - bottom - top
        let barW = plotW / Double(sorted.count)
        s += "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"People per cluster, largest first\">\n"
        for tick in 0...4 {
            let value = Double(largest) * Double(tick) / 4
            let y = top + plotH - plotH * Double(tick) / 4
            s += "<line x1=\"\(f(left, 1))\" y1=\"\(f(y, 1))\" x2=\"\(f(width - 10, 1))\" y2=\"\(f(y, 1))\" class=\"grid\"/>"
            s += "<text x=\"\(f(left - 6, 1))\" y=\"\(f(y + 4, 1))\" class=\"axis\" text-anchor=\"end\">\(thousands(Int(value.rounded())))</text>\n"
        }
        for (i, c) in sorted.enumerated() {
            let h = plotH * Double(c.size) / Double(largest)
            let x = left + Double(i) * barW
            s += "<rect x=\"\(f(x + barW * 0.1, 1))\" y=\"\(f(top + plotH - h, 1))\" width=\"\(f(max(barW * 0.8, 0.5), 2))\" height=\"\(f(h, 1))\" class=\"bar\(c.born ? " born" : "")\"><title>cluster \(c.id): \(thousands(c.size)) people</title></rect>"
            if sorted.count <= 60 {
                s += "<text x=\"\(f(x + barW / 2, 1))\" y=\"\(f(height - bottom + 14, 1))\" class=\"axis\" text-anchor=\"middle\">\(c.id)</text>"
            }
            s += "\n"
        }
        s += "<text x=\"\(f(left + plotW / 2, 1))\" y=\"\(f(height - 6, 1))\" class=\"axis\" text-anchor=\"middle\">cluster id, largest first\(sorted.count > 60 ? " (\(sorted.count) clusters)" : "")</text>\n"
        s += "</svg>\n"
        let sizes = sorted.map(\.size)
        let median = sizes.count % 2 == 1 ? Double(sizes[sizes.count / 2]) : Double(sizes[sizes.count / 2 - 1] + sizes[sizes.count / 2]) / 2
        s += "<p>\(sorted.count) clusters; largest \(thousands(largest)), median \(f(median, 1)), smallest \(thousands(sizes.last ?? 0)) people.</p>\n"
        return s + "</div></section>\n"
    }

    static func mapSection(_ d: ReportData) -> String {
        var s = "<section id=\"map\"><div class=\"keep\"><h2>Map of the clusters</h2>\n<p>Each circle is a cluster (area ∝ people), placed by multidimensional scaling of the distances between cluster centroids: near means similar people.</p>\n"
        let width = 900.0, height = 560.0, pad = 60.0, fontSize = 12.0
        func finite(_ p: (x: Double, y: Double)?) -> Bool { p.map { $0.x.isFinite && $0.y.isFinite && abs($0.x) <= 1e6 && abs($0.y) <= 1e6 } ?? false }
        // The largest clusters with a usable position, largest first (they get their labels first).
        let drawn = Array(d.clusters.filter { finite($0.position) && $0.size >= 0 }
            .sorted(by: { $0.size != $1.size ? $0.size > $1.size : $0.id < $1.id }).prefix(ClusterMap.mostDrawn))
        let largest = Double(drawn.map(\.size).max() ?? 1)
        var items: [LabelLayout.Item] = []
        var circles = ""
        for c in drawn {
            let px = min(max(c.position!.x, -1), 1), py = min(max(c.position!.y, -1), 1)
            let x = pad + (px + 1) / 2 * (width - 2 * pad)
            let y = pad + (1 - (py + 1) / 2) * (height - 2 * pad)
            let r = 3 + 19 * (Double(max(c.size, 0)) / max(largest, 1)).squareRoot()
            let full = c.topTitles.first?.0 ?? ""
            let title = full.count > 60 ? String(full.prefix(59)) + "…" : full
            circles += "<circle cx=\"\(f(x, 1))\" cy=\"\(f(y, 1))\" r=\"\(f(r, 1))\" class=\"dot\(c.born ? " born" : "")\"><title>cluster \(c.id): \(thousands(c.size)) people\(title.isEmpty ? "" : "; " + escape(title))</title></circle>\n"
            // The title isolated (U+2068 … U+2069), so a right-to-left one keeps the number on the left.
            items.append(.init(x: x, y: y, radius: r, text: title.isEmpty ? String(c.id) : "\(c.id) \u{2068}\(title)\u{2069}", short: String(c.id)))
        }
        let layout = LabelLayout.place(items, bounds: .init(x: 2, y: 2, width: width - 4, height: height - 4), fontSize: fontSize)
        s += "<svg class=\"chart map\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"2-D map of the clusters\">\n"
        s += "<rect x=\"0\" y=\"0\" width=\"\(Int(width))\" height=\"\(Int(height))\" class=\"frame\"/>\n"
        s += circles
        for label in layout.labels.compactMap({ $0 }) {
            s += "<text x=\"\(f(label.box.x, 1))\" y=\"\(f(label.baseline(fontSize: fontSize), 1))\" class=\"maplabel\">\(escape(label.text))</text>\n"
        }
        s += "</svg>\n"
        if !layout.legend.isEmpty {
            let entries = layout.legend.map { i -> String in
                let c = drawn[i]
                let placed = layout.labels[i] != nil
                return "<li><b>\(c.id)</b> \(escape(c.topTitles.first?.0 ?? "(no title)"))\(placed ? "" : " <span class=\"n\">(not labelled: no room)</span>")</li>"
            }
            s += "<p class=\"legend-intro\">Clusters shown on the map by their number only:</p><ul class=\"legend\">" + entries.joined() + "</ul>\n"
        }
        s += "</div>"
        if drawn.count < d.clusters.count { s += "<p>The \(drawn.count) largest of \(d.clusters.count) clusters are drawn.</p>\n" }
        return s + "</section>\n"
    }

    static func stabilitySection(_ d: ReportData) -> String {
        var s = "<section id=\"stability\"><div class=\"keep\"><h2>Stability</h2>\n"
        if d.stability.isEmpty {
            s += "<p>No reclustering with other seeds was asked for (<code>[report] stability_seeds = 0</code>).</p>\n"
        } else {
            let aris = d.stability.map(\.ari)
            s += "<p>The clustered sample was clustered again from scratch with \(aris.count) other seed\(aris.count == 1 ? "" : "s"); the adjusted Rand index (ARI, 1 = identical) against this run's partition:</p>\n"
            s += table(["seed", "ARI"], d.stability.map { [String($0.seed), f($0.ari, 4)] }, numeric: [0, 1])
        }
        s += "</div>"
        if let r = d.robustness {
            let names = Dictionary(d.clusters.map { c in (c.id, c.topTitles.first.map { "\(c.id) · \($0.0)" } ?? String(c.id)) }, uniquingKeysWith: { a, _ in a })
            s += robustnessPart(r, names: names)
        }
        if let c = d.changes {
            s += "<p>Against the previous run (\(escape(c.previousKey))), over the \(thousands(c.inBoth)) people in both: ARI <b>\(f(c.ari, 4))</b>; \(f(100 * c.idsKept, 1))% of its cluster ids kept.</p>\n"
        } else {
            s += "<p>No previous run to compare with: this is the first run in this output folder.</p>\n"
        }
        return s + "</section>\n"
    }

    /// One small line chart per factor: each sampled person's score against their own cluster along
    /// the steps, a ring where their cluster flips.
    static func sensitivitySection(_ d: ReportData) -> String {
        var s = "<section id=\"sensitivity\"><div class=\"keep\"><h2>Sensitivity</h2>\n"
        guard !d.sensitivity.isEmpty else { return s + "<p>Not measured (<code>[report] sensitivity_people = 0</code>).</p></div></section>\n" }
        let people = Set(d.sensitivity.map(\.person)).count
        s += "<p>\(people) people of the sample, chosen evenly through it, each varied one factor at a time as <code>kindred sensitivity</code> does: the score against the person's own cluster (its centroid, career tempo included) at each step; a ring marks a step where the person would be assigned another cluster. Smooth, gentle lines mean a small change in, a small change out.</p>\n"
        var factors: [String] = []
        for c in d.sensitivity where !factors.contains(c.factor) { factors.append(c.factor) }
        let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
        // The heading, the text and the (small) charts stay on one page when they fit.
        s += "<div class=\"figs\">\n"
        for factor in factors {
            // Steps with a score that is not a finite number are left off the chart.
            let curves = d.sensitivity.filter { $0.factor == factor }.map { c -> SensitivityCurve in
                var c = c
                c.points = c.points.filter { $0.x.isFinite && $0.y.isFinite && abs($0.x) < 1e9 && abs($0.y) < 1e9 }
                return c
            }
            let xs = curves.flatMap { $0.points.map(\.x) }
            let ys = curves.flatMap { $0.points.map(\.y) }
            guard let x0 = xs.min(), let x1 = xs.max(), let yMin = ys.min(), let yMax = ys.max() else { continue }
            let (width, height, left, bottom, top, right) = (360.0, 200.0, 44.0, 30.0, 12.0, 10.0)
            let y0 = max(0, yMin - 0.05)
            let y1 = min(1, yMax + 0.05)
            func px(_ x: Double) -> Double { left + (x1 > x0 ? (x - x0) / (x1 - x0) : 0.5) * (width - left - right) }
            func py(_ y: Double) -> Double { height - bottom - (y1 > y0 ? (y - y0) / (y1 - y0) : 0.5) * (height - bottom - top) }
            let unit = curves.first?.unit ?? ""
            s += "<figure class=\"small\"><svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"Score against the own cluster as \(escape(factor)) changes\">\n"
            s += "<line x1=\"\(f(left, 1))\" y1=\"\(f(height - bottom, 1))\" x2=\"\(f(width - right, 1))\" y2=\"\(f(height - bottom, 1))\" class=\"grid\"/>"
            s += "<line x1=\"\(f(left, 1))\" y1=\"\(f(top, 1))\" x2=\"\(f(left, 1))\" y2=\"\(f(height - bottom, 1))\" class=\"grid\"/>\n"
            for y in [y0, (y0 + y1) / 2, y1] {
                s += "<text x=\"\(f(left - 4, 1))\" y=\"\(f(py(y) + 3, 1))\" class=\"label\" text-anchor=\"end\">\(f(y, 2))</text>"
            }
            for x in [x0, (x0 + x1) / 2, x1] {
                s += "<text x=\"\(f(px(x), 1))\" y=\"\(f(height - bottom + 13, 1))\" class=\"label\" text-anchor=\"middle\">\(f(x, 0))</text>"
            }
            s += "<text x=\"\(f((left + width - right) / 2, 1))\" y=\"\(f(height - 3, 1))\" class=\"label\" text-anchor=\"middle\">\(escape(factor)) (\(escape(unit.hasSuffix("ch") ? unit + "es" : unit + "s")))</text>\n"
            for (i, c) in curves.enumerated() {
                let color = palette[i % palette.count]
                let line = c.points.map { "\(f(px($0.x), 1)),\(f(py($0.y), 1))" }.joined(separator: " ")
                s += "<polyline points=\"\(line)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\"><title>\(escape(c.person)) · cluster \(c.cluster)</title></polyline>"
                for p in c.points where c.flips.contains(p.x) {
                    s += "<circle cx=\"\(f(px(p.x), 1))\" cy=\"\(f(py(p.y), 1))\" r=\"4\" fill=\"none\" stroke=\"\(color)\"><title>\(escape(c.person)) flips cluster at \(f(p.x, 0))</title></circle>"
                }
                s += "\n"
            }
            s += "</svg><figcaption>Score against the own cluster as \(escape(factor)) changes</figcaption></figure>\n"
        }
        return s + "</div></div></section>\n"
    }

    /// The left-out check and the least robust clusters.
    static func robustnessPart(_ r: PartitionRobustness, names: [Int32: String]) -> String {
        var s = ""
        if let ari = r.leftOutARI {
            s += "<p>With \(thousands(r.leftOutPeople)) people (\(f(100 * r.leftOutShare, 1))% of the sample, a seeded choice) left out and the rest clustered again: ARI <b>\(f(ari, 4))</b> over everyone else.</p>\n"
        }
        // Least robust first: the clusters an analyst should read with care.
        func worst(_ c: PartitionRobustness.Cluster) -> Double { min(c.keptAcrossSeeds ?? 1, c.keptWithPeopleLeftOut ?? 1) }
        let shown = r.clusters.sorted { (worst($0), $0.id) < (worst($1), $1.id) }.prefix(15)
        guard !shown.isEmpty else { return s }
        s += "<p>Per cluster, the share of its members kept together (1 = the same cluster; a split or a merge lowers it), least robust first\(r.clusters.count > shown.count ? " (\(shown.count) of \(r.clusters.count))" : ""):</p>\n"
        s += table(["cluster", "sample members", "kept across seeds", "kept with people left out"], shown.map { c in
            [names[c.id] ?? String(c.id), thousands(c.sampleSize), c.keptAcrossSeeds.map { f($0, 3) } ?? "–", c.keptWithPeopleLeftOut.map { f($0, 3) } ?? "–"]
        }, numeric: [1, 2, 3])
        return s
    }

    static func changesSection(_ d: ReportData) -> String {
        var s = "<section id=\"changes\"><div class=\"keep\"><h2>What moved since the previous run</h2>\n"
        guard let c = d.changes else { return s + "<p>Nothing to compare: no previous run.</p></div></section>\n" }
        s += table(["", "count"], [
            ["people in both runs", thousands(c.inBoth)], ["people who moved cluster", thousands(c.moved)],
            ["… whose record changed", thousands(c.movedRecordChanged)], ["… whose record did not change", thousands(c.moved - c.movedRecordChanged)],
            ["people new in this run", thousands(c.joined)], ["people gone since the previous run", thousands(c.left)],
            ["clusters born", thousands(c.born.count)], ["clusters gone", thousands(c.gone.count)],
            ["clusters split", thousands(c.split.count)], ["clusters merged", thousands(c.merged.count)],
        ], numeric: [1])
        s += "</div>"
        func ids(_ list: [Int32]) -> String { list.isEmpty ? "none" : list.map(String.init).joined(separator: ", ") }
        s += "<p>Born: \(ids(c.born)). Gone: \(ids(c.gone)).</p>\n"
        for (title, list, verb) in [("Split", c.split, "into"), ("Merged", c.merged, "from")] where !list.isEmpty {
            s += "<p>\(title): " + list.map { "\($0.0) \(verb) " + $0.1.map { "\($0.0) (\(thousands($0.1)))" }.joined(separator: ", ") }.joined(separator: "; ") + ".</p>\n"
        }
        if !c.flows.isEmpty {
            s += "<div class=\"keep\"><h3>Largest moves between clusters</h3>\n"
            // A cluster by its id and its most frequent title (this run's; a gone cluster by id only).
            let titleOf = Dictionary(d.clusters.map { ($0.id, $0.topTitles.first?.0 ?? "") }, uniquingKeysWith: { a, _ in a })
            func name(_ id: Int32?) -> String {
                guard let id else { return "unassigned" }
                guard let title = titleOf[id], !title.isEmpty else { return String(id) }
                return "\(id) · \(title)"
            }
            s += table(["from", "to", "people"], c.flows.map { [name($0.0), name($0.1), thousands($0.2)] }, numeric: [2]) + "</div>"
        }
        s += "<p>Each person who moved is listed (pseudonymous id) in <code>moved.csv</code>; the counts are in <code>diff.json</code>.</p>\n"
        return s + "</section>\n"
    }

    static func clustersSection(_ d: ReportData) -> String {
        var s = "<section id=\"clusters\"><div class=\"keep\"><h2>The clusters</h2>\n"
        let byID = Dictionary(d.clusters.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        // The heading stays with the first card on its page.
        var keepOpen = true
        for c in d.clusters.sorted(by: { $0.size != $1.size ? $0.size > $1.size : $0.id < $1.id }) {
            s += "<article class=\"card\" id=\"cluster-\(c.id)\"><h3>Cluster \(c.id)\(c.born ? " <span class=\"tag\">new</span>" : "") <span class=\"size\">\(thousands(c.size)) people (\(thousands(c.sampleSize)) in the sample)</span></h3>\n<div class=\"cols\">\n"
            s += "<div><h4>Top titles</h4><ol>" + c.topTitles.map { "<li>\(escape($0.0)) <span class=\"n\">\(thousands($0.1))</span></li>" }.joined() + "</ol></div>\n"
            s += "<div><h4>Top skills</h4><ol>" + c.topSkills.map { "<li>\(escape($0.0)) <span class=\"n\">\(thousands($0.1))</span></li>" }.joined() + "</ol></div>\n"
            s += "<div><h4>Most typical members</h4><ul class=\"ids\">" + c.typicalMembers.map { "<li>\(escape($0))</li>" }.joined() + "</ul></div>\n"
            s += "<div><h4>Nearest clusters</h4><ul>" + c.nearest.map { n in
                let title = byID[n.0]?.topTitles.first?.0 ?? ""
                return "<li><a href=\"#cluster-\(n.0)\">\(n.0)</a> \(escape(title)) <span class=\"n\">cos \(f(n.1, 2))</span></li>"
            }.joined() + "</ul></div>\n"
            s += "</div></article>\n"
            if keepOpen {
                s += "</div>\n"
                keepOpen = false
            }
        }
        return s + (keepOpen ? "<p>No clusters.</p></div>" : "") + "</section>\n"
    }

    static let css = """
        :root { color-scheme: light; --ink: #1d2433; --muted: #5b6478; --accent: #2f6fb3; --new: #d9822b; --line: #dfe3ea; }
        * { box-sizing: border-box; }
        body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink); margin: 0 auto; max-width: 980px; padding: 24px; }
        h1 { font-size: 26px; margin: 0 0 4px; } h1 .key { color: var(--muted); font-weight: 400; font-size: 18px; }
        h2 { font-size: 19px; border-bottom: 2px solid var(--line); padding-bottom: 4px; margin-top: 32px; }
        h3 { font-size: 15px; margin: 0 0 8px; } h4 { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 0 0 4px; }
        .meta, footer { color: var(--muted); font-size: 12px; } footer { margin-top: 40px; border-top: 1px solid var(--line); padding-top: 8px; }
        nav { margin: 12px 0; font-size: 13px; } a { color: var(--accent); text-decoration: none; }
        table { border-collapse: collapse; margin: 8px 0; min-width: 320px; } th, td { border-bottom: 1px solid var(--line); padding: 3px 10px; text-align: left; }
        th { font-weight: 600; } .n { text-align: right; font-variant-numeric: tabular-nums; color: var(--muted); }
        td.n { color: var(--ink); }
        .recon { font-weight: 600; } .recon.ok { color: #1f7a3a; } .recon.bad { color: #b3261e; }
        svg.chart { width: 100%; height: auto; display: block; }
        .grid { stroke: var(--line); stroke-width: 1; } .axis { font-size: 10px; fill: var(--muted); }
        .bar { fill: var(--accent); } .bar.born, .dot.born { fill: var(--new); }
        .dot { fill: var(--accent); fill-opacity: .55; stroke: #1d4f86; stroke-width: 1; } .label { font-size: 10px; fill: var(--ink); }
        .frame { fill: #fafbfd; stroke: var(--line); }
        figure.small { display: inline-block; width: 360px; max-width: 100%; margin: 0 1em 1em 0; vertical-align: top; }
        figure.small figcaption { font-size: 12px; color: var(--muted); }
        .card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; margin: 10px 0; break-inside: avoid; page-break-inside: avoid; }
        .card .size { color: var(--muted); font-weight: 400; font-size: 13px; margin-left: 8px; }
        .tag { background: var(--new); color: white; border-radius: 3px; padding: 0 5px; font-size: 11px; }
        .cols { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; }
        .cols ol, .cols ul { margin: 0; padding-left: 18px; } .ids li { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 11px; }
        @media (max-width: 760px) { .cols { grid-template-columns: 1fr 1fr; } }
        .maplabel { font-size: 12px; fill: var(--ink); paint-order: stroke; stroke: #fafbfd; stroke-width: 3px; stroke-linejoin: round; }
        ul.legend { columns: 3; font-size: 12px; margin: 4px 0; padding-left: 18px; } .legend-intro { margin: 6px 0 0; font-size: 12px; color: var(--muted); }
        .run { font-size: 15px; }
        .figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; margin: 12px 0; }
        .figure { border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
        .figure .value { font-size: 20px; font-weight: 600; } .figure .what { font-size: 12px; color: var(--muted); }
        h1, h2, h3, td, li, .figure { overflow-wrap: anywhere; }
        td { unicode-bidi: plaintext; } li { unicode-bidi: plaintext; }
        @media print {
          body { max-width: none; padding: 0; font-size: 10.5px; }
          nav { display: none; } a { color: inherit; }
          h1 { font-size: 22px; } h2 { font-size: 16px; margin-top: 18px; }
          h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
          .keep, figure, svg.chart, tr, .figure { break-inside: avoid; page-break-inside: avoid; }
          section { break-inside: auto; }
          #cover { break-after: page; page-break-after: always; }
          svg.map { max-height: 165mm; }
          svg.chart:not(.map) { max-height: 90mm; }
          .card { padding: 6px 10px; margin: 6px 0; }
          .cols { gap: 8px; grid-template-columns: repeat(4, minmax(0, 1fr)); }
          .ids li { font-size: 8.5px; }
          figure.small { width: 48%; margin: 0 1% 8px 0; }
          footer { margin-top: 16px; break-before: avoid; page-break-before: avoid; }
        }

        """
}
