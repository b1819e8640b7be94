import Foundation
import KindredCommunity
import KindredCore
import KindredPeople
import KindredSimilarity
import KindredTestSupport
import Testing
@testable import KindredPipeline

/// Writes `text` as `run.toml` in a fresh folder and loads it with `environment` over it.
private func load(_ text: String, environment: [String: String] = [:]) throws -> (config: RunConfig, path: String, folder: TemporaryFolder) {
    let folder = try TemporaryFolder(prefix: "kindred-config-tests")
    let path = try folder.write(text, to: "run.toml")
    do {
        return (try RunConfig.load(path: path, environment: environment), path, folder)
    } catch {
        folder.cleanUp()
        throw error
    }
}

/// The error loading `text` (with `environment`) gives, and the config file's path.
private func failure(_ text: String, environment: [String: String] = [:]) throws -> (error: KindredError?, path: String) {
    let folder = try TemporaryFolder(prefix: "kindred-config-tests")
    defer { folder.cleanUp() }
    let path = try folder.write(text, to: "run.toml")
    let error = #expect(throws: KindredError.self) { _ = try RunConfig.load(path: path, environment: environment) }
    return (error, path)
}

/// The `k = ` and `seed = ` lines of a config's canonical text, joined (the effective settings the CLI test read from config.toml).
private func effective(_ config: RunConfig) -> String {
    config.canonicalText(fingerprints: .init(), asOf: YearMonth(year: 2026, month: 1))
        .split(separator: "\n").filter { $0.hasPrefix("k = ") || $0.hasPrefix("seed = ") }.joined(separator: " ")
}

@Suite("RunConfig: TOML file and environment")
struct RunConfigTests {
    @Test("a file's keys are read, relative paths against the file's folder; environment variables override the file")
    func fileThenEnvironment() throws {
        let text = """
            input = "people.jsonl"
            output = "out"
            truth = "../truth.csv"
            seed = 1
            threads = 3
            [clean]
            demo_key = true
            [graph]
            k = 10
            [report]
            stability_seeds = 0
            """
        let (fromFile, path, folder) = try load(text)
        defer { folder.cleanUp() }
        let base = AtomicFileWriter.folder(of: path)
        #expect(fromFile.input == joinPath(base, "people.jsonl") && fromFile.output == joinPath(base, "out"))
        #expect(fromFile.truth == joinPath(base, "../truth.csv") && fromFile.truth?.contains("..") == false)
        #expect(fromFile.seed == 1 && fromFile.graph.k == 10 && fromFile.demoKey && fromFile.stabilitySeeds == 0 && fromFile.threads == 3)
        #expect(effective(fromFile) == "seed = 1 k = 10 k = 10")
        let environment = ["KINDRED_GRAPH_K": "12", "KINDRED_SEED": "4", "KINDRED_RUN_KEY": "env", "KINDRED_THREADS": "2", "KINDRED_OUTPUT": "elsewhere"]
        let layered = try RunConfig.load(path: path, environment: environment)
        #expect(layered.graph.k == 12 && layered.seed == 4 && layered.runKey == "env" && layered.threads == 2)
        // Paths from the environment are relative to the working folder; the file's other keys stay.
        #expect(layered.output == "elsewhere" && layered.input == fromFile.input && layered.stabilitySeeds == 0)
        #expect(effective(layered) == "seed = 4 k = 12 k = 10")
        // The thread count never enters the config hash.
        var unthreaded = layered
        unthreaded.threads = nil
        let month = YearMonth(year: 2026, month: 1)
        #expect(layered.canonicalText(fingerprints: .init(), asOf: month) == unthreaded.canonicalText(fingerprints: .init(), asOf: month))
    }

