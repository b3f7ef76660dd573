/// How many jobs one task (or one `tilefleet tiles` run) may have: the fleet configuration's
/// `limits:` section. Counted before any cell is made.
///
/// The defaults keep a submit within about 2 GB of memory (about 1.5 kB per planned job, see docs/tasks.md).
public struct JobLimits: Sendable, Hashable {
    /// Above this many jobs a task is refused (`limits.max_jobs`).
    public var maxJobs: Int
    /// Above this many jobs a task needs `--yes` (`limits.confirm_jobs`).
    public var confirmJobs: Int

    public init(maxJobs: Int = 1_000_000, confirmJobs: Int = 100_000) {
        self.maxJobs = maxJobs
        self.confirmJobs = confirmJobs
    }
}
