// libFuzzer harness: plain-text edge lists (`EdgeListFormat.read(path:)`).
//
// The input is written to a file and read back as a graph (LineReader, tokenising, UTF-8 check,
// weights, id numbering, the CSR build with the duplicate policy picked from the input's hash).
// Oracle: a graph the reader accepts is a valid graph, so it can be stored as `.kgraph` and read back
// identical, and written as an edge list and read back with the same vertices, edges and weight.
import FuzzSupport
import KindredGraph

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    let policies = DuplicateEdgePolicy.allCases
    let policy = policies[Int(Fuzz.fnv1a(bytes[...]) % UInt64(policies.count))]
    let scratch = ScratchFolder.shared
    let path = scratch.write(bytes, to: "graph.txt")
    let graph: Graph
    do {
        graph = try EdgeListFormat.read(path: path, duplicates: policy)
    } catch {
        return 0  // rejected input: expected
    }
    let binary = scratch.file("graph.kgraph")
    do {
        try KGraphFormat.write(graph, to: binary)
        let again = try KGraphFormat.read(path: binary)
        Fuzz.invariant(
            again.offsets == graph.offsets && again.targets == graph.targets && again.ids == graph.ids
                && again.weights.map(\.bitPattern) == graph.weights.map(\.bitPattern),
            "the .kgraph round trip changed the graph")
    } catch {
        Fuzz.invariant(false, "an edge list the reader accepted (policy \(policy)) gives a graph that .kgraph refuses: \(error)")
    }
    let text = scratch.file("again.txt")
    do {
        try EdgeListFormat.write(graph, to: text)
        let again = try EdgeListFormat.read(path: text, duplicates: policy)
        let isolated = (0..<graph.vertexCount).filter { graph.offsets[$0] == graph.offsets[$0 + 1] }.count
        Fuzz.invariant(again.vertexCount == graph.vertexCount - isolated, "edge-list round trip: \(graph.vertexCount) vertices became \(again.vertexCount)")
        Fuzz.invariant(again.edgeCount == graph.edgeCount, "edge-list round trip: \(graph.edgeCount) edges became \(again.edgeCount)")
        // The same weights summed in another vertex order: equal up to rounding.
        let difference = abs(again.totalWeight - graph.totalWeight)
        Fuzz.invariant(
            difference <= 1e-9 * max(abs(graph.totalWeight), 1),
            "edge-list round trip: total weight \(graph.totalWeight) became \(again.totalWeight)")
    } catch {
        Fuzz.invariant(false, "an edge list the reader accepted (policy \(policy)) cannot be written and read back: \(error)")
    }
    return 0
}
