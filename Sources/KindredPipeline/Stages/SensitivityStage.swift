import Foundation
import KindredClean
import KindredCore
import KindredPeople
import KindredProjection

/// What `kindred sensitivity` is asked: a model, whom to vary (ids from the run's clean people, or
/// a people file), the factors and the projection settings.
public struct SensitivityRequest: Sendable {
    public var model: String
    /// Pseudonymous ids (or own ids, with the key) looked up in the run's clean people file.
    public var ids: [String] = []
    /// A people file (clean, or raw and cleaned with the model's key), or - for stdin.
    public var people: String?
    /// At most this many people of `people` (the first ones).
    public var limit: Int?
    /// `--vary` specs (`SensitivityStage.parseVary`); empty: tenure=-24..24:6 and switches=0..4.
    public var vary: [String] = []
    public var projection = ProjectionSettings()
    public var threads: Int?

    public init(model: String) { self.model = model }
}

/// One person's analysis.
public struct PersonSensitivity: Sendable {
    public var id: String
    public var steps: [SensitivityStep]
    public var summaries: [SensitivitySummary]
}

/// Runs `Sensitivity` for the people of a request, reads and cleans them, and writes CSV and JSON.
public enum SensitivityStage {
    public static let defaultVary = ["tenure=-24..24:6", "switches=0..4"]

    /// Reads one `--vary` spec: `tenure=A..B[:STEP]` (months), `switches=0..N[:STEP]`,
    /// `skills=drop:A..B`, `title=T1|T2|…` (each title cleaned by `cleanTitle`).
    public static func parseVary(_ spec: String, cleanTitle: (String) -> Position) throws -> SensitivityFactor {
        guard let eq = spec.firstIndex(of: "=") else {
            throw KindredError.usage("--vary \(spec): expected FACTOR=RANGE (tenure=-24..24:6, switches=0..4, skills=drop:1..3, title=A|B)")
        }
        let name = String(spec[..<eq]).lowercased()
        var body = String(spec[spec.index(after: eq)...])
        func range(_ text: String) throws -> [Int] {
            let parts = text.split(separator: ":", maxSplits: 1)
            let bounds = parts[0].components(separatedBy: "..")
            guard bounds.count == 2, let a = Int(bounds[0]), let b = Int(bounds[1]), a <= b else {
                throw KindredError.usage("--vary \(spec): expected a range A..B with A ≤ B")
            }
            let step = parts.count == 2 ? Int(parts[1]) : 1
            guard let step, step >= 1 else { throw KindredError.usage("--vary \(spec): the step must be a whole number ≥ 1") }
            guard (b - a) / step <= 200 else { throw KindredError.usage("--vary \(spec): at most 200 steps") }
            var values = Array(stride(from: a, through: b, by: step))
            if a <= 0 && b >= 0 && !values.contains(0) { values = (values + [0]).sorted() }
            return values
        }
        switch name {
        case "tenure":
            let values = try range(body)
            return SensitivityFactor(
                name: "tenure", unit: "month",
                steps: values.map { ("\($0 > 0 ? "+" : "")\($0) months", Double($0), $0 == 0 ? nil : .tenure(months: $0)) })
        case "switches":
            let values = try range(body)
            guard values.allSatisfy({ $0 >= 0 }) else { throw KindredError.usage("--vary \(spec): switches are added, from 0 up") }
            return SensitivityFactor(
                name: "switches", unit: "switch", steps: values.map { ("+\($0) switches", Double($0), $0 == 0 ? nil : .switches(count: $0)) })
        case "skills":
            guard body.hasPrefix("drop:") else { throw KindredError.usage("--vary \(spec): expected skills=drop:A..B") }
            body.removeFirst(5)
            var values = try range(body)
            guard values.allSatisfy({ $0 >= 0 }) else { throw KindredError.usage("--vary \(spec): skills are dropped, from 0 up") }
            if !values.contains(0) { values.insert(0, at: 0) }
            return SensitivityFactor(
                name: "skills", unit: "skill", steps: values.map { ("drop \($0)", Double($0), $0 == 0 ? nil : .dropSkills(count: $0)) })
        case "title":
            let titles = body.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !titles.isEmpty else { throw KindredError.usage("--vary \(spec): expected title=T1|T2|…") }
            var steps: [(label: String, value: Double, variation: CareerVariation?)] = [("as is", 0, nil)]
            for (i, title) in titles.enumerated() { steps.append((title, Double(i + 1), .title(cleanTitle(title)))) }
            return SensitivityFactor(name: "title", unit: nil, steps: steps)
        default:
            throw KindredError.usage("--vary \(spec): unknown factor '\(name)' (tenure, switches, skills or title)")
        }
    }

