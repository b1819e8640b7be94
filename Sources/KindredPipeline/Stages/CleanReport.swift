import Foundation
import KindredClean
import KindredCore
import KindredPeople

/// The cleaning report an analyst reviews: how values were mapped, with counts — the biggest merges
/// (canonical titles that absorbed the most spellings), the uncertain mappings (nearest matches with
/// confidence below 0.7), the values left alone, and clusters of left-alone spellings learned from
/// the data (`VariantClusterer`) that could become overrides. Values are the masked raw titles: no
/// identifiers. Written as JSON (`--report R.json`) and as a Markdown summary beside it (`R.md`).
public struct CleanReport {
    let outcome: CleanOutcome
    let tally: MappingTally
    let overrides: Int
    let asOf: YearMonth
    /// Rows per list.
    static let listLength = 25
    /// Below this confidence a nearest match is listed as uncertain (about half of them are right:
    /// `MappingCalibration`).
    static let uncertainBelow = 0.9
    /// What confidences mean (measured precision per band).
    static let calibration = MappingCalibration.onet

    /// Per confidence band: distinct values and records mapped in this run.
    var bandCounts: [(distinct: Int, records: Int)] {
        var counts = [(distinct: Int, records: Int)](repeating: (0, 0), count: CleanReport.calibration.bands.count)
        for row in tally.rows.values where row.match.method != .none && row.match.method != .override && row.match.method != .learned {
            guard let band = CleanReport.calibration.band(of: row.match.confidence) else { continue }
            counts[band].distinct += 1
            counts[band].records += row.count
        }
        return counts
    }

    /// The Markdown summary's path for a JSON report path.
    public static func summaryPath(for path: String) -> String {
        (path.hasSuffix(".json") ? String(path.dropLast(5)) : path) + ".md"
    }

    struct Merge {
        var canonical: String
        var occupation: String?
        var records: Int
        var spellings: [(String, Int)]
    }

    var merges: [Merge] {
        var byCanonical: [String: Merge] = [:]
        for (raw, row) in tally.rows where row.match.method != .none {
            let key = row.match.canonical + "\u{1}" + (row.match.occupation ?? "")
            byCanonical[key, default: Merge(canonical: row.match.canonical, occupation: row.match.occupation, records: 0, spellings: [])].records += row.count
            byCanonical[key]!.spellings.append((raw, row.count))
        }
        return byCanonical.values.map { m in
            var m = m
            m.spellings.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            return m
        }.sorted { a, b in
            a.spellings.count != b.spellings.count ? a.spellings.count > b.spellings.count : a.records != b.records ? a.records > b.records : a.canonical < b.canonical
        }
    }

    var uncertain: [(String, MappingTally.Row)] {
        tally.rows.filter { $0.value.match.method == .nearest && $0.value.match.confidence < CleanReport.uncertainBelow }
            .sorted { $0.value.count != $1.value.count ? $0.value.count > $1.value.count : $0.key < $1.key }
    }

    var leftAlone: [(String, Int)] {
        tally.rows.filter { $0.value.match.method == .none }.map { ($0.key, $0.value.count) }
            .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
    }

