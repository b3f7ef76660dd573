import Testing
@testable import AMQP

@Suite("ConfirmTracker and PublishWindow")
struct ConfirmTrackerTests {
    @Test func numbersPublishesFromOne() {
        var tracker = ConfirmTracker<Int>()
        #expect(tracker.recordPublish(waiter: 10) == 1)
        #expect(tracker.recordPublish(waiter: nil) == 2)
        #expect(tracker.outstanding == 2)
    }

    @Test func multipleAckSettlesEverythingUpToTheTag() {
        var tracker = ConfirmTracker<Int>()
        for i in 1...5 { _ = tracker.recordPublish(waiter: i) }
        var settled: [(UInt64, Int?)] = []
        let count = tracker.settle(tag: 3, multiple: true, ack: true) { seq, waiter, outcome in
            #expect(outcome == .acked)
            settled.append((seq, waiter))
        }
        #expect(count == 3)
        #expect(settled.map(\.0) == [1, 2, 3])
        #expect(settled.map(\.1) == [1, 2, 3])
        #expect(tracker.isSettled(through: 3))
        #expect(!tracker.isSettled(through: 4))
        #expect(tracker.outstanding == 2)
    }

    @Test func singleAcksOutOfOrderAdvanceTheLowMark() {
        var tracker = ConfirmTracker<Int>()
        for i in 1...3 { _ = tracker.recordPublish(waiter: i) }
        tracker.settle(tag: 2, multiple: false, ack: true) { _, _, _ in }
        #expect(!tracker.isSettled(through: 1))
        tracker.settle(tag: 1, multiple: false, ack: true) { _, _, _ in }
        #expect(tracker.isSettled(through: 2))
        #expect(tracker.lowestOutstanding == 3)
    }

    @Test func nackIsReportedPerPublish() {
        var tracker = ConfirmTracker<Int>()
        for i in 1...4 { _ = tracker.recordPublish(waiter: i) }
        var outcomes: [ConfirmTracker<Int>.Outcome] = []
        tracker.settle(tag: 2, multiple: true, ack: false) { _, _, outcome in outcomes.append(outcome) }
        tracker.settle(tag: 4, multiple: true, ack: true) { _, _, outcome in outcomes.append(outcome) }
        #expect(outcomes == [.nacked, .nacked, .acked, .acked])
        #expect(tracker.outstanding == 0)
    }

    @Test func duplicateAndBogusTagsAreIgnored() {
        var tracker = ConfirmTracker<Int>()
        for i in 1...2 { _ = tracker.recordPublish(waiter: i) }
        #expect(tracker.settle(tag: 1, multiple: false, ack: true) { _, _, _ in } == 1)
        #expect(tracker.settle(tag: 1, multiple: false, ack: true) { _, _, _ in } == 0)
        #expect(tracker.settle(tag: 1, multiple: true, ack: true) { _, _, _ in } == 0)
        #expect(tracker.settle(tag: 1_000_000, multiple: true, ack: true) { _, _, _ in } == 1)
        #expect(tracker.settle(tag: 0, multiple: true, ack: true) { _, _, _ in } == 0)
    }

    @Test func returnedMandatoryPublishIsReportedOnItsAck() {
        var tracker = ConfirmTracker<Int>()
        _ = tracker.recordPublish(waiter: 1, mandatoryMessageID: "a")
        _ = tracker.recordPublish(waiter: 2, mandatoryMessageID: "b")
        let matched = tracker.recordReturn(messageID: "b", replyCode: 312, replyText: "NO_ROUTE")
        let unmatched = tracker.recordReturn(messageID: "zzz", replyCode: 312, replyText: "NO_ROUTE")
        #expect(matched)
        #expect(!unmatched)
        var outcomes: [ConfirmTracker<Int>.Outcome] = []
        tracker.settle(tag: 2, multiple: true, ack: true) { _, _, outcome in outcomes.append(outcome) }
        #expect(outcomes == [.acked, .returned(replyCode: 312, replyText: "NO_ROUTE")])
    }

    @Test func resetReportsEveryOutstandingPublishAndRestartsNumbering() {
        var tracker = ConfirmTracker<Int>()
        for i in 1...5 { _ = tracker.recordPublish(waiter: i) }
        tracker.settle(tag: 2, multiple: true, ack: true) { _, _, _ in }
        var lost: [UInt64] = []
        tracker.reset { seq, _ in lost.append(seq) }
        #expect(lost == [3, 4, 5])
        #expect(tracker.outstanding == 0)
        #expect(tracker.recordPublish(waiter: nil) == 1)
    }

    @Test func windowGrantsSlotsInOrder() {
        var window = PublishWindow<String>(limit: 2)
        let first = window.tryAcquire()
        let second = window.tryAcquire()
        let third = window.tryAcquire()
        #expect(first && second && !third)
        window.enqueue("a")
        window.enqueue("b")
        window.enqueue("c")
        #expect(window.release(1) == ["a"])
        #expect(window.inFlight == 2)
        #expect(window.release(2) == ["b", "c"])
        #expect(window.release(2) == [])
        #expect(window.inFlight == 0)
        let again = window.tryAcquire()
        #expect(again)
        window.enqueue("d")
        #expect(window.removeAllWaiters() == ["d"])
    }
}
