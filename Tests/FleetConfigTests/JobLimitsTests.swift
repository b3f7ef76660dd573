@testable import FleetConfig
import Testing

/// The `limits:` section: job counts before `--yes` and at most.
@Suite struct JobLimitsTests {
    @Test func limitsAreReadWithDefaults() throws {
        let defaults = try ConfigReaderTests.parse("backends: []")
        let machine = JobLimits.defaultMaxJobs(memoryBytes: JobLimits.machineMemoryBytes)
        #expect(defaults.limits == JobLimits(maxJobs: machine, confirmJobs: min(100_000, machine)))
        let set = try ConfigReaderTests.parse("limits: {max_jobs: 5000, confirm_jobs: 500}")
        #expect(set.limits == JobLimits(maxJobs: 5000, confirmJobs: 500))
        let lowMax = try ConfigReaderTests.parse("limits: {max_jobs: 5000}")
        #expect(lowMax.limits == JobLimits(maxJobs: 5000, confirmJobs: 5000))
    }

    @Test func theDefaultMaximumIsAQuarterOfTheMemoryAt2kBAJob() {
        let gib: UInt64 = 1 << 30
        // 24 GiB / 4 / 2048 B = 3,145,728 jobs, rounded down to whole hundred thousands.
        #expect(JobLimits.defaultMaxJobs(memoryBytes: 24 * gib) == 3_100_000)
        #expect(JobLimits.defaultMaxJobs(memoryBytes: 8 * gib) == 1_000_000)
        // A small machine still gets the smallest default; a huge one is not capped below its memory.
        #expect(JobLimits.defaultMaxJobs(memoryBytes: 256 << 20) == JobLimits.smallestDefault)
        #expect(JobLimits.defaultMaxJobs(memoryBytes: 1024 * gib) == 134_200_000)
        #expect(JobLimits.defaultMaxJobs(memoryBytes: .max) > 0)
    }

    @Test func badLimitsAreRefusedWithTheirKey() {
        let problems = ConfigReaderTests.problems("limits: {max_jobs: 0, confirm_jobs: 10, max_job: 3}")
        #expect(problems.map(\.path).sorted() == ["limits.max_job", "limits.max_jobs"])
        let above = ConfigReaderTests.problems("limits: {max_jobs: 10, confirm_jobs: 20}")
        #expect(above.map(\.message) == ["20 is above limits.max_jobs (10)"])
    }
}
