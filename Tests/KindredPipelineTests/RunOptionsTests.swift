import Foundation
import KindredCore
import KindredPeople
import KindredTestSupport
import Testing
@testable import KindredPipeline

/// 400 synthetic people with ground truth (`node,label,family`), made once for these tests (what
/// `kindred synth --people 400 --seed 7` writes).
private struct SmallPeople {
    let folder: TemporaryFolder
    func p(_ name: String) -> String { folder.file(name) }

    static let shared: Result<SmallPeople, any Error> = Result {
        let folder = try TemporaryFolder(prefix: "kindred-run-options-tests")
        try writeSyntheticPeople(count: 400, seed: 7, people: folder.file("people.jsonl"), truth: folder.file("truth.csv"))
        return SmallPeople(folder: folder)
    }
}

@Suite("Job: thread counts and the truth column, in process", .serialized)
struct RunOptionsTests {
    private func people() throws -> SmallPeople { try SmallPeople.shared.get() }

    @Test("1 and 2 threads give byte-identical run folders under the same automatic key (the thread count is not in the config hash)")
    func threads() throws {
        let f = try people()
        let dir = try TemporaryFolder(prefix: "kindred-run-options-tests")
        defer { dir.cleanUp() }
        var outcomes: [JobOutcome] = []
        for threads in [1, 2] {
            var config = runConfig(input: f.p("people.jsonl"), output: dir.file("t\(threads)"))
            config.threads = threads
            config.asOf = YearMonth(year: 2026, month: 12)
            outcomes.append(try Job.run(config, environment: [:]))
        }
        #expect(outcomes[0].key == outcomes[1].key && outcomes[0].key.hasPrefix("auto-"))
        let a = try fileTree(outcomes[0].folder)
        let b = try fileTree(outcomes[1].folder)
        #expect(a.count >= 20 && Set(a.keys) == Set(b.keys))
        for (name, bytes) in a { #expect(b[name] == bytes, "\(name) differs between 1 and 2 threads") }
        // No progress event or counter text reaches an output file.
        for (name, bytes) in b {
            #expect(bytes.range(of: Data("\"progress\"".utf8)) == nil && bytes.range(of: Data("vertex visits".utf8)) == nil, "\(name) holds progress")
        }
    }

    @Test("the truth column: the second by default (label), or the one `truth_column` / KINDRED_TRUTH_COLUMN names; an unknown column is an input error")
    func truthColumn() throws {
        let f = try people()
        let dir = try TemporaryFolder(prefix: "kindred-run-options-tests")
        defer { dir.cleanUp() }
        func truthLabels(_ config: RunConfig, _ out: String) throws -> Int? {
            var config = config
            config.input = f.p("people.jsonl")
            config.truth = f.p("truth.csv")
            config.output = dir.file(out)
            config.demoKey = true
            return try Job.run(config, environment: [:]).summary.evaluation?.truthLabels
        }
        let byLabel = try truthLabels(RunConfig(), "a")
        let byFamily = try truthLabels(try RunConfig.load(path: nil, environment: ["KINDRED_TRUTH_COLUMN": "family"]), "b")
        #expect(byLabel != nil && byFamily != nil)
        #expect(byLabel == (try distinctValues(f.p("truth.csv"), column: 1)))
        #expect(byFamily == (try distinctValues(f.p("truth.csv"), column: 2)))
        #expect(byFamily! < byLabel!, "families (\(byFamily!)) should be fewer than occupations (\(byLabel!))")
        var bad = RunConfig()
        bad.truthColumn = "nope"
        let error = #expect(throws: KindredError.self) { _ = try truthLabels(bad, "e") }
        #expect(error?.code == .badInput && error?.exitStatus == 65)
        #expect(error?.message.contains("no column 'nope'") == true, "\(error?.description ?? "")")
        #expect(error?.file == f.p("truth.csv"))
    }
}
