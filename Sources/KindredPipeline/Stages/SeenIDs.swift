import Foundation
import KindredCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The ids a stream has seen and the line each was first seen on, for the duplicate-id check of
/// `kindred project`, in memory that stops growing. Pseudonyms (`k` and 24 hex digits: the 96 bits of
/// the keyed hash) are kept as their bits in an open-addressing table of 16-byte slots; when it holds
/// `memoryLimit` ids it is sorted in place and written out as a run (a file of sorted slots in a private
/// temporary folder, removed with this object) with a Bloom filter of 10 bits an id kept in memory, and
/// starts again empty. An id not in the table is looked up in the runs whose filter may hold it (binary
/// search, `pread`). So memory is the table (32 MB at the default limit) plus 1.25 bytes an id beyond it.
/// Any other id, or a line number past 2³²−1, is kept in a dictionary (ids that are not pseudonyms are
/// rare: projection pseudonymises ids). Exact: two pseudonyms are the same id exactly when their bits are equal.
final class SeenIDs {
    /// One id: the pseudonym's bits and the line it was first seen on (0: an empty slot).
    struct Slot {
        var low: UInt64
        var high: UInt32
        var line: UInt32

        static let empty = Slot(low: 0, high: 0, line: 0)

        @inline(__always) func precedes(_ other: Slot) -> Bool { low != other.low ? low < other.low : high < other.high }
    }

    /// A sorted run on disk and its Bloom filter.
    private struct Run {
        let descriptor: Int32
        let count: Int
        let filter: [UInt64]
    }

    /// Ids kept in memory before a run is written.
    let memoryLimit: Int
    private var table: [Slot] = []
    private var used = 0
    private var others: [String: Int] = [:]
    private var runs: [Run] = []
    private var folder: String?
    private let temporaryRoot: String

    /// - Parameters:
    ///   - memoryLimit: pseudonyms kept in the in-memory table (the default fills a table of 2²¹ slots, 32 MB, to 71%).
    ///   - temporaryFolder: where the private folder of runs is made (default: `TMPDIR`, else /tmp).
    init(memoryLimit: Int = 1_500_000, temporaryFolder: String? = nil) {
        self.memoryLimit = max(1, memoryLimit)
        temporaryRoot = temporaryFolder ?? ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    }

    deinit {
        for run in runs { close(run.descriptor) }
        if let folder { try? FileManager.default.removeItem(atPath: folder) }
    }

    /// The ids recorded.
    var count: Int { used + runs.reduce(0) { $0 + $1.count } + others.count }

    /// Runs written so far (for tests and the run log).
    var runCount: Int { runs.count }

    /// The line `id` was first seen on, or nil after recording it as seen on `line` now.
    /// - Throws: `KindredError` (`.io`) when a run cannot be written or read.
    func firstLine(of id: String, line: Int) throws -> Int? {
        guard line >= 1, line < Int(UInt32.max), let (lo, hi) = SeenIDs.bits(of: id) else {
            if let first = others[id] { return first }
            others[id] = line
            return nil
        }
        if table.isEmpty || used * 100 >= table.count * 85 { grow() }
        let mask = table.count - 1
        var slot = Int(truncatingIfNeeded: lo) & mask
        while table[slot].line != 0 {
            if table[slot].low == lo && table[slot].high == hi { return Int(table[slot].line) }
            slot = (slot + 1) & mask
        }
        for run in runs where SeenIDs.mayContain(run.filter, lo, hi) {
            if let first = try find(lo, hi, in: run) { return first }
        }
        table[slot] = Slot(low: lo, high: hi, line: UInt32(line))
        used += 1
        if used >= memoryLimit { try spill() }
        return nil
    }

    /// The 96 bits of a pseudonym (`k` + 24 lower-case hex digits), nil for any other id.
    static func bits(of id: String) -> (UInt64, UInt32)? {
        var id = id
        return id.withUTF8 { bytes -> (UInt64, UInt32)? in
            guard bytes.count == 25, bytes[0] == UInt8(ascii: "k") else { return nil }
            var lo: UInt64 = 0
            var hi: UInt32 = 0
            for i in 1..<25 {
                let b = bytes[i]
                let digit: UInt8
                switch b {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
                default: return nil
                }
                if i <= 16 { lo = lo << 4 | UInt64(digit) } else { hi = hi << 4 | UInt32(digit) }
            }
            return (lo, hi)
        }
    }

    // MARK: The table

    private func grow() {
        // Enough slots for the memory limit at 85% load at most; never more.
        let wanted = memoryLimit * 100 / 85 + 1
        let most = max(1024, 1 << (Int.bitWidth - (wanted - 1).leadingZeroBitCount))
        let capacity = table.isEmpty ? min(1024, most) : min(most, table.count * 2)
        guard capacity > table.count else { return }
        let old = table
        table = [Slot](repeating: .empty, count: capacity)
        let mask = capacity - 1
        for entry in old where entry.line != 0 {
            var slot = Int(truncatingIfNeeded: entry.low) & mask
            while table[slot].line != 0 { slot = (slot + 1) & mask }
            table[slot] = entry
        }
    }

