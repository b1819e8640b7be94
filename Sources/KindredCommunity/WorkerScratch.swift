import KindredCore

#if canImport(Glibc)
import Glibc
#endif

/// Per-worker scratch for the kernels: a dense weight-per-key array (−1 = untouched) and a touched-key
/// list (all `UInt32.max` at first, so it can also serve as a per-key stamp array), each of `size`
/// elements, allocated once per phase and freed with the object. One per worker, never shared.
final class WorkerScratch: @unchecked Sendable {
    let weightTo: [SharedMutableBuffer<Double>]
    let touched: [SharedMutableBuffer<UInt32>]
    /// A small probe table per worker, for vertices of low degree (see `SmallWeightTable`).
    let small: [SmallWeightTable]

    init(workers: Int, size: Int) {
        let count = max(size, 1)
        small = (0..<workers).map { _ in SmallWeightTable() }
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
        for table in small { table.deallocate() }
    }
}

/// Weight summed per key (community or sub-community) over one vertex's or group's adjacency entries.
/// Two stores: `TableWeights` (the small L1 table, for at most `SmallWeightTable.maxEntries` entries)
/// and `DenseWeights` (the worker's n-sized array with its touched list). Both list keys in
/// first-touched order, so callers see the same keys, sums and order whichever is used. Kernels are
/// written once, generic over this protocol, and call it with the store that suits the entry count;
/// the generic code is specialised for each (one store with a branch per entry measured 8% slower).
protocol NeighborWeights {
    /// Distinct keys so far.
    var count: Int { get }
    mutating func add(_ key: UInt32, _ weight: Double)
    /// The i-th key in first-touched order, and its summed weight.
    func key(at i: Int) -> UInt32
    func weight(at i: Int) -> Double
    /// The weight summed for `key`, or 0.
    func weight(of key: UInt32) -> Double
    /// Empties the store for the next use.
    mutating func clear()
}

struct TableWeights: NeighborWeights {
    let table: SmallWeightTable
    private(set) var count = 0

    @inline(__always) init(_ table: SmallWeightTable) { self.table = table }
    @inline(__always) mutating func add(_ key: UInt32, _ weight: Double) { table.add(key, weight, used: &count) }
    @inline(__always) func key(at i: Int) -> UInt32 { table.keys[Int(table.slots[i])] }
    @inline(__always) func weight(at i: Int) -> Double { table.values[Int(table.slots[i])] }
    @inline(__always) func weight(of key: UInt32) -> Double { table.value(of: key) }
    @inline(__always) mutating func clear() {
        table.clear(used: count)
        count = 0
    }
}

struct DenseWeights: NeighborWeights {
    let dense: SharedMutableBuffer<Double>
    let touched: SharedMutableBuffer<UInt32>
    private(set) var count = 0

    @inline(__always) init(dense: SharedMutableBuffer<Double>, touched: SharedMutableBuffer<UInt32>) {
        self.dense = dense
        self.touched = touched
    }

    @inline(__always) mutating func add(_ key: UInt32, _ weight: Double) {
        let k = Int(key)
        if dense[k] < 0 {
            dense[k] = 0
            touched[count] = key
            count += 1
        }
        dense[k] += weight
    }

    @inline(__always) func key(at i: Int) -> UInt32 { touched[i] }
    @inline(__always) func weight(at i: Int) -> Double { dense[Int(touched[i])] }
    @inline(__always) func weight(of key: UInt32) -> Double {
        let w = dense[Int(key)]
        return w < 0 ? 0 : w
    }
    @inline(__always) mutating func clear() {
        for i in 0..<count { dense[Int(touched[i])] = -1 }
        count = 0
    }
}

/// Weight per neighbouring community for one vertex of degree ≤ `SmallWeightTable.maxEntries`, in an
/// open-addressing table of 256 slots (3 KiB, stays in L1) instead of the n-sized dense array, whose
/// random accesses miss the cache on large graphs. Keys are community ids (`UInt32.max` = empty);
/// `slots` lists the used slots in first-touched order so they can be read and emptied. One per worker,
/// never shared.
struct SmallWeightTable: @unchecked Sendable {
    static let capacity = 256
    /// At most this many distinct keys (load ≤ 1/2), so a vertex with at most this many entries fits.
    static let maxEntries = 128
    let keys: UnsafeMutablePointer<UInt32>
    let values: UnsafeMutablePointer<Double>
    let slots: UnsafeMutablePointer<UInt8>

    init() {
        keys = .allocate(capacity: Self.capacity)
        keys.initialize(repeating: UInt32.max, count: Self.capacity)
        values = .allocate(capacity: Self.capacity)
        values.initialize(repeating: 0, count: Self.capacity)
        slots = .allocate(capacity: Self.capacity)
        slots.initialize(repeating: 0, count: Self.capacity)
    }

    func deallocate() {
        keys.deallocate()
        values.deallocate()
        slots.deallocate()
    }

    /// Adds `weight` to `key`; `used` counts the slots in use and grows when `key` is new.
    @inline(__always)
    func add(_ key: UInt32, _ weight: Double, used: inout Int) {
        var slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B1) >> 24)
        while true {
            let k = keys[slot]
            if k == key {
                values[slot] += weight
                return
            }
            if k == UInt32.max {
                keys[slot] = key
                values[slot] = weight
                slots[used] = UInt8(truncatingIfNeeded: slot)
                used += 1
                return
            }
            slot = (slot + 1) & (Self.capacity - 1)
        }
    }

    /// The weight stored for `key`, or 0.
    @inline(__always)
    func value(of key: UInt32) -> Double {
        var slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B1) >> 24)
        while true {
            let k = keys[slot]
            if k == key { return values[slot] }
            if k == UInt32.max { return 0 }
            slot = (slot + 1) & (Self.capacity - 1)
        }
    }

    /// Empties the `used` slots.
    @inline(__always)
    func clear(used: Int) {
        for i in 0..<used { keys[Int(slots[i])] = UInt32.max }
    }
}
