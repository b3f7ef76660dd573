import Foundation

/// How many jobs one task (or one `tilefleet tiles` run) may have: the fleet configuration's
/// `limits:` section. Counted before any cell is made.
///
/// The default `max_jobs` is sized for the machine: a quarter of its memory (the smaller of the
/// physical memory and the cgroup's `memory.max`) at ``bytesPerJob`` each, so a submit never
/// runs the coordinator's host out of memory.
public struct JobLimits: Sendable, Hashable {
    /// Above this many jobs a task is refused (`limits.max_jobs`).
    public var maxJobs: Int
    /// Above this many jobs a task needs `--yes` (`limits.confirm_jobs`).
    public var confirmJobs: Int

    /// Memory a planned job costs a submit at its peak, with room to spare (docs/tasks.md
    /// measures about 1.5 kB: the tile, its GeoJSON and its share of the COPY buffer).
    public static let bytesPerJob: UInt64 = 2048
    /// The default `max_jobs` never goes below this, however small the machine.
    public static let smallestDefault = 100_000

    /// The default `max_jobs` for a machine with `memoryBytes` of memory: a quarter of it at
    /// ``bytesPerJob`` each, rounded down to a multiple of 100,000, at least ``smallestDefault``.
    public static func defaultMaxJobs(memoryBytes: UInt64) -> Int {
        let jobs = memoryBytes / 4 / bytesPerJob
        let rounded = Int(min(jobs, UInt64(Int.max / 2))) / 100_000 * 100_000
        return max(smallestDefault, rounded)
    }

    /// This machine's memory as a process sees it: the physical memory, or the cgroup's
    /// `memory.max` when that is lower (a container).
    public static var machineMemoryBytes: UInt64 {
        let physical = ProcessInfo.processInfo.physicalMemory
        guard let text = try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8),
              let limit = UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines)), limit > 0 else { return physical }
        return min(physical, limit)
    }

    /// `max_jobs` sized for this machine's memory, `confirm_jobs` 100,000 (at most `max_jobs`).
    public init() {
        let maxJobs = Self.defaultMaxJobs(memoryBytes: Self.machineMemoryBytes)
        self.init(maxJobs: maxJobs, confirmJobs: min(100_000, maxJobs))
    }

    public init(maxJobs: Int, confirmJobs: Int = 100_000) {
        self.maxJobs = maxJobs
        self.confirmJobs = confirmJobs
    }
}
