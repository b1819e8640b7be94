// Not a fuzzer: writes the generated seed corpora and the model fixture, then exits.
//
// It is built with the harnesses (the same sanitizer flags, so it links libFuzzer too, which is why it
// does its work in `LLVMFuzzerInitialize` and exits before fuzzing starts). `scripts/fuzz --make-seeds`
// runs it; the output is committed:
// - Fixtures/model/ and Fixtures/model-{raw,clean}-people.jsonl: a model made by the real pipeline
//   (`PipelineRun.run`) on the first 80 people of datasets/people.jsonl, 4 LSA dimensions;
// - Corpus/<target>/gen-*: seeds derived from it (each model file with its selector byte, the run's
//   .kgraph and edge list, clean people lines, config files) next to the hand-written seeds.
import Foundation
import FuzzSupport
import KindredGraph
import KindredPeople
import KindredPipeline

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt { 0 }

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    do {
        try makeSeeds()
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("fuzz-seeds: \(error)\n".utf8))
        exit(1)
    }
}

let fuzzRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path
let repoRoot = URL(fileURLWithPath: fuzzRoot).appendingPathComponent("../..").standardized.path

func corpus(_ target: String) throws -> String {
    let folder = fuzzRoot + "/Corpus/" + target
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    // Generated seeds are rewritten each time; hand-written ones (not gen-*) are left alone.
    for name in try FileManager.default.contentsOfDirectory(atPath: folder) where name.hasPrefix("gen-") {
        try FileManager.default.removeItem(atPath: folder + "/" + name)
    }
    return folder
}

func save(_ bytes: [UInt8], _ folder: String, _ name: String) { ScratchFolder.write(bytes, toPath: folder + "/gen-" + name) }

