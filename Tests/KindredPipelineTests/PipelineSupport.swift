import Foundation
import KindredCore
import KindredPeople
import KindredTestSupport
@testable import KindredPipeline

/// Writes `count` synthetic people (JSON Lines) and their ground truth (`node,label,family`) from the
/// bundled catalogue, record for record what `kindred synth` writes with the same seed and rates.
func writeSyntheticPeople(count: Int, seed: UInt64, malformedRate: Double = 0, people: String, truth: String) throws {
    var options = SynthOptions()
    options.seed = seed
    options.malformedRate = malformedRate
    let generator = try SyntheticPeople(catalog: try OccupationCatalog.load(path: Paths.bundledCatalog), options: options)
    var lines: [String] = []
    var truths = ["node,label,family"]
    for i in 0..<count {
        let record = generator.record(at: i)
        lines.append(record.line)
        truths.append(CSV.line([record.person.id, record.occupation.id, record.occupation.family]))
    }
    try AtomicFileWriter.write(lines.joined(separator: "\n") + "\n", to: people)
    try AtomicFileWriter.write(truths.joined(separator: "\n") + "\n", to: truth)
}

/// The settings of `kindred run --input INPUT --output OUTPUT --demo-key` (no catalogue, no other flag).
func runConfig(input: String, output: String, seed: UInt64? = nil, runKey: String? = nil) -> RunConfig {
    var config = RunConfig()
    config.input = input
    config.output = output
    config.demoKey = true
    if let seed { config.seed = seed }
    config.runKey = runKey
    return config
}

/// Reads a whole text file.
func readText(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

/// `id → cluster` from an assignments.csv.
func assignments(_ path: String) throws -> [String: String] {
    var out: [String: String] = [:]
    for line in try readText(path).split(separator: "\n").dropFirst() {
        let f = line.split(separator: ",", omittingEmptySubsequences: false)
        out[String(f[0])] = String(f[1])
    }
    return out
}

/// Parses one JSON object.
func jsonObject(_ text: String) throws -> [String: Any] {
    guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
        throw KindredError(.badInput, "not a JSON object")
    }
    return object
}

/// The distinct values of a CSV file's column (header row skipped).
func distinctValues(_ path: String, column: Int) throws -> Int {
    Set(try readText(path).split(separator: "\n").dropFirst().map { try CSV.fields(of: String($0))[column] }).count
}
