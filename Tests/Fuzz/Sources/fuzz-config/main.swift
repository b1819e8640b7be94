// libFuzzer harness: `kindred run` configuration (TOML file and KINDRED_* environment variables).
//
// The input up to the first NUL byte is a TOML file, written to the scratch folder and read with
// `RunConfig.load(path:)` (TOMLKit, then the key and value checks). After the NUL, each line is one
// environment variable: its first byte picks the name from `RunConfig.environmentNames`, the rest is
// the value; they are applied with `apply(environment:)` over the file's settings (and alone).
// The settings are then used as `kindred run` uses them (canonical text, as-of month).

import FuzzSupport
import KindredPipeline

let names = RunConfig.environmentNames

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    let split = bytes.firstIndex(of: 0) ?? bytes.count
    let path = ScratchFolder.shared.write(bytes[..<split], to: "run.toml")
    var environment: [String: String] = [:]
    if split < bytes.count {
        for line in Fuzz.lines(Array(bytes[(split + 1)...])) where !line.isEmpty {
            let name = names[Int(line.first!) % names.count]
            environment[name] = String(decoding: line.dropFirst(), as: UTF8.self)
        }
    }
    var fromFile: RunConfig?
    do {
        fromFile = try RunConfig.load(path: path)
        use(fromFile!)
    } catch {
        // invalid TOML, unknown keys, bad values: expected
    }
    if !environment.isEmpty {
        var config = fromFile ?? RunConfig()
        if let _ = try? config.apply(environment: environment) { use(config) }
        if let config = try? RunConfig.load(path: nil, environment: environment) { use(config) }
    }
    return 0
}

func use(_ config: RunConfig) {
    let asOf = config.effectiveAsOf(runKey: config.runKey)
    _ = config.canonicalText(fingerprints: RunConfig.Fingerprints(), asOf: asOf)
}
