@testable import FleetConfig
import Testing

/// The `limits:` section: job counts before `--yes` and at most.
@Suite struct JobLimitsTests {
    @Test func limitsAreReadWithDefaults() throws {
        let defaults = try ConfigReaderTests.parse("backends: []")
        #expect(defaults.limits == JobLimits(maxJobs: 1_000_000, confirmJobs: 100_000))
        let set = try ConfigReaderTests.parse("limits: {max_jobs: 5000, confirm_jobs: 500}")
        #expect(set.limits == JobLimits(maxJobs: 5000, confirmJobs: 500))
        let lowMax = try ConfigReaderTests.parse("limits: {max_jobs: 5000}")
        #expect(lowMax.limits == JobLimits(maxJobs: 5000, confirmJobs: 5000))
    }

    @Test func badLimitsAreRefusedWithTheirKey() {
        let problems = ConfigReaderTests.problems("limits: {max_jobs: 0, confirm_jobs: 10, max_job: 3}")
        #expect(problems.map(\.path).sorted() == ["limits.max_job", "limits.max_jobs"])
        let above = ConfigReaderTests.problems("limits: {max_jobs: 10, confirm_jobs: 20}")
        #expect(above.map(\.message) == ["20 is above limits.max_jobs (10)"])
    }
}
