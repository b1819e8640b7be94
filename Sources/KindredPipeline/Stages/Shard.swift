import Foundation
import KindredCore

/// One part of an input split across N independent processes (array jobs): the records whose stable
/// hash of the record line, mod N, is `index`. Any split of the same input gives disjoint parts that
/// cover every record, on any machine.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1 else { throw KindredError.usage("the shard count must be at least 1") }
        guard (0..<count).contains(index) else { throw KindredError.usage("shard index \(index) is outside 0..<\(count)") }
        self.index = index
        self.count = count
    }

    /// `i/N`, e.g. `3/8`.
    public static func parse(_ text: String) throws -> Shard {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
            throw KindredError.usage("--shard expects i/N (e.g. 3/8), got '\(text)'")
        }
        return try Shard(index: i, count: n)
    }

    /// The environment variables array-job schedulers set to a task's index, in the order they are read.
    public static let indexVariables = ["KINDRED_SHARD_INDEX", "JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX", "SLURM_ARRAY_TASK_ID"]

    /// The shard of `count` whose index an array-job scheduler set: Kubernetes Indexed Jobs
    /// (`JOB_COMPLETION_INDEX`), AWS Batch array jobs (`AWS_BATCH_JOB_ARRAY_INDEX`), Slurm arrays
    /// (`SLURM_ARRAY_TASK_ID`, less `SLURM_ARRAY_TASK_MIN` when set), or `KINDRED_SHARD_INDEX`.
    public static func fromEnvironment(count: Int, _ environment: [String: String]) throws -> Shard {
        for name in indexVariables {
            guard let text = environment[name] else { continue }
            guard var index = Int(text.trimmingCharacters(in: .whitespaces)) else {
                throw KindredError.usage("\(name) is not an integer")
            }
            if name == "SLURM_ARRAY_TASK_ID", let min = environment["SLURM_ARRAY_TASK_MIN"].flatMap({ Int($0) }) { index -= min }
            return try Shard(index: index, count: count)
        }
        throw KindredError.usage(
            "--shards N needs the task index from the environment (one of \(indexVariables.joined(separator: ", "))); or give --shard i/N")
    }

    /// Whether a record line belongs to this shard (FNV-1a of its bytes, mixed, mod N).
    @inlinable
    public func owns(_ line: ArraySlice<UInt8>) -> Bool {
        if count == 1 { return true }
        var h = stableHash(line)
        h ^= h >> 33
        h = h &* 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        return Int(h % UInt64(count)) == index
    }

    /// `part-00003-of-00008`.
    public var partName: String {
        func pad(_ n: Int) -> String { let s = String(n); return String(repeating: "0", count: max(0, 5 - s.count)) + s }
        return "part-\(pad(index))-of-\(pad(count))"
    }

    public var description: String { "\(index)/\(count)" }
}
