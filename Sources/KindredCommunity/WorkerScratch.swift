import KindredCore

#if canImport(Glibc)
import Glibc
#endif

/// Per-worker scratch for the kernels: a dense weight-per-key array (−1 = untouched) and a touched-key
/// list (all `UInt32.max` at first, so it can also serve as a per-key stamp array), each of `size`
/// elements, allocated once per phase and freed with the object.
final class WorkerScratch: @unchecked Sendable {
    let weightTo: [SharedMutableBuffer<Double>]
    let touched: [SharedMutableBuffer<UInt32>]

    init(workers: Int, size: Int) {
        let count = max(size, 1)
        weightTo = (0..<workers).map { _ in
            let buffer = UnsafeMutableBufferPointer<Double>.allocate(capacity: count)
            buffer.initialize(repeating: -1)
            return SharedMutableBuffer(buffer)
        }
        touched = (0..<workers).map { _ in
            let buffer = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: count)
            buffer.initialize(repeating: UInt32.max)
            return SharedMutableBuffer(buffer)
        }
    }

    deinit {
        for buffer in weightTo { buffer.base.deallocate() }
        for buffer in touched { buffer.base.deallocate() }
    }
}