func makeSeeds() throws {
    let work = ScratchFolder.shared.file("seeds")
    try FileManager.default.createDirectory(atPath: work + "/run", withIntermediateDirectories: true)
    let people = try String(contentsOfFile: repoRoot + "/datasets/people.jsonl", encoding: .utf8)
        .split(separator: "\n").prefix(80).joined(separator: "\n") + "\n"
    try people.write(toFile: work + "/people.jsonl", atomically: false, encoding: .utf8)

    // A real run on 80 people: the model, the graph and the clean records.
    var config = RunConfig()
    config.input = work + "/people.jsonl"
    config.catalog = repoRoot + "/datasets/occupations.json"
    config.demoKey = true
    config.seed = 1
    config.graph.k = 5
    config.graph.dimensions = 4
    config.sampleSize = 80
    config.projection.k = 5
    config.stabilitySeeds = 0
    config.typicalMembers = 1
    config.asOf = YearMonth(year: 2026, month: 1)
    _ = try PipelineRun.run(
        config, into: work + "/run", previous: nil, runKey: "fuzz-seeds", environment: [:], configHash: "fuzz-seeds",
        inputSHA256: "")
    let run = work + "/run"

    // The model fixture.
    let fixtures = fuzzRoot + "/Fixtures"
    try? FileManager.default.removeItem(atPath: fixtures + "/model")
    try FileManager.default.createDirectory(atPath: fixtures, withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: run + "/model", toPath: fixtures + "/model")
    let clean = try String(contentsOfFile: run + "/clean.jsonl", encoding: .utf8).split(separator: "\n")
    try (clean.prefix(20).joined(separator: "\n") + "\n").write(toFile: fixtures + "/model-clean-people.jsonl", atomically: false, encoding: .utf8)
    // Raw people for the projection oracle, plus one whose dates need the model's date settings
    // (an open position before a later one, a position with an end but no start).
    let datesToImpute = #"{"id":"fuzz-dates","skills":["Docketing"],"positions":[{"title":"Legal Typist","start":"2015-01"},{"title":"Bartender","start":"2014-01","end":null},{"title":"Nurse","end":"2020-01"}]}"#
    try ((people.split(separator: "\n").prefix(20) + [Substring(datesToImpute)]).joined(separator: "\n") + "\n")
        .write(toFile: fixtures + "/model-raw-people.jsonl", atomically: false, encoding: .utf8)

    // fuzz-model: selector byte + content, in the order of the manifest's sorted file names.
    let manifestData = try Data(contentsOf: URL(fileURLWithPath: run + "/model/manifest.json"))
    let manifest = try JSONSerialization.jsonObject(with: manifestData) as! [String: Any]
    let names = (manifest["files"] as! [String: String]).keys.sorted()
    let model = try corpus("fuzz-model")
    for (i, name) in names.enumerated() {
        save([UInt8(i)] + ScratchFolder.read(run + "/model/" + name)!, model, name)
    }
    save([UInt8(names.count)] + Array(manifestData), model, "manifest-raw.json")
    save([UInt8(names.count + 1)] + Array(manifestData), model, "manifest-fixed.json")

    // fuzz-kgraph: the run's graph and a tiny one, each in both modes (0: as is, 1: checksum patched).
    let kgraph = try corpus("fuzz-kgraph")
    let tiny = Graph(vertexCount: 4, sources: [0, 1, 2, 3], targets: [1, 2, 0, 3], weights: [1, 2.5, 0.125, 4], ids: ["a", "b", "ç", ""])
    try KGraphFormat.write(tiny, to: work + "/tiny.kgraph")
    try KGraphFormat.write(Graph(vertexCount: 0, sources: [], targets: [], weights: []), to: work + "/empty.kgraph")
    for (name, path) in [("run", run + "/graph.kgraph"), ("tiny", work + "/tiny.kgraph"), ("empty", work + "/empty.kgraph")] {
        let bytes = ScratchFolder.read(path)!
        save([0] + bytes, kgraph, name + "-0.kgraph")
        save([1] + bytes, kgraph, name + "-1.kgraph")
    }

    // fuzz-edge-list: the run's graph as an edge list (pseudonymous ids, real weights) and the tiny one.
    let edges = try corpus("fuzz-edge-list")
    let graph = try KGraphFormat.read(path: run + "/graph.kgraph")
    try EdgeListFormat.write(graph, to: work + "/run.txt")
    save(ScratchFolder.read(work + "/run.txt")!, edges, "run.txt")
    try EdgeListFormat.write(Graph(vertexCount: 3, sources: [0, 1], targets: [1, 2], weights: [1, 2.5], ids: ["a", "b", "c"]), to: work + "/tiny.txt")
    save(ScratchFolder.read(work + "/tiny.txt")!, edges, "tiny.txt")

    // fuzz-people-jsonl: raw records (datasets) and clean ones (every key the clean output adds).
    let jsonl = try corpus("fuzz-people-jsonl")
    let raw = people.split(separator: "\n")
    for i in stride(from: 0, to: 12, by: 3) { save(Array((raw[i..<(i + 3)].joined(separator: "\n") + "\n").utf8), jsonl, "raw-\(i).jsonl") }
    for i in 0..<4 { save(Array((clean[i] + "\n").utf8), jsonl, "clean-\(i).jsonl") }
    save(Array((raw[0] + "\n" + raw[0] + "\n").utf8), jsonl, "duplicate.jsonl")
    if let quarantine = try? String(contentsOfFile: run + "/quarantine.jsonl", encoding: .utf8), !quarantine.isEmpty {
        save(Array(quarantine.utf8.prefix(4096)), jsonl, "quarantine.jsonl")
    }

    // fuzz-people-csv: the first people as CSV rows with every column Kindred reads.
    let csv = try corpus("fuzz-people-csv")
    var rows = ["id,name,email,phone,location,birth_year,skills,titles,companies,starts,ends"]
    for line in raw.prefix(6) {
        let p = try PeopleJSON.parse(String(line))
        let positions = p.positions
        rows.append(CSVLine([
            p.id, p.name ?? "", p.email ?? "", p.phone ?? "", p.location ?? "", p.birthYear.map(String.init) ?? "",
            p.skills.joined(separator: ";"), positions.map(\.title).joined(separator: ";"),
            positions.map { $0.company ?? "" }.joined(separator: ";"), positions.map { $0.start?.description ?? "" }.joined(separator: ";"),
            positions.map { $0.end?.description ?? "" }.joined(separator: ";"),
        ]))
    }
    save(Array((rows.joined(separator: "\n") + "\n").utf8), csv, "people.csv")

    // fuzz-config: the demo config.
    let configs = try corpus("fuzz-config")
    save(ScratchFolder.read(repoRoot + "/datasets/demo.toml")!, configs, "demo.toml")
}

/// One CSV line (RFC 4180 quoting), as Kindred's `CSV.line` writes it.
func CSVLine(_ fields: [String]) -> String {
    fields.map { field in
        field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
    }.joined(separator: ",")
}