    /// Analyses every person of the request, in input order.
    public static func run(_ request: SensitivityRequest, pseudonymizer: Pseudonymizer?) throws -> [PersonSensitivity] {
        guard request.projection.k >= 1 else { throw KindredError.usage("--k must be at least 1") }
        guard !request.ids.isEmpty || request.people != nil else {
            throw KindredError.usage("give a person's id, or --people FILE (- for stdin)")
        }
        let model = try ClusterModel.load(try ModelLocation.resolve(request.model, part: .clusters))
        if let pseudonymizer, ClusterModel.keyCheck(pseudonymizer) != model.keyCheck {
            throw KindredError.usage("the pseudonymisation key is not the one the model was built with; use the model's key (KINDRED_KEY or --key-file)")
        }
        // Titles to try are cleaned with the model's dictionaries (the key only names people, not titles).
        var titleCleaner = try ProjectStage.modelCleaner(model: model, pseudonymizer: pseudonymizer ?? .demo())
        let factors = try (request.vary.isEmpty ? defaultVary : request.vary).map { spec in
            try parseVary(spec) { title in
                titleCleaner.clean(Person(id: "title", positions: [Position(title: title)])).positions.first ?? Position(title: title)
            }
        }
        let people = try readPeople(request, model: model, pseudonymizer: pseudonymizer)
        let projector = model.projector(request.projection)
        let reference = model.tempo?.scale.reference
        let runner = ParallelRunner(threads: request.threads)
        let scratches = (0..<runner.workers).map { _ in projector.makeScratch() }
        var results = [PersonSensitivity?](repeating: nil, count: people.count)
        results.withUnsafeMutableBufferPointer { buffer in
            let shared = UncheckedSendable(buffer)
            runner.forEach(items: people.count) { i, worker in
                let person = people[i]
                let (steps, summaries) = Sensitivity.analyse(
                    person, factors: factors, projector: projector, scratch: scratches[worker],
                    reference: reference ?? latestMonth(of: person))
                shared.value[i] = PersonSensitivity(id: person.id, steps: steps, summaries: summaries)
            }
        }
        return results.map { $0! }
    }

    /// The latest month a person's record names (what open positions run to without a model reference).
    static func latestMonth(of person: Person) -> Int {
        person.positions.reduce(0) { max($0, $1.start?.ordinal ?? 0, $1.end?.ordinal ?? 0) }
    }

    /// The people to analyse: looked up by id in the run's clean file, or read from `people`.
    static func readPeople(_ request: SensitivityRequest, model: ClusterModel, pseudonymizer: Pseudonymizer?) throws -> [Person] {
        var out: [Person] = []
        if !request.ids.isEmpty {
            let manifest = try SimilarityModel.load(try ModelLocation.resolve(request.model, part: .similarity))
            let clean = try GraphStage.readPeople(path: manifest.people, threads: request.threads)
            var byID: [String: Int] = [:]
            for (i, p) in clean.enumerated() where byID[p.id] == nil { byID[p.id] = i }
            for id in request.ids {
                guard let i = byID[id] ?? pseudonymizer.flatMap({ byID[$0.pseudonym(for: id)] }) else {
                    // The id is not echoed: it may be a raw identifier typed by mistake.
                    throw KindredError.badInput(
                        "no person with this id in the run's clean people (give a pseudonym, or your own id with the run's key)",
                        file: manifest.people, line: nil, field: "id")
                }
                out.append(clean[i])
            }
        }
        if let path = request.people {
            let isClean = ProjectStage.looksClean(path: path, format: nil)
            var cleaner: PersonCleaner?
            if !isClean {
                guard let pseudonymizer else {
                    throw KindredError.usage("\(path) holds raw records: give the run's key (KINDRED_KEY or --key-file) to clean them, or a clean file")
                }
                cleaner = try ProjectStage.modelCleaner(model: model, pseudonymizer: pseudonymizer)
            }
            let reader = try PeopleReader(path: path)
            defer { reader.close() }
            let limit = request.limit ?? .max
            var read = 0
            while read < limit, let item = try reader.next() {
                switch item {
                case .person(let person, _):
                    out.append(cleaner != nil ? cleaner!.clean(person) : person)
                    read += 1
                case .quarantined(let record):
                    throw KindredError.badInput(record.reason, file: record.file, line: record.line, field: record.field)
                }
            }
            guard read > 0 else { throw KindredError.badInput("no people records", file: path, line: nil) }
        }
        return out
    }

    // MARK: Output

    static func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

