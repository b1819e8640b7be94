import KindredCore

extension Louvain {
    /// Greedy distance-1 colouring: vertices visited in ascending order (cache-friendly) each take the smallest colour no
    /// already-coloured neighbour has. Adjacent vertices never share a colour, so a colour class can
    /// move all at once against one snapshot of the state (as in Grappolo, Lu, Halappanavar &
    /// Kalyanaraman 2015, doi:10.1016/j.parco.2015.03.003). Deterministic: depends only on the graph
    /// (the seed acts on the order in which classes are visited instead).
    ///
    /// - Returns: the vertices of each colour, ascending within a colour (for memory locality).
    /// - Complexity: O(n + E); sequential.
    static func colorClasses(_ graph: LevelGraph) -> Groups {
        let n = graph.vertexCount
        var color = [UInt32](repeating: UInt32.max, count: n)
        var stamp = [Int32](repeating: -1, count: n + 1)
        var colorCount = 0
        withBuffers(graph.offsets, graph.targets) { off, tgt in
            withMutableBuffers(&color, &stamp) { col, seen in
                do {
                    for v in 0..<n {
                        let mark = Int32(truncatingIfNeeded: v)
                        for e in off[v]..<off[v + 1] {
                            let c = col[Int(tgt[e])]
                            if c != UInt32.max { seen[Int(c)] = mark }
                        }
                        var c = 0
                        while seen[c] == mark { c += 1 }
                        col[v] = UInt32(truncatingIfNeeded: c)
                        if c + 1 > colorCount { colorCount = c + 1 }
                    }
                }
            }
        }
        return Groups(label: color, count: colorCount)
    }
}
