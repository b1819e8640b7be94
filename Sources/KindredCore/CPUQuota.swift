#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How many CPUs this process may really use: the online cores, the CPUs it is pinned to
/// (`sched_getaffinity`, e.g. `taskset` or `docker --cpuset-cpus`) and the container's CPU quota
/// (cgroup v2 `cpu.max`, cgroup v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`, e.g. `docker --cpus 2`),
/// whichever is smallest. `ParallelRunner.defaultThreads` uses it, so a job in a container with a
/// quota of 2 CPUs runs 2 workers instead of one per core of the host.
///
/// The parsers are pure functions of the files' text, tested on sample contents:
///
/// ```swift
/// CPUQuota.cpus(cgroupV2: "max 100000\n")          // nil: no quota
/// CPUQuota.cpus(cgroupV2: "150000 100000\n")       // 2 (1.5 CPUs, rounded up)
/// CPUQuota.cpus(quotaMicroseconds: "-1", periodMicroseconds: "100000")  // nil
/// ```
public enum CPUQuota {
    /// The CPUs a cgroup v2 `cpu.max` allows: `"$MAX $PERIOD"`, `max` for no quota. A fractional
    /// quota is rounded up (1.5 CPUs → 2 workers), and never below 1.
    /// - Returns: nil when there is no quota or the text is malformed.
    /// - Complexity: O(length of the text).
    public static func cpus(cgroupV2 text: String) -> Int? {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
        guard fields.count == 2, fields[0] != "max", let quota = Int(fields[0]), let period = Int(fields[1]) else { return nil }
        return cpus(quota: quota, period: period)
    }

    /// The CPUs a cgroup v1 quota allows (`cpu.cfs_quota_us`, -1 for none; `cpu.cfs_period_us`),
    /// rounded up and never below 1.
    /// - Returns: nil when there is no quota or either text is malformed.
    public static func cpus(quotaMicroseconds quota: String, periodMicroseconds period: String) -> Int? {
        func number(_ text: String) -> Int? {
            let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
            return fields.count == 1 ? Int(fields[0]) : nil
        }
        guard let q = number(quota), let p = number(period) else { return nil }
        return cpus(quota: q, period: p)
    }

    /// `ceil(quota / period)`, at least 1; nil when the quota is not positive (no limit) or the period is not.
    static func cpus(quota: Int, period: Int) -> Int? {
        guard quota > 0, period > 0 else { return nil }
        return max(1, (quota + period - 1) / period)
    }

    /// The smallest of the online cores, the affinity mask's CPUs and the quota, at least 1 (nil
    /// affinity or quota: not known or no limit).
    public static func usable(online: Int, affinity: Int?, quota: Int?) -> Int {
        var n = max(1, online)
        if let affinity, affinity > 0 { n = min(n, affinity) }
        if let quota, quota > 0 { n = min(n, quota) }
        return max(1, n)
    }

    /// The container's CPU quota as this process sees it: cgroup v2 first, then v1 (nil: none).
    public static func containerQuota() -> Int? {
        if let text = MemoryBudget.readSmallFile("/sys/fs/cgroup/cpu.max") { return cpus(cgroupV2: text) }
        for folder in ["/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/cpuacct,cpu"] {
            if let quota = MemoryBudget.readSmallFile(folder + "/cpu.cfs_quota_us"),
               let period = MemoryBudget.readSmallFile(folder + "/cpu.cfs_period_us") {
                return cpus(quotaMicroseconds: quota, periodMicroseconds: period)
            }
        }
        return nil
    }

    private typealias SchedGetAffinity = @convention(c) (Int32, Int, UnsafeMutableRawPointer) -> Int32

    /// `sched_getaffinity` from the C library: Swift's Glibc module does not export it (it needs `_GNU_SOURCE`).
    private static let schedGetAffinity: SchedGetAffinity? = {
        #if os(Linux)
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "sched_getaffinity") else { return nil }
        return unsafeBitCast(symbol, to: SchedGetAffinity.self)
        #else
        return nil
        #endif
    }()

    /// CPUs in this process's affinity mask (nil where `sched_getaffinity` is not available or fails).
    public static func affinityCount() -> Int? {
        guard let call = schedGetAffinity else { return nil }
        // A mask for up to 8,192 CPUs (glibc's cpu_set_t holds 1,024).
        var mask = [UInt64](repeating: 0, count: 128)
        let ok = mask.withUnsafeMutableBytes { call(0, $0.count, $0.baseAddress!) == 0 }
        guard ok else { return nil }
        let count = mask.reduce(0) { $0 + $1.nonzeroBitCount }
        return count > 0 ? count : nil
    }

    /// Online cores (`sysconf(_SC_NPROCESSORS_ONLN)`).
    public static func onlineCores() -> Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// What this process may use now: `usable(online:affinity:quota:)` of the machine's figures.
    public static func available() -> Int {
        usable(online: onlineCores(), affinity: affinityCount(), quota: containerQuota())
    }
}
