// libFuzzer harness: cluster model folders (`ClusterModel.load`).
//
// A valid model (Tests/Fuzz/Fixtures/model, written by `fuzz-seeds` with the real pipeline; or the
// folder in KINDRED_FUZZ_MODEL) is copied once into the scratch folder. The first input byte picks
// what the rest of the input becomes, with n the number of files the manifest lists:
// - `byte % (n + 2) < n`: the content of that file; the harness rewrites the file's SHA-256 in the
//   manifest, so the parser behind the checksum (JSON, .npy, shapes, catalogue, summaries) is fuzzed;
// - `== n`: `manifest.json` as it is (checksums, names, format version, parameters);
// - `== n + 1`: `manifest.json` with its `files` object replaced by the true checksums, when the
//   input is a JSON object, so the parameter checks are reached by most mutations.
// The folder is restored after each input. Oracle: a model that loads can be used as `kindred project`
// uses it (clean people projected by vote and by centroid; raw people cleaned with its dictionaries
// and date settings, then projected), and can be written and loaded again.
import Foundation
import FuzzSupport
import KindredClean
import KindredPeople
import KindredPipeline
import KindredProjection

/// The pristine model: its folder in the scratch area, each file's bytes, and the manifest.
struct BaseModel: Sendable {
    let folder: String
    let names: [String]
    let original: [String: [UInt8]]
    let manifest: String
    let checksums: [String: String]
    let people: [Person]
    /// A JSON Lines file of raw people for `ProjectStage.run` (nil when the fixture has none).
    let rawPeople: String?

    static let shared = BaseModel()

    init() {
        let source = ProcessInfo.processInfo.environment["KINDRED_FUZZ_MODEL"]
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Fixtures/model").standardized.path
        let scratch = ScratchFolder.shared
        folder = scratch.file("model")
        _ = mkdir(folder, 0o700)
        guard let manifestBytes = ScratchFolder.read(source + "/manifest.json"),
            let root = (try? JSONSerialization.jsonObject(with: Data(manifestBytes))) as? [String: Any],
            let files = root["files"] as? [String: String]
        else { fatalError("fuzz-model: no valid model at \(source) (run scripts/fuzz --make-seeds)") }
        names = files.keys.sorted()
        checksums = files
        manifest = String(decoding: manifestBytes, as: UTF8.self)
        var original: [String: [UInt8]] = ["manifest.json": manifestBytes]
        for name in names {
            guard let bytes = ScratchFolder.read(source + "/" + name) else { fatalError("fuzz-model: cannot read \(source)/\(name)") }
            original[name] = bytes
        }
        self.original = original
        for (name, bytes) in original { ScratchFolder.write(bytes, toPath: folder + "/" + name) }
        var people: [Person] = []
        let clean = ScratchFolder.read(source + "/../model-clean-people.jsonl")
        if let clean {
            for line in Fuzz.lines(clean) where !line.isEmpty {
                if let person = try? PeopleJSON.parse(String(decoding: line, as: UTF8.self)) { people.append(person) }
            }
        }
        self.people = people
        rawPeople = ScratchFolder.read(source + "/../model-raw-people.jsonl").map { scratch.write($0, to: "raw-people.jsonl") }
        do {
            _ = try ClusterModel.load(folder)
        } catch {
            fatalError("fuzz-model: the base model does not load: \(error)")
        }
    }

    func restore(_ name: String) { ScratchFolder.write(original[name]!, toPath: folder + "/" + name) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let base = BaseModel.shared
    let content = UnsafeBufferPointer(start: data + 1, count: size - 1)
    let n = base.names.count
    let choice = Int(data[0]) % (n + 2)
    var touched = ["manifest.json"]
    if choice < n {
        let name = base.names[choice]
        touched.append(name)
        let path = base.folder + "/" + name
        ScratchFolder.write(content, toPath: path)
        guard let sum = try? ClusterModel.sha256(of: path) else { fatalError("fuzz-model: cannot hash \(path)") }
        let manifest = base.manifest.replacingOccurrences(of: base.checksums[name]!, with: sum)
        ScratchFolder.write(Array(manifest.utf8), toPath: base.folder + "/manifest.json")
    } else if choice == n {
        ScratchFolder.write(content, toPath: base.folder + "/manifest.json")
    } else {
        var bytes = Array(content)
        if var root = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] {
            root["files"] = base.checksums
            if let fixed = try? JSONSerialization.data(withJSONObject: root) { bytes = Array(fixed) }
        }
        ScratchFolder.write(bytes, toPath: base.folder + "/manifest.json")
    }
    defer { for name in touched { base.restore(name) } }
    let model: ClusterModel
    do {
        model = try ClusterModel.load(base.folder)
    } catch {
        return 0  // refused: expected
    }
    // Cleaning depends only on the catalogue, the learned titles, the overrides and the manifest's
    // date settings: the costly ProjectStage oracle runs only when one of those was fuzzed.
    let affectsCleaning = touched.count == 1 || ["catalog.json", "learned_titles.json", "overrides.csv"].contains(touched[1])
    use(model, base: base, clean: affectsCleaning)
    return 0
}

/// What `kindred project` does with a loaded model, then a save-and-reload round trip.
func use(_ model: ClusterModel, base: BaseModel, clean: Bool) {
    if !base.people.isEmpty {
        for method in [ProjectionMethod.vote, .centroid] {
            let projector = Projector(vectorizer: model.vectorizer, basis: model.basis, index: model.index, method: method, k: 5, probes: 2)
            _ = projector.assign(base.people[...], scratch: projector.makeScratch())
        }
    }
    let scratch = ScratchFolder.shared
    // Raw people through ProjectStage: cleaned with the model's catalogue, learned titles, overrides
    // and date settings, then projected (the clean people went through the Projector above).
    if clean, let input = base.rawPeople {
        var request = ProjectRequest(input: input, output: scratch.file("projected.csv"))
        request.quarantine = scratch.file("projected-quarantine.jsonl")
        request.k = 5
        request.threads = 1
        do {
            _ = try ProjectStage.run(request, model: model, pseudonymizer: Pseudonymizer.demo())
        } catch {
            // A model whose key check is not the demo key's, for instance: refused, as it should be.
        }
    }
    let copy = scratch.file("rewritten")
    do {
        try model.write(to: copy)
        _ = try ClusterModel.load(copy)
    } catch {
        Fuzz.invariant(false, "a model that loaded cannot be written and loaded again: \(error)")
    }
}
