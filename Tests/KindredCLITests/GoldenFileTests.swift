import Foundation
import Testing

/// Output formats pinned by golden files: synthetic people, clean people, truth, partitions.
/// Regenerate after an intended change with `KINDRED_UPDATE_GOLDEN=1 scripts/test --filter Golden`
/// and review the diff.
@Suite("golden files", .serialized)
struct GoldenFileTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    func compare(_ produced: URL, with name: String) throws {
        let expectedURL = GoldenFileTests.golden.appendingPathComponent(name)
        let actual = try Data(contentsOf: produced)
        if ProcessInfo.processInfo.environment["KINDRED_UPDATE_GOLDEN"] == "1" {
            try actual.write(to: expectedURL)
            return
        }
        let expected = try Data(contentsOf: expectedURL)
        #expect(actual == expected, "\(name) differs from its golden file; if intended, regenerate and review the diff")
    }

    @Test("synth, clean and cluster outputs match their golden files")
    func pipelineFormats() throws {
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        func p(_ name: String) -> URL { dir.appendingPathComponent(name) }
        // Relative paths, run inside the folder: the quarantine names its input file as given.
        let catalog = CLI.repoRoot.appendingPathComponent("datasets/occupations.json").path
        var r = try CLI.run(
            [
                "synth", "--people", "20", "--seed", "42", "--malformed-rate", "0.1", "--catalog", catalog,
                "--output", "people.jsonl", "--truth", "truth.csv",
            ], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        try compare(p("people.jsonl"), with: "synth20.jsonl")
        try compare(p("truth.csv"), with: "synth20_truth.csv")
        r = try CLI.run(["clean", "people.jsonl", "--output", "clean.jsonl", "--demo-key", "--catalog", catalog], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        try compare(p("clean.jsonl"), with: "clean20.jsonl")
        try compare(p("clean.quarantine.jsonl"), with: "clean20.quarantine.jsonl")
    }

    @Test("Louvain on Zachary's karate club with seed 1", CLI.sharedDataNeeded)
    func karatePartition() throws {
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let karate = CLI.repoRoot.deletingLastPathComponent().appendingPathComponent("shared/data/karate.edges")
        let out = dir.appendingPathComponent("karate.csv")
        let levels = dir.appendingPathComponent("levels.csv")
        let r = try CLI.run(["cluster", karate.path, "--output", out.path, "--levels", levels.path, "--seed", "1", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        try compare(out, with: "karate_seed1.csv")
        try compare(levels, with: "karate_seed1_levels.csv")
        let summary = try CLI.json(r.stdout)
        #expect((summary["modularity"] as? Double ?? 0) > 0.38)
    }

    @Test("Louvain on karate: every seed ≥ 0.38, the best of ten ≥ 0.418 (optimum 0.4198)", CLI.sharedDataNeeded)
    func karateSeeds() throws {
        let dir = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let karate = CLI.repoRoot.deletingLastPathComponent().appendingPathComponent("shared/data/karate.edges")
        var best = 0.0
        for seed in 0..<10 {
            let r = try CLI.run(["cluster", karate.path, "--output", dir.appendingPathComponent("k.csv").path, "--seed", String(seed), "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            let q = try CLI.json(r.stdout)["modularity"] as? Double ?? 0
            #expect(q > 0.38, "seed \(seed): \(q)")
            best = max(best, q)
        }
        #expect(best >= 0.418)
    }
}
