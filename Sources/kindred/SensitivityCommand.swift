import ArgumentParser
import Foundation
import KindredClean
import KindredCore
import KindredPipeline
import KindredProjection

/// `kindred sensitivity`: how one person's answer moves when one thing about them changes.
struct SensitivityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sensitivity",
        abstract: "Vary one thing about a person at a time (tenure, job switches, skills, title) and show how their cluster and similarities move.",
        discussion: """
            MODEL is the output folder of `kindred run` (its latest run is used) or a run folder. ID is a pseudonym \
            from the run's clean people (or your own id with the run's key); --people FILE analyses a file of \
            people instead (clean, or raw and cleaned with the run's key; - for stdin). Each --vary factor is \
            stepped with everything else as it is:

              --vary tenure=-24..24:6     every job lasts N months longer (gaps kept; the latest job still ends where it ends)
              --vary switches=0..4        N more job switches (the longest job split in two, same title)
              --vary skills=drop:1..3     the last N skills dropped
              --vary "title=Paramedic|Fire Fighter"   the latest title replaced (cleaned with the model's dictionary)

            (default: tenure=-24..24:6 and switches=0..4). Per step: the cluster and the vote's confidence, the \
            score against the person's own cluster (where they are projected as they are) and against the best \
            other cluster (centroid scores, career tempo included as the model weighs it), their margin, and the \
            share of the person's nearest sample people still among the step's. Per factor: the largest change of \
            the own-cluster score between steps (and per month, switch or skill), whether it is monotone, and the \
            step where the cluster flips. Deterministic: the same answer whatever --threads.
            """)

    @Option(help: "Run output folder or run folder (written by `kindred run`).") var model: String
    @Argument(help: "Pseudonymous ids (or your own ids with the run's key).") var ids: [String] = []
    @Option(help: "People file to analyse instead of ids (clean, or raw with the key); - for stdin.") var people: String?
    @Option(help: "At most this many people of --people (the first ones).") var limit: Int?
    @Option(help: "A factor and its steps: tenure=A..B[:STEP], switches=A..B, skills=drop:A..B, title=T1|T2 (repeatable).") var vary: [String] = []
    @Option(help: "Write every step as CSV to this file (- for stdout).") var csv: String?
    @Flag(help: "Print one JSON object (every step, summaries, aggregate) on stdout.") var json = false
    @Option(help: "Neighbours that vote.") var k = ProjectionSettings().k
    @Option(help: "Nearest clusters whose members the vote searches (0: all clusters).") var probes = ProjectionSettings().probes
    @Option(help: "File holding the run's pseudonymisation key (else KINDRED_KEY), for own ids and raw records.") var keyFile: String?
    @Flag(help: "Use the public demo key.") var demoKey = false
    @Option(help: "Worker threads (default: the CPUs this process may use); never changes the output.") var threads: Int?

    @OptionGroup var resources: ResourceOptions

    func run() throws {
        try guarded(resources) {
            if let threads, threads < 1 { throw KindredError.usage("--threads must be at least 1") }
            if let limit, limit < 1 { throw KindredError.usage("--limit must be at least 1") }
            guard probes >= 0 else { throw KindredError.usage("--probes must be ≥ 0") }
            let environment = ProcessInfo.processInfo.environment
            var pseudonymizer: Pseudonymizer?
            if keyFile != nil || demoKey || environment["KINDRED_KEY"] != nil {
                pseudonymizer = try Pseudonymizer.resolve(keyFile: keyFile, environment: environment, allowDemoKey: demoKey)
            }
            var request = SensitivityRequest(model: model)
            request.ids = ids
            request.people = people
            request.limit = limit
            request.vary = vary
            request.projection = ProjectionSettings(method: .vote, k: k, probes: probes)
            request.threads = threads
            let results = try SensitivityStage.run(request, pseudonymizer: pseudonymizer)
            if let csv {
                let text = SensitivityStage.csv(results)
                if csv == "-" { print(text, terminator: "") } else { try AtomicFileWriter.write(text, to: csv) }
            }
            if json {
                print(SensitivityStage.json(results))
                return
            }
            if csv == "-" { return }
            if results.count <= 5 {
                for person in results { Self.printPerson(person) }
            }
            Self.printAggregate(SensitivityStage.aggregate(results), people: results.count)
        }
    }

    static func printPerson(_ p: PersonSensitivity) {
        let own = p.steps.first?.ownCluster.map { "cluster \($0)" } ?? "unassigned as is"
        print("\(p.id) (\(own))")
        var factor = ""
        for s in p.steps {
            if s.factor != factor {
                factor = s.factor
                print("  \(factor):  step · cluster · confidence · own · second (cluster) · margin · neighbours kept")
            }
            let cluster = s.assignment.cluster.map(String.init) ?? "unassigned"
            let own = s.similarityOwn.map { fixed($0, 3) } ?? "–"
            let second = s.similaritySecond.map { "\(fixed($0, 3)) (\(s.secondCluster!))" } ?? "–"
            let margin = s.margin.map { fixed($0, 3) } ?? "–"
            let kept = s.neighborOverlap.map { fixed($0, 2) } ?? "–"
            print("    \(s.label) · \(cluster)\(s.flipped ? " (flip)" : "") · \(fixed(Double(s.assignment.confidence), 2)) · \(own) · \(second) · \(margin) · \(kept)")
        }
        for s in p.summaries {
            var parts = ["largest step change \(fixed(s.largestStepChange, 3))"]
            if let u = s.largestChangePerUnit { parts.append("per unit \(fixed(u, 4))") }
            if let m = s.monotone { parts.append(m ? "monotone" : "not monotone") }
            parts.append(s.flipAt.map { "flips at \($0)" } ?? "no flip")
            if let m = s.baselineMargin { parts.append("margin as is \(fixed(m, 3))") }
            print("  \(s.factor): " + parts.joined(separator: ", "))
        }
    }

    static func printAggregate(_ aggregate: [SensitivityStage.FactorAggregate], people: Int) {
        guard people > 1 else { return }
        print("\(people) people")
        for a in aggregate {
            var parts = [
                "\(a.people) with a cluster", "largest step change median \(fixed(a.medianLargestStepChange, 3)) max \(fixed(a.maxLargestStepChange, 3))",
                "≤ 0.1: \(fixed(a.smoothShare * 100, 1))%",
            ]
            if let m = a.monotoneShare { parts.append("monotone \(fixed(m * 100, 1))%") }
            parts.append("flips \(a.flips)")
            if let m = a.medianFlipMargin { parts.append("median margin of those who flip \(fixed(m, 3))") }
            if let m = a.medianMargin { parts.append("of everyone \(fixed(m, 3))") }
            print("  \(a.factor): " + parts.joined(separator: " · "))
        }
    }
}
