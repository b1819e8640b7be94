import KindredCore
import KindredPeople
import KindredSimilarity

/// A person with canonical skills and titles (positions oldest first, the last one current).
func person(_ id: String, skills: [String] = [], titles: [String] = []) -> Person {
    var person = Person(id: id, skills: skills)
    for (index, title) in titles.enumerated() {
        person.positions.append(Position(title: title, start: YearMonth(year: 2000 + 3 * index, month: 1)))
    }
    return person
}

/// The Euclidean norm of row `r`.
func norm(_ vectors: SparseVectors, _ r: Int) -> Float {
    vectors.dot(r, r).squareRoot()
}

/// Top-k by brute force: every other row's `dot`, kept when > 0 and ≥ `minimum`, best first, ties to
/// the smaller row; unused slots hold `UInt32.max` and -infinity (the table's layout).
func bruteForceNeighbors(_ vectors: SparseVectors, k: Int, minimum: Float = 0) -> (neighbors: [UInt32], similarities: [Float]) {
    let n = vectors.rowCount
    var neighbors = [UInt32](repeating: .max, count: n * k)
    var similarities = [Float](repeating: -.infinity, count: n * k)
    for r in 0..<n {
        var candidates: [(UInt32, Float)] = []
        for o in 0..<n where o != r {
            let s = vectors.dot(r, o)
            if s > 0 && s >= minimum { candidates.append((UInt32(o), s)) }
        }
        candidates.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        for (j, candidate) in candidates.prefix(k).enumerated() {
            neighbors[r * k + j] = candidate.0
            similarities[r * k + j] = candidate.1
        }
    }
    return (neighbors, similarities)
}

/// Random L2-normalised sparse rows from a seed: some empty rows, some exact copies of earlier rows
/// (ties), and in half the cases all-equal weights before normalising (many equal similarities).
func randomVectors(seed: UInt64, maxRows: Int = 200, maxColumns: Int = 25) -> SparseVectors {
    var rng = SeededGenerator(seed: seed)
    let n = 1 + Int(rng.next() % UInt64(maxRows))
    let columnCount = 1 + Int(rng.next() % UInt64(maxColumns))
    let binary = rng.next() % 2 == 0
    var rows: [[(UInt32, Float)]] = []
    for _ in 0..<n {
        if !rows.isEmpty && rng.next() % 5 == 0 {
            rows.append(rows[Int(rng.next() % UInt64(rows.count))])
            continue
        }
        let wanted = Int(rng.next() % 6)
        var columns = Set<UInt32>()
        for _ in 0..<wanted { columns.insert(UInt32(rng.next() % UInt64(columnCount))) }
        var row = columns.sorted().map { ($0, binary ? Float(1) : Float(1 + rng.next() % 1000) / 1000) }
        let length = row.reduce(Float(0)) { $0 + $1.1 * $1.1 }.squareRoot()
        if length > 0 { row = row.map { ($0.0, $0.1 / length) } }
        rows.append(row)
    }
    var offsets = [0]
    var columns: [UInt32] = []
    var values: [Float] = []
    for row in rows {
        for (c, v) in row {
            columns.append(c)
            values.append(v)
        }
        offsets.append(columns.count)
    }
    return SparseVectors(offsets: offsets, columns: columns, values: values, columnCount: columnCount)
}
