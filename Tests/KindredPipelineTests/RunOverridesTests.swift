import Foundation
import KindredCore
import KindredPeople
import KindredTestSupport
import Testing
@testable import KindredPipeline

/// `[clean] overrides`, `learn` and `impute_tenure` in a run: the overrides win in cleaning, are kept in
/// the model (so projection maps the same way), and enter the config hash only when set.
@Suite("kindred run: overrides and cleaning keys from the config")
struct RunOverridesTests {
    @Test("an overrides file maps a title in the run's clean file, is stored in the model and changes the config hash; learn and impute_tenure reach the cleaner")
    func overridesInRun() throws {
        let folder = try TemporaryFolder(prefix: "kindred-run-overrides")
        defer { folder.cleanUp() }
        func p(_ name: String) -> String { folder.file(name) }
        try writeSyntheticPeople(count: 200, seed: 5, people: p("people.jsonl"), truth: p("truth.csv"))
        // The first person's current title, as typed, is mapped to a title of the analyst's choosing.
        let first = try jsonObject(String(try readText(p("people.jsonl")).split(separator: "\n")[0]))
        let positions = try #require(first["positions"] as? [[String: Any]])
        let typed = try #require(positions.last?["title"] as? String)
        try "raw,canonical\n\"\(typed)\",analyst chosen title\n".write(toFile: p("overrides.csv"), atomically: true, encoding: .utf8)

        var config = runConfig(input: p("people.jsonl"), output: p("out"), runKey: "with")
        config.overrides = p("overrides.csv")
        let with = try Job.run(config, environment: [:])
        let clean = try readText(with.folder + "/clean.jsonl")
        #expect(clean.contains("\"title\":\"analyst chosen title\""))
        #expect(try readText(with.folder + "/model/overrides.csv") == readText(p("overrides.csv")))
        let model = try ClusterModel.load(with.folder + "/model")
        #expect(model.overridesCSV == (try readText(p("overrides.csv"))))
        #expect(try readText(with.folder + "/config.toml").contains("overrides_sha256 = "))

        var plain = runConfig(input: p("people.jsonl"), output: p("out"), runKey: "without")
        plain.learnVariants = false
        plain.imputeTenureMonths = 24
        let without = try Job.run(plain, environment: [:])
        #expect(!FileManager.default.fileExists(atPath: without.folder + "/model/overrides.csv"))
        let text = try readText(without.folder + "/config.toml")
        #expect(!text.contains("overrides_sha256") && text.contains("learn = false") && text.contains("impute_tenure = 24"))
        #expect(without.summary.clean.learnedVariants == false)
        #expect(try ClusterModel.load(without.folder + "/model").parameters.typicalTenureMonths == 24)
    }

    @Test("[clean] overrides, learn and impute_tenure are read from the file; impute_tenure out of 1…600 names the key")
    func cleanKeys() throws {
        let folder = try TemporaryFolder(prefix: "kindred-run-overrides")
        defer { folder.cleanUp() }
        let path = folder.file("job.toml")
        try "[clean]\noverrides = \"o.csv\"\nlearn = false\nimpute_tenure = 12\n".write(toFile: path, atomically: true, encoding: .utf8)
        let config = try RunConfig.load(path: path)
        #expect(config.overrides == folder.file("o.csv"))
        #expect(config.learnVariants == false && config.imputeTenureMonths == 12)
        try "[clean]\nimpute_tenure = 601\n".write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: KindredError.self) { _ = try RunConfig.load(path: path) }
        #expect(error?.field == "clean.impute_tenure")
    }
}
