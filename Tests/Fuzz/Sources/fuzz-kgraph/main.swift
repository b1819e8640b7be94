// libFuzzer harness: the binary `.kgraph` format (`KGraphFormat.read(path:)`).
//
// The first input byte is a control byte, the rest is the file. When the control byte's low bit is
// set and the file has a full 48-byte header, the harness recomputes the FNV-1a checksum of the body
// and stores it at offset 40, so the structural checks behind the checksum get fuzzed too; otherwise
// the file is read as it is (header, sizes and checksum checks). Oracle: a file that reads without
// error is canonical, so writing the graph back gives the same bytes.
import FuzzSupport
import KindredGraph

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    var file = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let headerSize = KGraphFormat.headerSize
    if data[0] & 1 == 1 && file.count >= headerSize {
        let checksum = Fuzz.fnv1a(file[headerSize...])
        for i in 0..<8 { file[40 + i] = UInt8(truncatingIfNeeded: checksum >> (8 * UInt64(i))) }
    }
    let scratch = ScratchFolder.shared
    let path = scratch.write(file, to: "input.kgraph")
    let graph: Graph
    do {
        graph = try KGraphFormat.read(path: path)
    } catch {
        return 0  // rejected input: expected
    }
    let again = scratch.file("again.kgraph")
    do {
        try KGraphFormat.write(graph, to: again)
    } catch {
        Fuzz.invariant(false, "a graph read from .kgraph cannot be written: \(error)")
    }
    Fuzz.invariant(ScratchFolder.read(again) == file, "a .kgraph file that reads without error is not what writing its graph gives")
    _ = graph.totalWeight
    return 0
}
