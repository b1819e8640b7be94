import KindredCore

/// Reads and writes node → label files: partitions (`node,community`) and ground truth
/// (`node,label` CSV with an optional header, or whitespace-separated `node label`).
public enum LabelFile {
    /// Reads a label file into (node, label) pairs in file order.
    /// - Parameter column: the label column by header name when the file has a header; else the second column.
    /// - Throws: `KindredError` naming file and line for a short row, a duplicate node or bad UTF-8;
    ///   an empty file is an error too.
    public static func read(path: String, column: String? = nil) throws -> [(node: String, label: String)] {
        try read(path: path, columns: column.map { [$0] } ?? [])
    }

    /// `read(path:column:)` with the label column named by the first of `columns` the header has (a
    /// clusters file's `community`, or `cluster` as in `assignments.csv` and project's output).
    public static func read(path: String, columns: [String]) throws -> [(node: String, label: String)] {
        let reader = try LineReader(path: path)
        var pairs: [(String, String)] = []
        var seen: [String: Int] = [:]
        var isCSV: Bool?
        var labelIndex = 1
        while let line = try reader.nextString() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if isCSV == nil {
                isCSV = trimmed.contains(",")
                let fields = try split(trimmed, csv: isCSV!, path: path, line: reader.lineNumber)
                let first = fields[0].lowercased()
                if ["node", "id", "vertex", "person"].contains(first) {
                    if !columns.isEmpty {
                        guard let index = columns.lazy.compactMap({ fields.firstIndex(of: $0) }).first else {
                            let names = columns.map { "'\($0)'" }.joined(separator: " or ")
                            throw KindredError.badInput("no column \(names) in the header", file: path, line: reader.lineNumber, field: columns[0])
                        }
                        labelIndex = index
                    }
                    continue
                }
            }
            let fields = try split(trimmed, csv: isCSV!, path: path, line: reader.lineNumber)
            guard fields.count > labelIndex else {
                throw KindredError.badInput("expected a node and a label", file: path, line: reader.lineNumber, field: "column \(labelIndex + 1)")
            }
            let node = fields[0]
            if let first = seen[node] {
                throw KindredError.badInput("duplicate node (first on line \(first))", file: path, line: reader.lineNumber, field: "node")
            }
            seen[node] = reader.lineNumber
            pairs.append((node, fields[labelIndex]))
        }
        if pairs.isEmpty { throw KindredError.badInput("the file is empty: no labels", file: path, line: nil) }
        return pairs
    }

    static func split(_ line: String, csv: Bool, path: String, line number: Int) throws -> [String] {
        if csv {
            do {
                return try CSV.fields(of: line).map { $0.trimmingCharacters(in: .whitespaces) }
            } catch var error as KindredError {
                error.file = path
                error.line = number
                throw error
            }
        }
        return line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    }

    /// Writes a partition as `node,community` (with that header), atomically.
    public static func writePartition(ids: [String], membership: [UInt32], to path: String) throws {
        let writer = try AtomicFileWriter(path: path)
        try writer.write("node,community\n")
        for (id, label) in zip(ids, membership) {
            try writer.write(CSV.escape(id) + "," + String(label) + "\n")
        }
        try writer.commit()
    }

    /// Writes every level of a hierarchy: `node,level0,level1,…`, atomically.
    public static func writeLevels(ids: [String], levels: [[UInt32]], to path: String) throws {
        let writer = try AtomicFileWriter(path: path)
        try writer.write("node," + (0..<levels.count).map { "level\($0)" }.joined(separator: ",") + "\n")
        for (v, id) in ids.enumerated() {
            try writer.write(CSV.escape(id) + "," + levels.map { String($0[v]) }.joined(separator: ",") + "\n")
        }
        try writer.commit()
    }
}

extension String {
    func trimmingCharacters(in set: TrimSet) -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" || first == "\r" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" || last == "\r" { scalars.removeLast() }
        return String(scalars)
    }
}

/// Only whitespace trimming is needed here (keeps this file free of Foundation).
enum TrimSet { case whitespaces }
