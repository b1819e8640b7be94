import KindredCore

/// Loads a graph from a file in whichever format it is in.
public enum GraphLoader {
    /// Loads a `.kgraph` file (recognised by its magic bytes, whatever its extension) or else an edge
    /// list (`EdgeListFormat`, `.gz` decompressed, duplicates summed).
    ///
    /// - Parameter path: The file to load.
    /// - Returns: The graph.
    /// - Throws: `KindredError` `.io` naming the file when it cannot be read; `.badInput` as
    ///   `KGraphFormat.read(path:)` or `EdgeListFormat.read(path:duplicates:)` report.
    /// - Complexity: that of the reader used.
    public static func load(path: String) throws -> Graph {
        if path != "-" {
            let prefix = try FileBytes.readPrefix(path: path, count: KGraphFormat.magic.count)
            if prefix == KGraphFormat.magic {
                return try KGraphFormat.read(path: path)
            }
        }
        return try EdgeListFormat.read(path: path)
    }
}