    /// The report as JSON text.
    func json() -> String {
        let s = outcome.statistics
        var j = JSONText()
        j.add("as_of", asOf.description)
        j.add("read", outcome.read)
        j.add("written", outcome.written)
        j.add("quarantined", outcome.quarantined)
        j.add("reconciles", outcome.reconciles)
        var t = JSONText()
        t.add("values", s.titles)
        t.add("distinct", tally.rows.count)
        t.add("distinct_untracked", tally.untracked)
        t.add("exact", s.titlesExact)
        t.add("fuzzy", s.titlesFuzzy)
        t.add("left_alone", s.titlesUnmatched)
        t.add("overridden", s.titlesOverridden)
        t.add("learned", s.titlesLearned)
        t.add("contradicted", s.titlesContradicted)
        t.add("override_rows", overrides)
        j.add("titles", raw: t.text)
        var methods: [String: Int] = [:]
        for row in tally.rows.values { methods[row.match.method.rawValue, default: 0] += row.count }
        j.add("titles_by_method", counts: methods)
        j.add("biggest_merges", raw: "[" + merges.prefix(CleanReport.listLength).map { merge in
            var o = JSONText()
            o.add("canonical", merge.canonical)
            if let occupation = merge.occupation { o.add("occupation", occupation) } else { o.addNull("occupation") }
            o.add("records", merge.records)
            o.add("spellings", merge.spellings.count)
            o.add("examples", raw: "[" + merge.spellings.prefix(8).map { var e = JSONText(); e.add("raw", $0.0); e.add("count", $0.1); return e.text }.joined(separator: ",") + "]")
            return o.text
        }.joined(separator: ",") + "]")
        j.add("uncertain", raw: "[" + uncertain.prefix(CleanReport.listLength * 2).map { raw, row in
            var o = JSONText()
            o.add("raw", raw)
            o.add("canonical", row.match.canonical)
            if let occupation = row.match.occupation { o.add("occupation", occupation) } else { o.addNull("occupation") }
            o.add("confidence", row.match.confidence, digits: 3)
            o.add("count", row.count)
            return o.text
        }.joined(separator: ",") + "]")
        j.add("confidence_bands", raw: "[" + zip(CleanReport.calibration.bands, bandCounts).map { band, count in
            var o = JSONText()
            o.add("from", band.from, digits: 2)
            o.add("to", band.to, digits: 2)
            o.add("distinct", count.distinct)
            o.add("records", count.records)
            o.add("measured_precision", band.precision, digits: 3)
            o.add("measured_precision_listed_variants", band.precisionListed, digits: 3)
            o.add("measured_precision_held_out_variants", band.precisionHeldOut, digits: 3)
            return o.text
        }.joined(separator: ",") + "]")
        j.add("confidence_measured_on", CleanReport.calibration.source)
        j.add("contradicted_by_skills", raw: "[" + outcome.contradicted.prefix(CleanReport.listLength * 2).map { raw, mapping in
            var o = JSONText()
            o.add("raw", raw)
            o.add("canonical", mapping.canonical)
            if let occupation = mapping.occupation { o.add("occupation", occupation) } else { o.addNull("occupation") }
            o.add("count", mapping.count)
            return o.text
        }.joined(separator: ",") + "]")
        j.add("left_alone", raw: "[" + leftAlone.prefix(CleanReport.listLength * 2).map { var o = JSONText(); o.add("raw", $0.0); o.add("count", $0.1); return o.text }.joined(separator: ",") + "]")
        j.add("learned_clusters_applied", outcome.learnedVariants)
        j.add("learned_clusters", raw: "[" + learned.prefix(CleanReport.listLength).map { cluster in
            var o = JSONText()
            o.add("name", cluster.name)
            o.add("records", cluster.total)
            o.add("members", raw: "[" + cluster.members.prefix(10).map { var e = JSONText(); e.add("raw", $0.value); e.add("count", $0.count); return e.text }.joined(separator: ",") + "]")
            return o.text
        }.joined(separator: ",") + "]")
        j.add("date_issues", counts: s.dateIssues)
        j.add("end_dates_inferred", s.endDatesInferred)
        j.add("dates_imputed", s.datesImputed)
        j.add("values_masked", s.valuesMasked)
        return j.text
    }

    /// The clusters learned while cleaning, or (without the learning pass) clusters among the values
    /// left alone (bounded: the 20,000 most frequent).
    var learned: [VariantClusterer.Cluster] {
        if outcome.learnedVariants { return outcome.clusters }
        var values: [String: Int] = [:]
        for (raw, count) in leftAlone.prefix(20_000) { values[raw] = count }
        return VariantClusterer.clusters(values)
    }

