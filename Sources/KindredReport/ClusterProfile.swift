/// What one cluster looks like: its size and the titles and skills most common among its members.
public struct ClusterProfile: Sendable, Equatable {
    public var cluster: Int
    public var size: Int
    /// Most common current titles with their counts, most common first (ties alphabetical).
    public var topTitles: [(String, Int)]
    /// Most common skills with their counts, most common first (ties alphabetical).
    public var topSkills: [(String, Int)]

    public init(cluster: Int, size: Int, topTitles: [(String, Int)], topSkills: [(String, Int)]) {
        self.cluster = cluster
        self.size = size
        self.topTitles = topTitles
        self.topSkills = topSkills
    }

    public static func == (a: ClusterProfile, b: ClusterProfile) -> Bool {
        a.cluster == b.cluster && a.size == b.size && a.topTitles.map(\.0) == b.topTitles.map(\.0)
            && a.topTitles.map(\.1) == b.topTitles.map(\.1) && a.topSkills.map(\.0) == b.topSkills.map(\.0)
            && a.topSkills.map(\.1) == b.topSkills.map(\.1)
    }
}

/// Builds cluster profiles from memberships and each member's current title and skills.
public enum ClusterProfiler {
    /// One profile per cluster label 0..<clusterCount.
    /// - Parameters:
    ///   - membership: cluster of each person.
    ///   - titles: each person's current canonical title (nil when none).
    ///   - skills: each person's canonical skills.
    ///   - top: how many titles and skills to keep per cluster.
    public static func profiles(membership: [UInt32], titles: [String?], skills: [[String]], top: Int = 3) -> [ClusterProfile] {
        let clusterCount = Int((membership.max() ?? 0)) + (membership.isEmpty ? 0 : 1)
        var sizes = [Int](repeating: 0, count: clusterCount)
        var titleCounts = [[String: Int]](repeating: [:], count: clusterCount)
        var skillCounts = [[String: Int]](repeating: [:], count: clusterCount)
        for (person, label) in membership.enumerated() {
            let c = Int(label)
            sizes[c] += 1
            if let title = titles[person] { titleCounts[c][title, default: 0] += 1 }
            for skill in skills[person] { skillCounts[c][skill, default: 0] += 1 }
        }
        func best(_ counts: [String: Int]) -> [(String, Int)] {
            counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(top).map { ($0.key, $0.value) }
        }
        return (0..<clusterCount).map {
            ClusterProfile(cluster: $0, size: sizes[$0], topTitles: best(titleCounts[$0]), topSkills: best(skillCounts[$0]))
        }
    }
}

/// Summary statistics of community sizes.
public struct SizeDistribution: Sendable, Equatable {
    public var count: Int
    public var minimum: Int
    public var median: Double
    public var maximum: Int
    public var mean: Double
    /// Communities of one member.
    public var singletons: Int

    public init(sizes: [Int]) {
        let sorted = sizes.sorted()
        count = sorted.count
        minimum = sorted.first ?? 0
        maximum = sorted.last ?? 0
        mean = sorted.isEmpty ? 0 : Double(sorted.reduce(0, +)) / Double(sorted.count)
        if sorted.isEmpty {
            median = 0
        } else if sorted.count % 2 == 1 {
            median = Double(sorted[sorted.count / 2])
        } else {
            median = Double(sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        }
        singletons = sorted.filter { $0 == 1 }.count
    }
}

/// Renders a plain-text table with aligned columns, for terminals and logs.
public enum TextTable {
    /// The table as lines joined by newlines (header, a rule, then the rows). Cells wider than
    /// `maxWidth` are cut with an ellipsis.
    public static func render(headers: [String], rows: [[String]], maxWidth: Int = 48) -> String {
        func cut(_ text: String) -> String { text.count <= maxWidth ? text : String(text.prefix(maxWidth - 1)) + "…" }
        let cells = rows.map { $0.map(cut) }
        var widths = headers.map(\.count)
        for row in cells {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ row: [String]) -> String {
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count)
            }.joined(separator: "  ")
        }
        var lines = [line(headers), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        lines += cells.map(line)
        return lines.joined(separator: "\n")
    }
}
