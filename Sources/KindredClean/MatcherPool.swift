import KindredCore

/// One matcher per worker for titles and skills, reached by worker index. Sendable by discipline: each
/// worker touches only its own matchers.
public final class MatcherPool: @unchecked Sendable {
    private var titles: [CanonicalDictionary.Matcher]
    private var skills: [CanonicalDictionary.Matcher]

    public init(titles: CanonicalDictionary, skills: CanonicalDictionary, workers: Int) {
        let t = CanonicalDictionary.Matcher(titles)
        let s = CanonicalDictionary.Matcher(skills)
        self.titles = Array(repeating: t, count: workers)
        self.skills = Array(repeating: s, count: workers)
    }

    /// Maps values in parallel; results in the values' order. Each worker only touches its own matcher.
    /// `progress`, when given, counts values mapped (once per block of 64).
    public func matchTitles(_ values: [String], runner: ParallelRunner, progress: ProgressCounter? = nil) -> [CanonicalMatch] {
        match(values, &titles, runner, progress)
    }
    public func matchSkills(_ values: [String], runner: ParallelRunner) -> [CanonicalMatch] { match(values, &skills, runner, nil) }

    private func match(
        _ values: [String], _ matchers: inout [CanonicalDictionary.Matcher], _ runner: ParallelRunner, _ progress: ProgressCounter?
    ) -> [CanonicalMatch] {
        guard !values.isEmpty else { return [] }
        let placeholder = CanonicalMatch(canonical: "", occupation: nil, seniority: nil, confidence: 0, method: .none)
        var out = [CanonicalMatch](repeating: placeholder, count: values.count)
        // Blocks of values per item keep the hand-out cheap.
        let block = 64
        out.withUnsafeMutableBufferPointer { results in
            matchers.withUnsafeMutableBufferPointer { matchers in
                let shared = UncheckedSendable((results, matchers))
                runner.forEach(items: (values.count + block - 1) / block) { item, worker in
                    let (results, matchers) = shared.value
                    for i in (item * block)..<min(values.count, (item + 1) * block) {
                        results[i] = matchers[worker].match(values[i])
                    }
                    progress?.add(min(values.count, (item + 1) * block) - item * block)
                }
            }
        }
        return out
    }
}