    /// The readable summary (Markdown).
    func markdown() -> String {
        let s = outcome.statistics
        func cell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|") }
        var out = "# Cleaning report\n\n"
        out += "Records: \(outcome.read) read = \(outcome.written) written + \(outcome.quarantined) quarantined"
        out += outcome.reconciles ? " (reconciles).\n\n" : " (DOES NOT RECONCILE).\n\n"
        out += "Titles: \(s.titles) values, \(tally.rows.count) distinct — \(s.titlesExact) exact, \(s.titlesFuzzy) fuzzy, "
        out += "\(s.titlesUnmatched) left as typed, \(s.titlesContradicted) contradicted by the person's skills, \(s.titlesOverridden) overridden (\(overrides) override rows). "
        out += "Dates checked against \(asOf): \(s.endDatesInferred) end dates inferred from the next start, \(s.datesImputed) imputed"
        let issues = s.dateIssues.keys.sorted().map { "\($0) \(s.dateIssues[$0]!)" }
        out += issues.isEmpty ? ", no date problems.\n" : "; flagged: " + issues.joined(separator: ", ") + ".\n"
        out += "Personal data masked in \(s.valuesMasked) free-text values.\n\n"
        out += "## Biggest merges\n\n| canonical | occupation | records | spellings | most frequent spellings |\n|---|---|---:|---:|---|\n"
        for merge in merges.prefix(CleanReport.listLength) {
            let examples = merge.spellings.prefix(4).map { "\(cell($0.0)) (\($0.1))" }.joined(separator: "; ")
            out += "| \(cell(merge.canonical)) | \(merge.occupation ?? "") | \(merge.records) | \(merge.spellings.count) | \(examples) |\n"
        }
        out += "\n## Uncertain mappings (confidence < \(CleanReport.uncertainBelow)) — review, then override\n\n| raw | mapped to | confidence | records |\n|---|---|---:|---:|\n"
        for (raw, row) in uncertain.prefix(CleanReport.listLength) {
            out += "| \(cell(raw)) | \(cell(row.match.canonical)) | \(String(format: "%.2f", row.match.confidence)) | \(row.count) |\n"
        }
        out += "\n## What a confidence means\n\nMappings made in this run per confidence band, beside the share of such mappings that were right when measured on held-out data (\(CleanReport.calibration.source)). Below \(String(format: "%.2f", CleanReport.calibration.bands.first?.from ?? 0)) nothing is mapped: the value is kept as typed.\n\n| confidence | distinct titles | records | measured precision | listed variants | held-out variants |\n|---|---:|---:|---:|---:|---:|\n"
        for (band, count) in zip(CleanReport.calibration.bands, bandCounts) {
            out += "| \(String(format: "%.2f", band.from))–\(String(format: "%.2f", band.to)) | \(count.distinct) | \(count.records) | \(String(format: "%.2f", band.precision)) | \(String(format: "%.2f", band.precisionListed)) | \(String(format: "%.2f", band.precisionHeldOut)) |\n"
        }
        out += "\n## Title mappings the people's own skills contradict (demoted, confidence halved)\n\n| raw | mapped to | occupation | records |\n|---|---|---|---:|\n"
        for (raw, mapping) in outcome.contradicted.prefix(CleanReport.listLength) {
            out += "| \(cell(raw)) | \(cell(mapping.canonical)) | \(mapping.occupation ?? "") | \(mapping.count) |\n"
        }
        out += "\n## Left alone (no close dictionary title)\n\n| value | records |\n|---|---:|\n"
        for (raw, count) in leftAlone.prefix(CleanReport.listLength) { out += "| \(cell(raw)) | \(count) |\n" }
        out += outcome.learnedVariants
            ? "\n## Variant clusters learned from the data and applied (named by the most frequent spelling)\n\n| cluster | records | spellings |\n|---|---:|---|\n"
            : "\n## Variant clusters among the left-alone values (not applied: standard input or --no-learn)\n\n| cluster | records | spellings |\n|---|---:|---|\n"
        for cluster in learned.prefix(CleanReport.listLength) {
            out += "| \(cell(cluster.name)) | \(cluster.total) | \(cluster.members.prefix(6).map { "\(cell($0.value)) (\($0.count))" }.joined(separator: "; ")) |\n"
        }
        out += "\nTo change a mapping, add a row `raw,canonical` to an overrides file and rerun with `--overrides FILE`.\n"
        return out
    }

    /// Writes the JSON report and the Markdown summary beside it (atomically).
    func write(json path: String) throws {
        let writer = try AtomicFileWriter(path: path)
        try writer.write(json() + "\n")
        try writer.commit()
        let summary = try AtomicFileWriter(path: CleanReport.summaryPath(for: path))
        try summary.write(markdown())
        try summary.commit()
    }
}