    // MARK: Runs

    /// Sorts the table's ids in place, writes them as a run with its filter, and empties the table.
    private func spill() throws {
        let folder = try runFolder()
        let path = joinPath(folder, "run-\(runs.count).bin")
        let count = used
        let bits = max(64, count * 10)
        var filter = [UInt64](repeating: 0, count: (bits + 63) / 64)
        try table.withUnsafeMutableBufferPointer { slots in
            // Occupied slots to the front, then heapsort (in place: no second copy of the table).
            var n = 0
            for i in 0..<slots.count where slots[i].line != 0 {
                slots.swapAt(n, i)
                n += 1
            }
            precondition(n == count, "slot count")
            SeenIDs.heapSort(slots.baseAddress!, n)
            for i in 0..<n { SeenIDs.insert(&filter, slots[i].low, slots[i].high) }
            let descriptor = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw KindredError(.io, "cannot create a run of the duplicate-id check: \(String(cString: strerror(errno)))", file: path) }
            var offset = 0
            let bytes = UnsafeRawBufferPointer(start: slots.baseAddress!, count: n * MemoryLayout<Slot>.stride)
            while offset < bytes.count {
                let written = pwrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset, off_t(offset))
                guard written > 0 else {
                    close(descriptor)
                    throw KindredError(.io, "cannot write a run of the duplicate-id check: \(String(cString: strerror(errno)))", file: path)
                }
                offset += written
            }
            runs.append(Run(descriptor: descriptor, count: n, filter: filter))
            for i in 0..<slots.count { slots[i] = .empty }
        }
        used = 0
    }

    private func runFolder() throws -> String {
        if let folder { return folder }
        var template = Array(joinPath(temporaryRoot, "kindred-seen-ids-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw KindredError(.io, "cannot make a temporary folder for the duplicate-id check: \(String(cString: strerror(errno)))", file: temporaryRoot)
        }
        folder = String(cString: made)
        return folder!
    }

    /// Binary search of a run (sorted by bits) with `pread`.
    private func find(_ lo: UInt64, _ hi: UInt32, in run: Run) throws -> Int? {
        let key = Slot(low: lo, high: hi, line: 0)
        var slot = Slot.empty
        var low = 0
        var high = run.count
        while low < high {
            let mid = (low + high) / 2
            let size = MemoryLayout<Slot>.stride
            let got = withUnsafeMutableBytes(of: &slot) { pread(run.descriptor, $0.baseAddress!, size, off_t(mid * size)) }
            guard got == size else { throw KindredError(.io, "cannot read a run of the duplicate-id check: \(String(cString: strerror(errno)))", file: folder) }
            if slot.low == lo && slot.high == hi { return Int(slot.line) }
            if slot.precedes(key) { low = mid + 1 } else { high = mid }
        }
        return nil
    }

    /// The filter's 7 bit positions for an id (double hashing of its bits, which are a keyed hash already).
    @inline(__always)
    private static func positions(_ lo: UInt64, _ hi: UInt32, bits: Int, _ body: (Int) -> Void) {
        let step = (UInt64(hi) << 32 | lo >> 32) | 1
        var h = lo
        for _ in 0..<7 {
            body(Int(h % UInt64(bits)))
            h &+= step
        }
    }

    private static func insert(_ filter: inout [UInt64], _ lo: UInt64, _ hi: UInt32) {
        let bits = filter.count * 64
        filter.withUnsafeMutableBufferPointer { words in positions(lo, hi, bits: bits) { words[$0 >> 6] |= 1 << UInt64($0 & 63) } }
    }

    private static func mayContain(_ filter: [UInt64], _ lo: UInt64, _ hi: UInt32) -> Bool {
        var all = true
        filter.withUnsafeBufferPointer { words in
            positions(lo, hi, bits: words.count * 64) { if words[$0 >> 6] & (1 << UInt64($0 & 63)) == 0 { all = false } }
        }
        return all
    }

    /// In-place heapsort by bits (no allocation, unlike the standard library's sort).
    static func heapSort(_ a: UnsafeMutablePointer<Slot>, _ n: Int) {
        func siftDown(_ start: Int, _ end: Int) {
            var root = start
            while 2 * root + 1 < end {
                var child = 2 * root + 1
                if child + 1 < end && a[child].precedes(a[child + 1]) { child += 1 }
                guard a[root].precedes(a[child]) else { return }
                a.swapAt(root, child)
                root = child
            }
        }
        guard n > 1 else { return }
        for start in stride(from: n / 2 - 1, through: 0, by: -1) { siftDown(start, n) }
        for end in stride(from: n - 1, to: 0, by: -1) {
            a.swapAt(0, end)
            siftDown(0, end)
        }
    }
}

extension UnsafeMutablePointer where Pointee == SeenIDs.Slot {
    @inline(__always) fileprivate func swapAt(_ i: Int, _ j: Int) {
        let t = self[i]
        self[i] = self[j]
        self[j] = t
    }
}
