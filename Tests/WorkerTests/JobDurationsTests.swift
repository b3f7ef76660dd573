import Testing
import Worker

/// The learned durations of a task's jobs: what polls are scheduled around.
@Suite struct JobDurationsTests {
    @Test func noEndIsExpectedBeforeEnoughJobsFinished() {
        var durations = JobDurations(minimumSamples: 3)
        durations.record(ended: 100)
        durations.record(ended: 110)
        #expect(durations.expectedEnd == nil)
        durations.record(ended: 105)
        #expect(durations.expectedEnd == 100...110)
    }

    @Test func theExpectedEndSpansTheLowToTheHighQuantile() {
        var durations = JobDurations(window: 100, minimumSamples: 1, lowQuantile: 0.1, highQuantile: 0.9)
        for seconds in 1...11 { durations.record(ended: Double(seconds * 10)) }
        // Nearest rank over 11 sorted values: index 1 and index 9.
        #expect(durations.expectedEnd == 20...100)
    }

    @Test func onlyTheLastWindowOfDurationsCounts() {
        var durations = JobDurations(window: 3, minimumSamples: 3, lowQuantile: 0, highQuantile: 1)
        for seconds in [500.0, 600, 100, 110, 120] { durations.record(ended: seconds) }
        #expect(durations.samples.map(\.ended) == [100, 110, 120])
        #expect(durations.expectedEnd == 100...120)
    }

    @Test func theLastLookThatSawAJobRunningBoundsItsEndFromBelow() {
        var durations = JobDurations(window: 10, minimumSamples: 2, lowQuantile: 0.1, highQuantile: 0.9)
        #expect(durations.stillRunning == nil)
        durations.record(ended: 32, running: 16)
        durations.record(ended: 32, running: 16)
        #expect(durations.expectedEnd == 32...32)
        #expect(durations.stillRunning == 16)
        // A later job seen running at 28 s and ended by 30 s narrows both bounds.
        durations.record(ended: 30, running: 28)
        #expect(durations.expectedEnd == 30...32)
        #expect(durations.stillRunning == 28)
        // Never above the low end of the expected end, and an impossible bound counts as none.
        durations.record(ended: 20, running: 25)
        #expect(durations.samples.last == JobDurations.Sample(running: 0, ended: 20))
        #expect(durations.stillRunning! <= durations.expectedEnd!.lowerBound)
    }

    @Test func durationsThatAreNotPositiveNumbersAreIgnored() {
        var durations = JobDurations(minimumSamples: 1)
        for seconds in [-5.0, 0, .nan, .infinity] { durations.record(ended: seconds) }
        #expect(durations.samples.isEmpty)
    }

    @Test func theSharedStoreKeepsEachTaskAndBackendApart() {
        let shared = JobDurations.Shared(make: { JobDurations(minimumSamples: 1, lowQuantile: 0, highQuantile: 1) })
        shared.record(ended: 60, running: nil, task: "t1", backend: "a")
        shared.record(ended: 600, running: nil, task: "t1", backend: "b")
        shared.record(ended: 30, running: nil, task: "t2", backend: "a")
        #expect(shared.durations(task: "t1", backend: "a")?.expectedEnd == 60...60)
        #expect(shared.durations(task: "t1", backend: "b")?.expectedEnd == 600...600)
        #expect(shared.durations(task: "t2", backend: "a")?.expectedEnd == 30...30)
        #expect(shared.durations(task: "t2", backend: "b") == nil)
    }

    @Test func theSharedStoreForgetsTheLeastRecentlyRecordedPairBeyondItsCapacity() {
        let shared = JobDurations.Shared(capacity: 2, make: { JobDurations(minimumSamples: 1) })
        shared.record(ended: 10, running: nil, task: "old", backend: "a")
        shared.record(ended: 20, running: nil, task: "mid", backend: "a")
        shared.record(ended: 11, running: nil, task: "old", backend: "a")
        shared.record(ended: 30, running: nil, task: "new", backend: "a")
        #expect(shared.durations(task: "mid", backend: "a") == nil)
        #expect(shared.durations(task: "old", backend: "a")?.samples.map(\.ended) == [10, 11])
        #expect(shared.durations(task: "new", backend: "a") != nil)
    }
}
