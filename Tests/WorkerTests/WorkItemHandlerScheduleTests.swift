import Backends
import FleetModel
import Foundation
import Messaging
import Testing
import Worker

/// Polls around the learned end of a task's jobs: the schedule the handler follows, and the
/// scheduled poll that comes back early and waits again without asking the platform.
@Suite struct WorkItemHandlerScheduleTests {
    static let now = WorkItemHandlerTests.now
    static let running = BackendJobStatus(status: .running, rawStatus: "running")

    /// Jobs of the task have been taking 600 s; polls from 10 s, tiers 5, 15, 60, 300.
    static var learned: WorkerPolicy {
        var policy = WorkItemHandlerTests.policy
        policy.expectedEnd = 600...600
        return policy
    }

    static func run(_ item: WorkItem, policy: WorkerPolicy = learned, answers: [BackendAnswer], at now: Date) -> ([BackendCall], WorkerDecision?) {
        WorkItemHandlerTests.run(item, policy: policy, answers: answers, now: now)
    }

    @Test func aSubmitWithALearnedEndSchedulesAnEarlyLookThenTheLookBeforeTheEnd() throws {
        let (_, submitted) = Self.run(WorkItemHandlerTests.item(), answers: [.submitted(jobID: "j-1")], at: Self.now)
        let poll = try #require(submitted?.items.first)
        #expect(poll.item.scheduled == true)
        #expect(poll.item.notBefore == Self.now.addingTimeInterval(10))
        #expect(poll.tier == 5)

        // The early look finds it running: next at 600 − 5 % = 570 s after the submit.
        let (calls, looked) = Self.run(poll.item, answers: [.status(Self.running)], at: Self.now.addingTimeInterval(10))
        #expect(calls == [.status(jobID: "j-1")])
        let next = try #require(looked?.items.first)
        #expect(next.item.scheduled == true)
        #expect(next.item.notBefore == Self.now.addingTimeInterval(570))
        #expect(next.item.seenRunningAt == Self.now.addingTimeInterval(10))
        #expect(next.tier == 300)
    }

    @Test func aScheduledPollThatComesEarlyWaitsAgainWithoutABackendCall() throws {
        var item = WorkItemHandlerTests.item(.poll, jobID: "j-1", pollCount: 1, lastRaw: "running", submittedAt: Self.now)
        item.scheduled = true
        item.notBefore = Self.now.addingTimeInterval(570)
        // Back from the 300 s tier: 270 s early, so the 60 s tier next.
        let (calls, decision) = Self.run(item, answers: [], at: Self.now.addingTimeInterval(300))
        #expect(calls.isEmpty)
        let d = try #require(decision)
        #expect(d.outcome == .waiting)
        #expect(d.events.isEmpty)
        #expect(d.items.map(\.tier) == [60])
        #expect(d.items.first?.item.notBefore == item.notBefore)
        #expect(d.items.first?.item.pollCount == 1)
        // Within half the shortest tier of its time: it polls.
        let (due, _) = Self.run(item, answers: [.status(Self.running)], at: Self.now.addingTimeInterval(568))
        #expect(due == [.status(jobID: "j-1")])
    }

    @Test func anUnscheduledPollIsPolledOnArrivalAsBefore() {
        var item = WorkItemHandlerTests.item(.poll, jobID: "j-1", submittedAt: Self.now)
        item.notBefore = Self.now.addingTimeInterval(570)
        let (calls, _) = Self.run(item, answers: [.status(Self.running)], at: Self.now.addingTimeInterval(300))
        #expect(calls == [.status(jobID: "j-1")])
    }

    @Test func aWakeIsNeverSentBackToWait() {
        var item = WorkItemHandlerTests.item(.poll, jobID: "j-1", submittedAt: Self.now)
        item.scheduled = true
        item.wake = true
        item.notBefore = Self.now.addingTimeInterval(570)
        let (calls, _) = Self.run(item, answers: [.status(Self.running)], at: Self.now.addingTimeInterval(10))
        #expect(calls == [.status(jobID: "j-1")])
    }

    @Test func withoutALearnedEndOrASubmitTimePollsDoubleAsBefore() throws {
        let (_, submitted) = Self.run(WorkItemHandlerTests.item(), policy: WorkItemHandlerTests.policy, answers: [.submitted(jobID: "j-1")], at: Self.now)
        #expect(submitted?.items.first?.item.scheduled == nil)
        // A poll republished without its submit time starts over on the doubling schedule.
        let item = WorkItemHandlerTests.item(.poll, jobID: "j-1", pollCount: 2, lastRaw: "running")
        let (_, looked) = Self.run(item, answers: [.status(Self.running)], at: Self.now)
        let next = try #require(looked?.items.first)
        #expect(next.item.scheduled == nil)
        #expect(next.item.notBefore == Self.now.addingTimeInterval(40))
    }

    @Test func theScheduleFlagTravelsOnTheWire() throws {
        var item = WorkItemHandlerTests.item(.poll, jobID: "j-1", submittedAt: Self.now)
        item.scheduled = true
        #expect(try WorkItem.decode(item.encoded()).scheduled == true)
        #expect(try WorkItem.decode(WorkItemHandlerTests.item(.poll, jobID: "j-1").encoded()).scheduled == nil)
    }
}
