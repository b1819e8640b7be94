import ArgumentParser
import Foundation
import KindredCore
import KindredPeople

/// `kindred synth`: streams synthetic people and their ground truth.
struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate synthetic people (JSON Lines) and their ground truth, in constant memory.")

    @Option(help: "Number of people.") var people: Int
    @Option(help: "Random seed; the same seed gives the same people.") var seed: UInt64 = 1
    @Option(help: ArgumentHelp(
        "Occupation catalogue the people are drawn from: Kindred JSON, or a folder of O*NET database files.",
        discussion: "Default: the demo catalogue, datasets/occupations.json in Kindred's source tree (when run from there), else share/kindred/datasets/occupations.json beside the release's bin/ folder."))
    var catalog: String?
    @Option(help: "People output (JSON Lines), or - for stdout.") var output: String
    @Option(help: "Ground-truth output: CSV node,label,family (label = current occupation).") var truth: String
    @Option(help: "Chance of a 1–2 character misspelling per title or skill.") var typoRate = 0.12
    @Option(help: "Chance of case noise per title or skill.") var caseNoiseRate = 0.15
    @Option(help: "Chance of punctuation noise per title or skill.") var punctuationRate = 0.1
    @Option(help: "Chance that a title is a synonym/variant instead of the canonical title.") var synonymRate = 0.7
    @Option(help: "Chance that a title carries a seniority word.") var seniorityRate = 0.25
    @Option(help: "Chance that a finished position lacks its end date.") var missingEndRate = 0.3
    @Option(help: "Chance that a person has no skills.") var missingSkillsRate = 0.03
    @Option(help: "Chance that an earlier job is a related occupation of the same family.") var careerMoveRate = 0.35
    @Option(help: "Chance that an earlier job is in another family (career changers).") var crossFamilyRate = 0.05
    @Option(help: "Mean number of generic skills (Communication, Microsoft Office…) per person.") var genericSkills = 1.5
    @Option(help: "Chance that a record is written malformed (to exercise quarantine).") var malformedRate = 0.0
    @Option(help: "Worker threads (default: the CPUs this process may use, container quota included); never changes the output.") var threads: Int?
    @Flag(help: "Print one JSON summary object on stdout.") var json = false

    func validate() throws {
        guard people >= 0 else { throw ValidationError("--people must be ≥ 0") }
        for (name, rate) in [
            ("--typo-rate", typoRate), ("--case-noise-rate", caseNoiseRate), ("--punctuation-rate", punctuationRate),
            ("--synonym-rate", synonymRate), ("--seniority-rate", seniorityRate), ("--missing-end-rate", missingEndRate),
            ("--missing-skills-rate", missingSkillsRate), ("--career-move-rate", careerMoveRate),
            ("--cross-family-rate", crossFamilyRate), ("--malformed-rate", malformedRate),
        ] where !(0...1).contains(rate) {
            throw ValidationError("\(name) must be between 0 and 1")
        }
        guard careerMoveRate + crossFamilyRate <= 1 else { throw ValidationError("--career-move-rate + --cross-family-rate must be ≤ 1") }
        guard (0...20).contains(genericSkills) else { throw ValidationError("--generic-skills must be between 0 and 20") }
    }

    @OptionGroup var resources: ResourceOptions

    /// The demo catalogue: `datasets/occupations.json` from the working folder (Kindred's source tree), else the
    /// release layout's `share/kindred/datasets/occupations.json` beside the binary's `bin/` folder.
    static func defaultCatalog() -> String {
        let inTree = "datasets/occupations.json"
        if FileManager.default.fileExists(atPath: inTree) { return inTree }
        guard let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() else { return inTree }
        let release = executable.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("share/kindred/datasets/occupations.json").path
        return FileManager.default.fileExists(atPath: release) ? release : inTree
    }

    func run() throws {
        try guarded(resources) {
            let started = Date()
            let path = self.catalog ?? Self.defaultCatalog()
            if !FileManager.default.fileExists(atPath: path) {
                throw KindredError(
                    .io, "no such catalogue: give --catalog PATH (the demo catalogue is datasets/occupations.json in Kindred's source tree and share/kindred/datasets/ in the release; O*NET database folders work too)",
                    file: path)
            }
            let catalog = try OccupationCatalog.load(path: path)
            var options = SynthOptions()
            options.seed = seed
            options.typoRate = typoRate
            options.caseNoiseRate = caseNoiseRate
            options.punctuationRate = punctuationRate
            options.synonymRate = synonymRate
            options.seniorityRate = seniorityRate
            options.missingEndRate = missingEndRate
            options.missingSkillsRate = missingSkillsRate
            options.careerMoveRate = careerMoveRate
            options.crossFamilyRate = crossFamilyRate
            options.genericSkills = genericSkills
            options.malformedRate = malformedRate
            let generator = try SyntheticPeople(catalog: catalog, options: options)
            let peopleOut = try AtomicFileWriter(path: output)
            let truthOut = try AtomicFileWriter(path: truth)
            try truthOut.write("node,label,family\n")
            // Records depend only on their index: chunks are generated in parallel and written in order.
            let runner = ParallelRunner(threads: threads)
            let chunk = 16_384
            let block = 256
            var start = 0
            while start < people {
                let n = min(chunk, people - start)
                var lines = [String](repeating: "", count: n)
                var truths = [String](repeating: "", count: n)
                lines.withUnsafeMutableBufferPointer { l in
                    truths.withUnsafeMutableBufferPointer { t in
                        let shared = UncheckedSendable((l, t))
                        let first = start
                        runner.forEach(items: (n + block - 1) / block) { b, _ in
                            let (l, t) = shared.value
                            for i in (b * block)..<min(n, (b + 1) * block) {
                                let record = generator.record(at: first + i)
                                l[i] = record.line + "\n"
                                t[i] = CSV.line([record.person.id, record.occupation.id, record.occupation.family]) + "\n"
                            }
                        }
                    }
                }
                for i in 0..<n {
                    try peopleOut.write(lines[i])
                    try truthOut.write(truths[i])
                }
                start += n
            }
            try truthOut.commit()
            try peopleOut.commit()
            let seconds = Date().timeIntervalSince(started)
            if json {
                var summary = JSONText()
                summary.add("people", people)
                summary.add("occupations", catalog.occupations.count)
                summary.add("seed", Int(seed))
                summary.add("seconds", seconds, digits: 3)
                print(summary.text)
            } else if output != "-" {
                print("wrote \(people) people to \(output) and their truth to \(truth) (\(catalog.occupations.count) occupations, seed \(seed), \(fixed(seconds, 2)) s)")
            }
        }
    }
}
