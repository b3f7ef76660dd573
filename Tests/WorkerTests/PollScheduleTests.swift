import Testing
import Worker

/// The poll schedule alone: delays from the time since the submit and the looks made so far.
@Suite struct PollScheduleTests {
    /// Follows `schedule` for a job that ends `duration` seconds after its submit: the looks made
    /// up to and including the one that sees it ended, and how long after its end that look came.
    static func follow(_ schedule: PollSchedule, duration: Double) -> (looks: Int, delay: Double) {
        var elapsed = 0.0
        var looks = 0
        while true {
            elapsed += schedule.delay(elapsed: elapsed, polls: looks).inSeconds
            looks += 1
            if elapsed >= duration { return (looks, elapsed - duration) }
        }
    }

    @Test func withoutALearnedEndPollsDoubleFromTheMinimumToTheMaximum() {
        let schedule = PollSchedule(minimum: .seconds(10), maximum: .seconds(60))
        #expect((0..<5).map { schedule.delay(elapsed: 0, polls: $0) } == [.seconds(10), .seconds(20), .seconds(40), .seconds(60), .seconds(60)])
    }

    @Test func aroundALearnedEndItLooksEarlyOnceThenStepsAcrossTheEndThenDoubles() {
        // Step 5 % of 120 s = 6 s: looks at 1 (early), 114, 120, 126, 132, 138, then 12, 24, 48 s apart, capped at 60.
        let schedule = PollSchedule(minimum: .seconds(1), maximum: .seconds(60), expectedEnd: 120...120)
        #expect(schedule.delay(elapsed: 0, polls: 0) == .seconds(1))
        #expect(schedule.delay(elapsed: 1, polls: 1) == .seconds(113))
        #expect(schedule.delay(elapsed: 114, polls: 2) == .seconds(6))
        #expect(schedule.delay(elapsed: 120, polls: 3) == .seconds(6))
        #expect(schedule.delay(elapsed: 126, polls: 4) == .seconds(6))
        #expect(schedule.delay(elapsed: 132, polls: 5) == .seconds(6))
        #expect(schedule.delay(elapsed: 138, polls: 6) == .seconds(12))
        #expect(schedule.delay(elapsed: 150, polls: 7) == .seconds(24))
        #expect(schedule.delay(elapsed: 174, polls: 8) == .seconds(48))
        #expect(schedule.delay(elapsed: 222, polls: 9) == .seconds(60))
    }

    @Test func aLookLateOnTheStepGridReturnsToTheGrid() {
        let schedule = PollSchedule(minimum: .seconds(1), maximum: .seconds(60), expectedEnd: 100...200)
        // Grid from 95 every 5 s up to 205: a look at 97 s goes next at 100 s.
        #expect(schedule.delay(elapsed: 97, polls: 2) == .seconds(3))
        // A look just before a grid point (within half a minimum) skips to the one after it.
        #expect(schedule.delay(elapsed: 99.8, polls: 3) == .milliseconds(5200))
    }

    @Test func whileTheEndIsKnownOnlyRoughlyItLooksHalfwayAndNarrowsItWithinTheJob() {
        // After the doubling schedule: seen running at 16 s, ended by 32 s. Step 5 % of 32 = 1.6 s.
        let schedule = PollSchedule(minimum: .seconds(1), maximum: .seconds(60), expectedEnd: 32...32, stillRunning: 16)
        #expect(schedule.delay(elapsed: 0, polls: 0) == .seconds(1))
        #expect(schedule.delay(elapsed: 1, polls: 1) == .seconds(23))
        // Running at 24 s: halfway to 32 again.
        #expect(schedule.delay(elapsed: 24, polls: 2) == .seconds(4))
        // Running at 28 s: 4 s from the end, still more than two steps: halfway again, 30 s.
        #expect(schedule.delay(elapsed: 28, polls: 3) == .seconds(2))
        // Running at 30 s: within two steps, so the step grid (30.4, 32, …).
        #expect(schedule.delay(elapsed: 30, polls: 4) == .seconds(2))
        // A job of 30 s: early, 24, 28, 30 — four looks, seen at its end.
        let (looks, delay) = Self.follow(schedule, duration: 30)
        #expect(looks == 4)
        #expect(delay == 0)
        // Once the bounds are close, the first look near the end is the later of the two.
        let narrow = PollSchedule(minimum: .seconds(1), maximum: .seconds(60), expectedEnd: 30...32, stillRunning: 28.5)
        #expect(narrow.delay(elapsed: 1, polls: 1) == .milliseconds(27500))
        #expect(Self.follow(narrow, duration: 30).looks == 3)
    }

    @Test func theEarlyLookIsSkippedWhenTheEndIsNear() {
        let schedule = PollSchedule(minimum: .seconds(10), maximum: .seconds(300), expectedEnd: 30...30)
        // Step max(10, 1.5) = 10: the first look at 20 s is only two minimums away.
        #expect(schedule.delay(elapsed: 0, polls: 0) == .seconds(20))
    }

    @Test func theWaitUpToTheEndIsNotCappedByTheMaximum() {
        let schedule = PollSchedule(minimum: .seconds(10), maximum: .seconds(120), expectedEnd: 3600...3600)
        #expect(schedule.delay(elapsed: 10, polls: 1) == .seconds(3410))
    }

    @Test func jobsEndingWhereTheirPredecessorsDidCostThreeLooksAndAreSeenWithinAStep() {
        for minutes in [2.0, 10, 60] {
            let duration = minutes * 60
            let schedule = PollSchedule(minimum: .seconds(1), maximum: .seconds(300), expectedEnd: duration...duration)
            let (looks, delay) = Self.follow(schedule, duration: duration)
            #expect(looks == 3, "\(minutes) min")
            #expect(delay == 0, "\(minutes) min")
            // Ending a little earlier: seen at the look at the expected end, within a step.
            let earlier = Self.follow(schedule, duration: duration * 0.96)
            #expect(earlier.looks == 3 && earlier.delay <= duration * 0.05, "\(minutes) min")
            // Ending before the first look near the end: seen by it.
            let sooner = Self.follow(schedule, duration: duration * 0.94)
            #expect(sooner.looks == 2 && sooner.delay <= duration * 0.05, "\(minutes) min")
        }
    }

    @Test func aJobFarSlowerThanItsPredecessorsCostsNoMoreLooksThanDoublingBlindly() {
        let schedule = PollSchedule(minimum: .seconds(1), maximum: .seconds(3600), expectedEnd: 600...600)
        let (looks, delay) = Self.follow(schedule, duration: 1800)
        // Early, 570, 600, 630, then doubling beyond 630: 660, 690, 750, 870, 1110, 1590, 2550.
        #expect(looks == 11)
        #expect(delay == 750)
        // Doubling blindly from 1 s: 1, 3, 7, … 2047 s, as many looks for the same job.
        let blind = Self.follow(PollSchedule(minimum: .seconds(1), maximum: .seconds(3600)), duration: 1800)
        #expect(blind.looks == 11)
    }
}