    @Test("without a file, the environment alone (every key has a variable); KINDRED_TRUTH_COLUMN and KINDRED_INPUT among them")
    func environmentOnly() throws {
        let config = try RunConfig.load(
            path: nil, environment: ["KINDRED_INPUT": "in.jsonl", "KINDRED_TRUTH_COLUMN": "family", "KINDRED_CLEAN_DEMO_KEY": "yes", "KINDRED_MAX_RUNTIME": "2h"])
        #expect(config.input == "in.jsonl" && config.truthColumn == "family" && config.demoKey && config.maximumRuntime == 7200)
        #expect(RunConfig.environmentNames.count == RunConfig.schema.count)
        #expect(RunConfig.environmentNames.contains("KINDRED_GRAPH_K") && RunConfig.environmentNames.contains("KINDRED_CLUSTER_REFINEMENT_ROUNDS"))
        let defaults = try RunConfig.load(path: nil, environment: ["UNRELATED": "1"])
        #expect(defaults.canonicalText(fingerprints: .init(), asOf: YearMonth(year: 2026, month: 1))
            == RunConfig().canonicalText(fingerprints: .init(), asOf: YearMonth(year: 2026, month: 1)))
    }

    @Test(
        "a bad value in the file is a usage error naming the file and the field",
        arguments: [
            ("[graph]\nk = 0", "graph.k", "must be ≥ 1"),
            ("[graph]\nk = \"ten\"", "graph.k", "expected an integer"),
            ("[graph]\nk = 2.5", "graph.k", "expected an integer"),
            ("[graph]\nkk = 3", "graph.kk", "unknown key"),
            ("colour = \"red\"", "colour", "unknown key"),
            ("graph = 3", "graph", "expected a [graph] table"),
            ("seed = -1", "seed", "must be ≥ 0"),
            ("threads = 0", "threads", "must be ≥ 1"),
            ("run_key = \"../escape\"", "run_key", "a run key is"),
            ("[graph]\nsymmetrization = \"min\"", "graph.symmetrization", "expected max, mean or mutual"),
            ("[metric]\nskills = \"lots\"", "metric.skills", "expected a number"),
            ("[cluster]\nresolution = -1", "cluster.resolution", "must be a finite number ≥ 0"),
            ("[cluster]\nalgorithm = \"kmeans\"", "cluster.algorithm", "expected leiden or louvain"),
            ("[cluster]\niterations = 0", "cluster.iterations", "must be ≥ 1"),
            ("[cluster]\ntolerance = 0", "cluster.tolerance", "must be a positive number"),
            ("[cluster]\nrefinement_rounds = 3", "cluster.refinement_rounds", "must be 1 or 2"),
            ("[cluster]\nrefinement_rounds = 0", "cluster.refinement_rounds", "must be ≥ 1"),
            ("[cluster]\npolish = \"yes\"", "cluster.polish", "expected true or false"),
            ("[refresh]\nmin_jaccard = 0", "refresh.min_jaccard", "must be in (0, 1]"),
            ("[clean]\nas_of = \"June\"", "clean.as_of", "expected a month"),
        ])
    func badValueInFile(text: String, field: String, message: String) throws {
        let (error, path) = try failure(text)
        #expect(error?.code == .usage && error?.exitStatus == 2)
        #expect(error?.file == path)
        #expect(error?.field == field)
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
        #expect(error?.description.contains("field '\(field)'") == true)
    }

    @Test(
        "a bad environment variable is a usage error naming the variable",
        arguments: [
            ("KINDRED_GRAPH_K", "abc", "expected an integer"),
            ("KINDRED_GRAPH_K", "twelve", "integer"),
            ("KINDRED_GRAPH_K", "0", "must be ≥ 1"),
            ("KINDRED_THREADS", "none", "expected an integer"),
            ("KINDRED_SEED", "-3", "must be ≥ 0"),
            ("KINDRED_CLUSTER_RESOLUTION", "-2", "must be a finite number ≥ 0"),
            ("KINDRED_CLUSTER_RESOLUTION", "inf", "expected a number"),
            ("KINDRED_CLUSTER_POLISH", "maybe", "expected true or false"),
            ("KINDRED_CLUSTER_ALGORITHM", "Leiden", "expected leiden or louvain"),
            ("KINDRED_MAX_RUNTIME", "soon", "expected a duration"),
            ("KINDRED_RUN_KEY", "../escape", "a run key is"),
        ])
    func badEnvironmentVariable(name: String, value: String, message: String) throws {
        let error = #expect(throws: KindredError.self) { _ = try RunConfig.load(path: nil, environment: [name: value]) }
        #expect(error?.code == .usage)
        #expect(error?.file == "environment" && error?.field == name, "\(error?.description ?? "")")
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
    }

    @Test("the environment is checked after the file: a good file with a bad variable fails naming the variable")
    func badVariableOverGoodFile() throws {
        let (error, _) = try failure("[graph]\nk = 10", environment: ["KINDRED_GRAPH_K": "twelve"])
        #expect(error?.field == "KINDRED_GRAPH_K" && error?.file == "environment")
    }

    @Test("[cluster] resolution = 0 is accepted (one cluster per connected component), from the file and the environment")
    func resolutionZero() throws {
        let (config, _, folder) = try load("[cluster]\nresolution = 0")
        defer { folder.cleanUp() }
        #expect(config.cluster.resolution == 0)
        #expect(config.cluster.options(seed: 1, threads: nil).resolution == 0)
        #expect(try RunConfig.load(path: nil, environment: ["KINDRED_CLUSTER_RESOLUTION": "0"]).cluster.resolution == 0)
        #expect(config.canonicalText(fingerprints: .init(), asOf: YearMonth(year: 2026, month: 1)).contains("\n[cluster]\nresolution = 0.0\n[sample]\n"))
    }

    @Test("the [cluster] keys are read from the file and the environment and reach the algorithm's options")
    func clusterKeys() throws {
        let (config, _, folder) = try load(
            "[cluster]\nresolution = 1.5\nalgorithm = \"louvain\"\niterations = 3\ntolerance = 0.001\nrefinement_rounds = 1\npolish = false")
        defer { folder.cleanUp() }
        var expected = ClusterSettings()
        expected.resolution = 1.5
        expected.algorithm = .louvain
        expected.iterations = 3
        expected.tolerance = 0.001
        expected.refinementRounds = 1
        expected.polish = false
        #expect(config.cluster == expected)
        let options = config.cluster.options(seed: 9, threads: 2)
        #expect(options.algorithm == .louvain && options.resolution == 1.5 && options.iterations == 3 && options.initialTolerance == 0.001)
        #expect(options.refinementRounds == 1 && !options.polish && options.seed == 9 && options.threads == 2)
        let fromEnvironment = try RunConfig.load(
            path: nil,
            environment: [
                "KINDRED_CLUSTER_RESOLUTION": "1.5", "KINDRED_CLUSTER_ALGORITHM": "louvain", "KINDRED_CLUSTER_ITERATIONS": "3",
                "KINDRED_CLUSTER_TOLERANCE": "0.001", "KINDRED_CLUSTER_REFINEMENT_ROUNDS": "1", "KINDRED_CLUSTER_POLISH": "false",
            ])
        #expect(fromEnvironment.cluster == expected)
        // The defaults are the algorithm's, except the people resolution.
        let defaults = RunConfig().cluster
        let algorithm = LouvainOptions()
        #expect(defaults.algorithm == algorithm.algorithm && defaults.iterations == algorithm.iterations)
        #expect(defaults.tolerance == algorithm.initialTolerance && defaults.refinementRounds == algorithm.refinementRounds && defaults.polish == algorithm.polish)
        #expect(defaults.resolution == ClusterRequest.peopleResolution)
    }

    @Test("[graph] skills_weight still works with a warning; a conflict with [metric] skills is an error naming the old key")
    func deprecatedSkillsWeight() throws {
        let (old, _, folder) = try load("[graph]\nskills_weight = 3")
        defer { folder.cleanUp() }
        #expect(old.graph.weights.skills == 3)
        #expect(old.warnings.count == 1 && old.warnings[0].contains("[graph] skills_weight is deprecated") && old.warnings[0].contains("[metric] skills"))
        let (same, _, sameFolder) = try load("[graph]\nskills_weight = 2.5\n[metric]\nskills = 2.5")
        defer { sameFolder.cleanUp() }
        #expect(same.graph.weights.skills == 2.5 && same.warnings.count == 1)
        let fromEnvironment = try RunConfig.load(path: nil, environment: ["KINDRED_GRAPH_SKILLS_WEIGHT": "2"])
        #expect(fromEnvironment.graph.weights.skills == 2 && fromEnvironment.warnings.count == 1)
        #expect(try RunConfig.load(path: nil, environment: [:]).warnings.isEmpty)
        let (error, path) = try failure("[graph]\nskills_weight = 3\n[metric]\nskills = 2")
        #expect(error?.code == .usage && error?.file == path && error?.field == "graph.skills_weight")
        #expect(error?.message.contains("conflicts with [metric] skills") == true, "\(error?.message ?? "")")
        let mixed = #expect(throws: KindredError.self) {
            _ = try RunConfig.load(path: nil, environment: ["KINDRED_GRAPH_SKILLS_WEIGHT": "3", "KINDRED_METRIC_SKILLS": "1"])
        }
        #expect(mixed?.field == "KINDRED_GRAPH_SKILLS_WEIGHT")
    }

    @Test("invalid TOML is a usage error with the file and line; a people file given as the config says so")
    func notAConfig() throws {
        let (error, path) = try failure("seed = 1\n[graph\nk = 2")
        #expect(error?.code == .usage && error?.file == path && error?.line == 2)
        let people = #expect(throws: KindredError.self) { _ = try RunConfig.load(path: "people.jsonl", environment: [:]) }
        #expect(people?.message.contains("looks like a people file") == true)
    }

    /// The canonical text of a default config, as every run before the [cluster] keys wrote it: its
    /// SHA-256 is the config hash, so a change here changes every automatic run key.
    static let defaultCanonicalText = """
        catalog_sha256 = ""
        truth_sha256 = ""
        truth_column = ""
        seed = 1
        [clean]
        demo_key = false
        as_of = "2026-01"
        [graph]
        k = 15
        min_similarity = 0.0
        symmetrization = "mean"
        method = "sparse"
        dimensions = 128
        candidates = 2
        [metric]
        skills = 2.0
        titles = 1.0
        title_recency_decay = 0.75
        tempo = 0.1
        location = 0.0
        same_region = 0.5
        [cluster]
        resolution = 8.0
        [sample]
        size = 200000
        [project]
        method = "vote"
        k = 10
        probes = 4
        [refresh]
        min_jaccard = 0.5
        [report]
        stability_seeds = 2
        typical_members = 5

        """

    @Test("canonicalText of a default config is unchanged (golden); run key, output, threads, strict and time limit stay out of it")
    func canonicalTextGolden() throws {
        let asOf = YearMonth(year: 2026, month: 1)
        #expect(RunConfig().canonicalText(fingerprints: .init(), asOf: asOf) == RunConfigTests.defaultCanonicalText)
        var config = RunConfig()
        config.runKey = "nightly"
        config.output = "/somewhere"
        config.input = "/people.jsonl"
        config.threads = 7
        config.strict = true
        config.maximumRuntime = 60
        config.previous = "none"
        config.showValues = true
        #expect(config.canonicalText(fingerprints: .init(), asOf: asOf) == RunConfigTests.defaultCanonicalText)
        let fingerprinted = RunConfig().canonicalText(fingerprints: .init(catalog: "abc", truth: "d\"e"), asOf: asOf)
        #expect(fingerprinted.hasPrefix("catalog_sha256 = \"abc\"\ntruth_sha256 = \"d\\\"e\"\n"))
    }

    @Test("non-default [cluster] keys appear in canonicalText, each after the resolution, only when changed")
    func canonicalTextClusterKeys() throws {
        let asOf = YearMonth(year: 2026, month: 1)
        var config = RunConfig()
        config.cluster.algorithm = .louvain
        config.cluster.iterations = 2
        config.cluster.tolerance = 0.5
        config.cluster.refinementRounds = 1
        config.cluster.polish = !ClusterSettings().polish
        let text = config.canonicalText(fingerprints: .init(), asOf: asOf)
        let cluster = "[cluster]\nresolution = 8.0\nalgorithm = \"louvain\"\niterations = 2\ntolerance = 0.5\nrefinement_rounds = 1\npolish = \(config.cluster.polish)\n[sample]\n"
        #expect(text.contains(cluster), "\(text)")
        #expect(text.replacingOccurrences(of: cluster, with: "[cluster]\nresolution = 8.0\n[sample]\n") == RunConfigTests.defaultCanonicalText)
        var one = RunConfig()
        one.cluster.iterations = 4
        let oneText = one.canonicalText(fingerprints: .init(), asOf: asOf)
        #expect(oneText.contains("resolution = 8.0\niterations = 4\n[sample]") && !oneText.contains("algorithm ="))
    }
}
