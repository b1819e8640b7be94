import ArgumentParser
import Foundation
import KindredClean
import KindredCore
import KindredPeople
import KindredPipeline

/// Options shared by commands that pseudonymise ids.
struct KeyOptions: ParsableArguments {
    @Option(help: "File holding the pseudonymisation key (else KINDRED_KEY is used).") var keyFile: String?
    @Flag(help: "Use the public demo key (pseudonyms are then NOT private; for demos and tests).") var demoKey = false

    func pseudonymizer() throws -> Pseudonymizer {
        let p = try Pseudonymizer.resolve(keyFile: keyFile, environment: ProcessInfo.processInfo.environment, allowDemoKey: demoKey)
        if p.isDemoKey { note("kindred: note: using the public demo key; pseudonyms are not private") }
        return p
    }
}

/// `kindred clean`: canonical titles and skills, inferred dates, pseudonyms, quarantine.
struct Clean: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Clean people records: canonical titles and skills beside the raw text, dates checked and completed, keyed pseudonyms, personal data removed or masked; a mapping report to review and overrides to correct it.")

    @Argument(help: "People file: JSON Lines, a JSON array or CSV (by name and content; .gz allowed), or - for stdin.") var input: String
    @Option(help: "Clean people output (JSON Lines), or - for stdout.") var output: String
    @Option(help: "Quarantine file for bad records (default: OUTPUT with .quarantine.jsonl).") var quarantine: String?
    @Option(help: "Input format: jsonl, json (an array) or csv (default: from the file name and content).") var format: PeopleFormat?
    @OptionGroup var inputOptions: InputOptions
    @Option(help: ArgumentHelp(
        "Cleaning dictionary: a Kindred JSON catalogue, or a folder of O*NET database files; none for no dictionary.",
        discussion: "Default: KINDRED_CATALOG, else the per-user catalogue that scripts/install-catalog fills (~/.local/share/kindred/catalog), else none (titles and skills kept as typed, normalised, with variant spellings learned from the input)."))
    var catalog: String?
    @OptionGroup var key: KeyOptions
    @Option(help: "Worker threads (default: the CPUs this process may use, container quota included); never changes the output.") var threads: Int?
    @Option(help: "Write the mapping report here (JSON), with a Markdown summary beside it (.md).") var report: String?
    @Option(help: "Analyst overrides: CSV with columns raw,canonical[,occupation]; they win over every other mapping.") var overrides: String?
    @Option(help: "Check dates against this month, YYYY-MM (default: this month).") var asOf: String?
    @Option(help: "Impute missing dates of closed positions from this typical tenure in months (marked as imputed).") var imputeTenure: Int?
    @Option(help: "People per chunk (memory is bounded by it; never changes the output).") var chunkSize: Int = 4096
    @Flag(inversion: .prefixedNo, help: "Learn clusters of unmatched title spellings from the whole file first and apply them (needs a file, not stdin).") var learn = true
    @Flag(help: "Keep raw values in quarantine records (default: identifiers redacted).") var showValues = false
    @Flag(help: "Exit with status 3 when any record was quarantined.") var strict = false
    @Flag(help: "Print one JSON summary object on stdout.") var json = false

    @OptionGroup var resources: ResourceOptions

    func run() throws {
        try guarded(resources, advice: "clean the file in parts, lower --chunk-size, or raise --max-memory") {
            if let threads, threads < 1 { throw KindredError.usage("--threads must be at least 1") }
            if let imputeTenure, !(1...600).contains(imputeTenure) { throw KindredError.usage("--impute-tenure must be between 1 and 600 months") }
            var request = CleanRequest(
                input: input, format: format, output: output, quarantine: quarantine,
                catalog: try DictionaryLocation.load(explicit: catalog, environment: ProcessInfo.processInfo.environment), pseudonymizer: try key.pseudonymizer())
            request.threads = threads
            request.readOptions.delimiter = try inputOptions.parsedDelimiter()
            if let order = inputOptions.dateOrder { request.readOptions.dateOrder = order }
            guard chunkSize >= 1 else { throw KindredError.usage("--chunk-size must be at least 1") }
            request.chunkSize = chunkSize
            request.report = report
            request.overrides = overrides
            request.showValues = showValues
            request.learnVariants = learn
            if let asOf {
                guard let month = YearMonth(parsing: asOf) else { throw KindredError.usage("--as-of must be a month YYYY-MM") }
                request.dates.asOf = month
            }
            request.dates.typicalTenureMonths = imputeTenure
            let outcome = try withProgress("clean", unit: "records") { counter in
                request.progress = counter
                return try CleanStage.run(request)
            }
            let s = outcome.statistics
            if json {
                var j = JSONText()
                j.add("read", outcome.read)
                j.add("written", outcome.written)
                j.add("quarantined", outcome.quarantined)
                j.add("reconciles", outcome.reconciles)
                j.add("titles", s.titles)
                j.add("titles_exact", s.titlesExact)
                j.add("titles_fuzzy", s.titlesFuzzy)
                j.add("titles_unmatched", s.titlesUnmatched)
                j.add("skills", s.skills)
                j.add("skills_exact", s.skillsExact)
                j.add("skills_fuzzy", s.skillsFuzzy)
                j.add("skills_unmatched", s.skillsUnmatched)
                j.add("titles_overridden", s.titlesOverridden)
                j.add("titles_learned", s.titlesLearned)
                j.add("titles_contradicted", s.titlesContradicted)
                j.add("learned_clusters", outcome.learnedVariants ? outcome.clusters.count : 0)
                j.add("title_distinct", outcome.distinctTitles)
                j.add("title_match_seconds", outcome.titleMatchSeconds, digits: 4)
                j.add("threads", outcome.threads)
                j.add("end_dates_inferred", s.endDatesInferred)
                j.add("dates_imputed", s.datesImputed)
                j.add("date_issues", counts: s.dateIssues)
                j.add("values_masked", s.valuesMasked)
                if let path = outcome.reportPath { j.add("report", path) }
                j.add("quarantine", outcome.quarantinePath)
                j.add("seconds", outcome.seconds, digits: 3)
                print(j.text)
            } else {
                let toStderr = output == "-"
                func log(_ text: String) {
                    if toStderr { note(text) } else { print(text) }
                }
                log("read \(outcome.read) = written \(outcome.written) + quarantined \(outcome.quarantined)")
                log("titles: \(s.titlesExact) exact, \(s.titlesFuzzy) fuzzy, \(s.titlesUnmatched) left as typed, \(s.titlesOverridden) overridden, \(s.titlesLearned) joined to learned variant clusters; skills: \(s.skillsExact) exact, \(s.skillsFuzzy) fuzzy, \(s.skillsUnmatched) left as typed")
                let issues = s.dateIssues.keys.sorted().map { "\($0) \(s.dateIssues[$0]!)" }.joined(separator: ", ")
                log("dates: \(s.endDatesInferred) end dates inferred, \(s.datesImputed) imputed; flagged: \(issues.isEmpty ? "none" : issues); personal data masked in \(s.valuesMasked) values")
                if let path = outcome.reportPath { log("report: \(path) (summary: \(outcome.summaryPath ?? ""))") }
                for line in outcome.reasonSummary() { log("quarantined " + line) }
                if outcome.quarantined > 0 { log("quarantine: \(outcome.quarantinePath)") }
            }
            if strict && outcome.quarantined > 0 {
                throw KindredError(.partial, "\(outcome.quarantined) records were quarantined (--strict)")
            }
        }
    }
}
