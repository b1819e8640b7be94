import KindredCore
import Testing

@Suite("CPU quota: cgroup v1 and v2 files, affinity, online cores") struct CPUQuotaTests {
    @Test("cgroup v2 cpu.max", arguments: [
        ("max 100000\n", nil),
        ("max 100000", nil),
        ("max\n", nil),
        ("200000 100000\n", 2),
        ("100000 100000", 1),
        ("150000 100000\n", 2),  // 1.5 CPUs: rounded up
        ("50000 100000\n", 1),  // half a CPU: at least 1
        ("1 100000\n", 1),
        ("400000 50000\n", 8),
        ("", nil),
        ("garbage", nil),
        ("-1 100000", nil),
        ("200000 0", nil),
        ("200000 100000 7", nil),
    ] as [(String, Int?)])
    func cgroupV2(text: String, expected: Int?) {
        #expect(CPUQuota.cpus(cgroupV2: text) == expected)
    }

    @Test("cgroup v1 cpu.cfs_quota_us / cpu.cfs_period_us", arguments: [
        ("-1\n", "100000\n", nil),
        ("200000\n", "100000\n", 2),
        ("250000", "100000", 3),
        ("50000\n", "100000\n", 1),
        ("x", "100000", nil),
        ("200000", "", nil),
    ] as [(String, String, Int?)])
    func cgroupV1(quota: String, period: String, expected: Int?) {
        #expect(CPUQuota.cpus(quotaMicroseconds: quota, periodMicroseconds: period) == expected)
    }

    @Test("the smallest of online cores, affinity and quota, at least 1")
    func usable() {
        #expect(CPUQuota.usable(online: 16, affinity: nil, quota: nil) == 16)
        #expect(CPUQuota.usable(online: 16, affinity: 4, quota: nil) == 4)
        #expect(CPUQuota.usable(online: 16, affinity: 8, quota: 2) == 2)
        #expect(CPUQuota.usable(online: 2, affinity: 8, quota: 4) == 2)
        #expect(CPUQuota.usable(online: 0, affinity: 0, quota: 0) == 1)
    }

    @Test("this machine: the default thread count is within the online cores and the affinity mask")
    func machine() {
        let n = ParallelRunner.defaultThreads
        #expect(n >= 1 && n <= CPUQuota.onlineCores())
        if let affinity = CPUQuota.affinityCount() { #expect(n <= affinity) }
        if let quota = CPUQuota.containerQuota() { #expect(n <= quota) }
    }
}