    /// One CSV row per person, factor and step.
    public static func csv(_ results: [PersonSensitivity]) -> String {
        var lines = [
            "id,factor,step,value,cluster,confidence,own_cluster,similarity_own,second_cluster,similarity_second,margin,neighbor_overlap,flipped"
        ]
        func number(_ x: Double?) -> String { x.map { fixed($0, 4) } ?? "" }
        for person in results {
            for s in person.steps {
                let fields: [String] = [
                    person.id, s.factor, CSV.escape(s.label), fixed(s.value, 0), s.assignment.cluster.map(String.init) ?? "unassigned",
                    fixed(Double(s.assignment.confidence), 4), s.ownCluster.map(String.init) ?? "", number(s.similarityOwn),
                    s.secondCluster.map(String.init) ?? "", number(s.similaritySecond), number(s.margin), number(s.neighborOverlap),
                    s.flipped ? "true" : "false",
                ]
                lines.append(fields.joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Every person's steps and summaries, and the aggregate, as one JSON object.
    public static func json(_ results: [PersonSensitivity]) -> String {
        func step(_ s: SensitivityStep) -> String {
            var j = JSONText()
            j.add("factor", s.factor)
            j.add("step", s.label)
            j.add("value", s.value, digits: 0)
            if let c = s.assignment.cluster { j.add("cluster", Int(c)) } else { j.add("cluster", raw: "null") }
            j.add("confidence", Double(s.assignment.confidence), digits: 4)
            if let v = s.ownCluster { j.add("own_cluster", Int(v)) }
            if let v = s.similarityOwn { j.add("similarity_own", v, digits: 4) }
            if let v = s.secondCluster { j.add("second_cluster", Int(v)) }
            if let v = s.similaritySecond { j.add("similarity_second", v, digits: 4) }
            if let v = s.margin { j.add("margin", v, digits: 4) }
            if let v = s.neighborOverlap { j.add("neighbor_overlap", v, digits: 4) }
            j.add("flipped", raw: s.flipped ? "true" : "false")
            return j.text
        }
        let people = results.map { p -> String in
            var j = JSONText()
            j.add("id", p.id)
            j.add("steps", raw: "[" + p.steps.map(step).joined(separator: ",") + "]")
            j.add("summary", raw: "[" + p.summaries.map(summaryJSON).joined(separator: ",") + "]")
            return j.text
        }
        var j = JSONText()
        j.add("people", raw: "[" + people.joined(separator: ",\n") + "]")
        j.add("aggregate", raw: "[" + aggregate(results).map(aggregateJSON).joined(separator: ",") + "]")
        return j.text
    }

    static func summaryJSON(_ s: SensitivitySummary) -> String {
        var j = JSONText()
        j.add("factor", s.factor)
        j.add("largest_step_change", s.largestStepChange, digits: 4)
        if let v = s.largestChangePerUnit { j.add("largest_change_per_unit", v, digits: 5) }
        if let v = s.flipAt { j.add("flip_at", v) }
        if let v = s.baselineMargin { j.add("baseline_margin", v, digits: 4) }
        if let v = s.monotone { j.add("monotone", raw: v ? "true" : "false") }
        return j.text
    }

    /// What one factor did across many people.
    public struct FactorAggregate: Sendable, Equatable {
        public var factor: String
        /// People whose unvaried record was assigned (the others have no own cluster to compare with).
        public var people: Int
        public var medianLargestStepChange: Double
        public var maxLargestStepChange: Double
        /// Share of people whose largest step change is at most a tenth of the similarity's range (0.1).
        public var smoothShare: Double
        public var monotoneShare: Double?
        public var flips: Int
        /// Median baseline margin of the people whose cluster flips, and of everyone.
        public var medianFlipMargin: Double?
        public var medianMargin: Double?
    }

    /// Per factor, over the people with an own cluster.
    public static func aggregate(_ results: [PersonSensitivity]) -> [FactorAggregate] {
        var order: [String] = []
        var byFactor: [String: [SensitivitySummary]] = [:]
        for person in results where person.steps.first?.ownCluster != nil {
            for s in person.summaries {
                if byFactor[s.factor] == nil { order.append(s.factor) }
                byFactor[s.factor, default: []].append(s)
            }
        }
        func median(_ xs: [Double]) -> Double? {
            guard !xs.isEmpty else { return nil }
            let s = xs.sorted()
            return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }
        return order.map { factor in
            let list = byFactor[factor]!
            let changes = list.map(\.largestStepChange)
            let monotone = list.compactMap(\.monotone)
            let flipped = list.filter { $0.flipAt != nil }
            return FactorAggregate(
                factor: factor, people: list.count, medianLargestStepChange: median(changes) ?? 0, maxLargestStepChange: changes.max() ?? 0,
                smoothShare: Double(changes.filter { $0 <= 0.1 }.count) / Double(list.count),
                monotoneShare: monotone.isEmpty ? nil : Double(monotone.filter { $0 }.count) / Double(monotone.count), flips: flipped.count,
                medianFlipMargin: median(flipped.compactMap(\.baselineMargin)), medianMargin: median(list.compactMap(\.baselineMargin)))
        }
    }

    static func aggregateJSON(_ a: FactorAggregate) -> String {
        var j = JSONText()
        j.add("factor", a.factor)
        j.add("people", a.people)
        j.add("median_largest_step_change", a.medianLargestStepChange, digits: 4)
        j.add("max_largest_step_change", a.maxLargestStepChange, digits: 4)
        j.add("smooth_share", a.smoothShare, digits: 4)
        if let v = a.monotoneShare { j.add("monotone_share", v, digits: 4) }
        j.add("flips", a.flips)
        if let v = a.medianFlipMargin { j.add("median_flip_margin", v, digits: 4) }
        if let v = a.medianMargin { j.add("median_margin", v, digits: 4) }
        return j.text
    }
}
