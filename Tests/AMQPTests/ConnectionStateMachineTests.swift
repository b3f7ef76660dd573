import Testing
@testable import AMQP

/// Every transition of the reconnect and replay state machine, without a socket. Backoff is
/// deterministic: initial delay 1 s, doubling, capped at 10 s, jitter 0.5 with the random source at 0.5.
@Suite struct ConnectionStateMachineTests {
    typealias Machine = ConnectionStateMachine

    static func machine(maxAttempts: Int? = nil) -> Machine {
        Machine(
            policy: AMQPReconnectPolicy(initialDelay: 1, maxDelay: 10, multiplier: 2, jitter: 0.5, maxAttempts: maxAttempts),
            random: { 0.5 }
        )
    }

    /// A monotonic instant `seconds` after a fixed origin.
    static func t(_ seconds: Double) -> ContinuousClock.Instant { origin + .seconds(seconds) }
    static let origin = ContinuousClock.now

    /// An open connection.
    static func open(maxAttempts: Int? = nil) -> Machine {
        var machine = machine(maxAttempts: maxAttempts)
        #expect(machine.connected() == .markOpen)
        return machine
    }

    /// Lost, reconnected at attempt 1, and `steps` channel and topology steps sent.
    static func replaying(steps: Int, maxAttempts: Int? = nil) -> Machine {
        var machine = open(maxAttempts: maxAttempts)
        #expect(machine.connectionLost(reason: "gone") == .failInFlight(reason: "gone"))
        #expect(machine.nextReconnect() == .scheduleReconnect(attempt: 1, delay: 1.25))
        #expect(machine.connected() == .startReplay)
        for _ in 0..<steps { machine.replayStepSent() }
        #expect(machine.replaySent() == (steps == 0 ? .restoreConsumers : .none))
        return machine
    }

    // MARK: Connecting and losing

    @Test func firstConnectionMarksOpen() {
        var machine = Self.machine()
        #expect(machine.state == .connecting)
        #expect(machine.connected() == .markOpen)
        #expect(machine.state == .open)
        #expect(machine.connected() == .none)
    }

    @Test func lossFailsInFlightThenSchedulesTheFirstAttempt() {
        var machine = Self.open()
        #expect(machine.connectionLost(reason: "heartbeat") == .failInFlight(reason: "heartbeat"))
        #expect(machine.state == .reconnecting(attempt: 1, reason: "heartbeat"))
        #expect(machine.nextReconnect() == .scheduleReconnect(attempt: 1, delay: 1.25))
    }

    @Test func failedAttemptsAreReportedAndBackOff() {
        var machine = Self.open()
        _ = machine.connectionLost(reason: "gone")
        #expect(machine.nextReconnect() == .scheduleReconnect(attempt: 1, delay: 1.25))
        #expect(machine.reconnectAttemptFailed(reason: "refused") == .reportFailedAttempt(attempt: 1, reason: "refused", retryIn: 2))
        #expect(machine.nextReconnect() == .scheduleReconnect(attempt: 2, delay: 2.5))
        #expect(machine.reconnectAttemptFailed(reason: "refused") == .reportFailedAttempt(attempt: 2, reason: "refused", retryIn: 4))
        #expect(machine.nextReconnect() == .scheduleReconnect(attempt: 3, delay: 5))
        #expect(machine.reconnectAttemptFailed(reason: "refused") == .reportFailedAttempt(attempt: 3, reason: "refused", retryIn: 8))
        #expect(machine.nextReconnect() == .scheduleReconnect(attempt: 4, delay: 10))
        #expect(machine.reconnectAttemptFailed(reason: "refused") == .reportFailedAttempt(attempt: 4, reason: "refused", retryIn: 10))
        #expect(machine.nextReconnect() == .scheduleReconnect(attempt: 5, delay: 10))
        #expect(machine.state == .reconnecting(attempt: 5, reason: "refused"))
    }

    @Test func jitterComesFromTheInjectedRandomSource() {
        var machine = Machine(policy: AMQPReconnectPolicy(initialDelay: 1, maxDelay: 10, multiplier: 2, jitter: 0.2), random: { 0 })
        _ = machine.connected()
        _ = machine.connectionLost(reason: "gone")
        #expect(machine.nextReconnect() == .scheduleReconnect(attempt: 1, delay: 1))
    }

    @Test func maxAttemptsReachedGivesUp() {
        var machine = Self.open(maxAttempts: 2)
        _ = machine.connectionLost(reason: "gone")
        #expect(machine.nextReconnect() == .scheduleReconnect(attempt: 1, delay: 1.25))
        #expect(machine.reconnectAttemptFailed(reason: "refused") == .reportFailedAttempt(attempt: 1, reason: "refused", retryIn: 2))
        #expect(machine.nextReconnect() == .scheduleReconnect(attempt: 2, delay: 2.5))
        #expect(machine.reconnectAttemptFailed(reason: "refused") == .reportFailedAttempt(attempt: 2, reason: "refused", retryIn: 4))
        #expect(machine.nextReconnect() == .giveUp(attempts: 2))
        #expect(machine.state == .closed)
        #expect(machine.nextReconnect() == .shutdown(graceful: false))
    }

    @Test func zeroMaxAttemptsGivesUpAtOnce() {
        var machine = Self.open(maxAttempts: 0)
        #expect(machine.connectionLost(reason: "gone") == .failInFlight(reason: "gone"))
        #expect(machine.nextReconnect() == .giveUp(attempts: 0))
        #expect(machine.state == .closed)
    }

    @Test func aReconnectAttemptFailureOutsideReconnectingIsIgnored() {
        var machine = Self.open()
        #expect(machine.reconnectAttemptFailed(reason: "late") == .none)
        #expect(machine.nextReconnect() == .none)
        #expect(machine.state == .open)
    }

    // MARK: Replay

    @Test func fullReplayRestoresChannelsThenConsumersThenMarksReconnected() {
        var machine = Self.replaying(steps: 3)
        #expect(machine.replayStepSucceeded() == .none)
        #expect(machine.replayStepSucceeded() == .none)
        #expect(machine.restoresConsumersOnReopen == false)
        #expect(machine.replayStepSucceeded() == .restoreConsumers)
        #expect(machine.restoresConsumersOnReopen)
        machine.replayStepSent()
        machine.replayStepSent()
        #expect(machine.replaySent() == .none)
        #expect(machine.replayStepSucceeded() == .none)
        #expect(machine.replayStepSucceeded() == .markReconnected(attempt: 1, failedSteps: 0))
        #expect(machine.state == .open)
    }

    @Test func nothingToReplayReconnectsAtOnce() {
        var machine = Self.replaying(steps: 0)
        #expect(machine.replaySent() == .markReconnected(attempt: 1, failedSteps: 0))
        #expect(machine.state == .open)
    }

    @Test func repliesBeforeEverythingIsSentDoNotAdvance() {
        var machine = Self.open()
        _ = machine.connectionLost(reason: "gone")
        _ = machine.connected()
        machine.replayStepSent()
        #expect(machine.replayStepSucceeded() == .none)
        machine.replayStepSent()
        #expect(machine.replaySent() == .none)
        #expect(machine.replayStepSucceeded() == .restoreConsumers)
    }

    /// The stall of the old driver: the last pending step refused (a channel closed with 406) left
    /// the count at zero without moving on, and the connection reconnecting for good.
    @Test func aRefusedLastChannelStepStillMovesOnToConsumers() {
        var machine = Self.replaying(steps: 2)
        #expect(machine.replayStepSucceeded() == .none)
        #expect(machine.replayStepFailed(.refused("channel closed by the broker: 406 PRECONDITION_FAILED")) == .restoreConsumers)
        #expect(machine.replaySent() == .markReconnected(attempt: 1, failedSteps: 1))
        #expect(machine.state == .open)
    }

    @Test func everyStepRefusedStillReconnects() {
        var machine = Self.replaying(steps: 3)
        #expect(machine.replayStepFailed(.refused("406")) == .none)
        #expect(machine.replayStepFailed(.refused("406")) == .none)
        #expect(machine.replayStepFailed(.refused("406")) == .restoreConsumers)
        machine.replayStepSent()
        #expect(machine.replaySent() == .none)
        #expect(machine.replayStepFailed(.refused("404")) == .markReconnected(attempt: 1, failedSteps: 4))
    }

    /// A consumer the broker refuses to restart (its queue was deleted or it was cancelled meanwhile)
    /// counts as done; the other consumer still completes the replay.
    @Test func aConsumerRefusedDuringReplayCountsAsDone() {
        var machine = Self.replaying(steps: 1)
        #expect(machine.replayStepSucceeded() == .restoreConsumers)
        machine.replayStepSent()
        machine.replayStepSent()
        #expect(machine.replaySent() == .none)
        #expect(machine.replayStepFailed(.refused("channel closed by the broker: 404 NOT_FOUND")) == .none)
        #expect(machine.replayStepSucceeded() == .markReconnected(attempt: 1, failedSteps: 1))
    }

    @Test func aStepLostWithTheConnectionDoesNotCount() {
        var machine = Self.replaying(steps: 1)
        #expect(machine.replayStepFailed(.connectionLost) == .none)
        guard case .replaying(let replay) = machine.state else {
            Issue.record("not replaying: \(machine.state)")
            return
        }
        #expect(replay.pending == 1)
        #expect(replay.failedSteps == 0)
    }

    @Test func moreRepliesThanStepsAreIgnored() {
        var machine = Self.replaying(steps: 1)
        #expect(machine.replayStepSucceeded() == .restoreConsumers)
        #expect(machine.replayStepSucceeded() == .none)
        #expect(machine.replayStepFailed(.refused("late")) == .none)
        #expect(machine.replaySent() == .markReconnected(attempt: 1, failedSteps: 0))
    }

    @Test func replayResultsOutsideReplayAreIgnored() {
        var machine = Self.open()
        #expect(machine.replayStepSucceeded() == .none)
        #expect(machine.replayStepFailed(.refused("406")) == .none)
        #expect(machine.replaySent() == .none)
        machine.replayStepSent()
        #expect(machine.state == .open)
    }

    // MARK: Losing the connection during replay

    @Test func lossDuringReplayStartsOverWithTheNextAttempt() {
        var machine = Self.replaying(steps: 2)
        #expect(machine.replayStepSucceeded() == .none)
        #expect(machine.connectionLost(reason: "reset") == .failInFlight(reason: "reset"))
        #expect(machine.state == .reconnecting(attempt: 2, reason: "reset"))
        // The in-flight steps fail as the connection goes; they belong to the abandoned replay.
        #expect(machine.replayStepFailed(.connectionLost) == .none)
        #expect(machine.replayStepSucceeded() == .none)
        #expect(machine.nextReconnect() == .scheduleReconnect(attempt: 2, delay: 2.5))
        #expect(machine.connected() == .startReplay)
        machine.replayStepSent()
        #expect(machine.replaySent() == .none)
        #expect(machine.replayStepSucceeded() == .restoreConsumers)
        #expect(machine.replaySent() == .markReconnected(attempt: 2, failedSteps: 0))
    }

    @Test func lossDuringReplayCountsTowardsMaxAttempts() {
        var machine = Self.replaying(steps: 1, maxAttempts: 1)
        #expect(machine.connectionLost(reason: "reset") == .failInFlight(reason: "reset"))
        #expect(machine.nextReconnect() == .giveUp(attempts: 1))
        #expect(machine.state == .closed)
    }

    @Test func aCompletedReplayResetsTheAttempts() {
        var machine = Self.replaying(steps: 0)
        #expect(machine.replaySent() == .markReconnected(attempt: 1, failedSteps: 0))
        _ = machine.connectionLost(reason: "again")
        #expect(machine.state == .reconnecting(attempt: 1, reason: "again"))
    }

    @Test func lossDuringTheConsumerPhase() {
        var machine = Self.replaying(steps: 1)
        #expect(machine.replayStepSucceeded() == .restoreConsumers)
        machine.replayStepSent()
        #expect(machine.replaySent() == .none)
        #expect(machine.connectionLost(reason: "reset") == .failInFlight(reason: "reset"))
        #expect(machine.replayStepFailed(.connectionLost) == .none)
        #expect(machine.nextReconnect() == .scheduleReconnect(attempt: 2, delay: 2.5))
    }

    @Test func aLossNoticedWhileCompletingAReplyIsRaisedLater() {
        var machine = Self.replaying(steps: 1)
        machine.lossNoticed(reason: "send failed")
        machine.lossNoticed(reason: "second")
        #expect(machine.takeDeferredLoss() == "send failed")
        #expect(machine.takeDeferredLoss() == nil)
        machine.lossNoticed(reason: "send failed")
        _ = machine.connectionLost(reason: "send failed")
        #expect(machine.deferredLoss == nil)
    }

    // MARK: A replay the broker stops answering

    /// The CI hang's shape: reconnected, steps sent, and no answer ever comes while heartbeats keep
    /// the connection up. The replay is abandoned after the policy's replay timeout (30 s by
    /// default) and handled as a loss, so the next attempt starts over instead of waiting for good.
    @Test func aReplayWithoutAnswersIsAbandonedAfterTheReplayTimeout() {
        var machine = Self.replaying(steps: 3)
        #expect(machine.replayStall(now: Self.t(100)) == nil)
        #expect(machine.replayStall(now: Self.t(129.9)) == nil)
        let reason = machine.replayStall(now: Self.t(130))
        #expect(reason == "replay stalled: no answer from the broker for 30.0 s (3 steps pending)")
        #expect(machine.connectionLost(reason: reason ?? "") == .failInFlight(reason: reason ?? ""))
        #expect(machine.state == .reconnecting(attempt: 2, reason: reason ?? ""))
        #expect(machine.nextReconnect() == .scheduleReconnect(attempt: 2, delay: 2.5))
    }

    @Test func everyAnswerRestartsTheReplayTimeout() {
        var machine = Self.replaying(steps: 3)
        #expect(machine.replayStall(now: Self.t(100)) == nil)
        #expect(machine.replayStepSucceeded() == .none)
        #expect(machine.replayStall(now: Self.t(125)) == nil)
        #expect(machine.replayStall(now: Self.t(154)) == nil)
        #expect(machine.replayStepFailed(.refused("channel closed by the broker: 404 NOT_FOUND")) == .none)
        #expect(machine.replayStall(now: Self.t(160)) == nil)
        #expect(machine.replayStall(now: Self.t(189)) == nil)
        #expect(machine.replayStall(now: Self.t(190)) != nil)
    }

    /// The timeout also covers the consumer phase, and the count carries over from the channel phase.
    @Test func aStalledConsumerPhaseIsAbandonedToo() {
        var machine = Self.replaying(steps: 1)
        #expect(machine.replayStall(now: Self.t(10)) == nil)
        #expect(machine.replayStepSucceeded() == .restoreConsumers)
        machine.replayStepSent()
        #expect(machine.replaySent() == .none)
        #expect(machine.replayStall(now: Self.t(11)) == nil)
        #expect(machine.replayStall(now: Self.t(40)) == nil)
        #expect(machine.replayStall(now: Self.t(41)) == "replay stalled: no answer from the broker for 30.0 s (1 steps pending)")
    }

    @Test func theTimeoutComesFromThePolicyAndOnlyAppliesWhileReplaying() {
        var machine = Machine(policy: AMQPReconnectPolicy(initialDelay: 1, maxDelay: 10, replayTimeout: 5), random: { 0.5 })
        #expect(machine.replayStall(now: Self.t(0)) == nil)
        _ = machine.connected()
        #expect(machine.replayStall(now: Self.t(1000)) == nil)
        _ = machine.connectionLost(reason: "gone")
        #expect(machine.replayStall(now: Self.t(2000)) == nil)
        #expect(machine.connected() == .startReplay)
        machine.replayStepSent()
        #expect(machine.replaySent() == .none)
        #expect(machine.replayStall(now: Self.t(3000)) == nil)
        #expect(machine.replayStall(now: Self.t(3005)) != nil)
        #expect(machine.replayStepSucceeded() == .restoreConsumers)
        #expect(machine.replaySent() == .markReconnected(attempt: 1, failedSteps: 0))
        #expect(machine.replayStall(now: Self.t(9000)) == nil)
    }

    // MARK: Closing

    @Test func closeWhileOpenShutsDownGracefully() {
        var machine = Self.open()
        #expect(machine.closeRequested() == .shutdown(graceful: true))
        #expect(machine.isClosing)
        #expect(machine.closeRequested() == .none)
    }

    @Test func closeDuringReconnectShutsDownAtOnce() {
        var machine = Self.open()
        _ = machine.connectionLost(reason: "gone")
        #expect(machine.nextReconnect() == .scheduleReconnect(attempt: 1, delay: 1.25))
        #expect(machine.closeRequested() == .shutdown(graceful: false))
        #expect(machine.state == .closed)
        #expect(machine.nextReconnect() == .shutdown(graceful: false))
        #expect(machine.connected() == .none)
        #expect(machine.closeRequested() == .none)
    }

    /// A close queued behind the loss is seen while failing queued commands, before any attempt.
    @Test func closeBeforeTheFirstAttemptSkipsIt() {
        var machine = Self.open()
        #expect(machine.connectionLost(reason: "gone") == .failInFlight(reason: "gone"))
        #expect(machine.closeRequested() == .shutdown(graceful: false))
        #expect(machine.nextReconnect() == .shutdown(graceful: false))
    }

    @Test func closeDuringReplayShutsDownGracefullyAndIgnoresLateReplies() {
        var machine = Self.replaying(steps: 2)
        #expect(machine.closeRequested() == .shutdown(graceful: true))
        #expect(machine.isClosing)
        #expect(machine.replayStepSucceeded() == .none)
        #expect(machine.replayStepFailed(.refused("connection closed")) == .none)
        #expect(machine.state == .closing)
    }

    @Test func lossWhileClosingFailsInFlightAndShutsDown() {
        var machine = Self.open()
        _ = machine.closeRequested()
        #expect(machine.connectionLost(reason: "reset") == .failInFlight(reason: "reset"))
        #expect(machine.state == .closed)
        #expect(machine.nextReconnect() == .shutdown(graceful: false))
    }

    @Test func lossAfterTheEndShutsDown() {
        var machine = Self.open(maxAttempts: 0)
        _ = machine.connectionLost(reason: "gone")
        _ = machine.nextReconnect()
        #expect(machine.connectionLost(reason: "again") == .shutdown(graceful: false))
    }

    // MARK: Channels closed by the broker

    @Test func consumersAreRestartedOnAReopenedChannelExceptWhileReplayingChannels() {
        var machine = Self.open()
        #expect(machine.restoresConsumersOnReopen)
        _ = machine.connectionLost(reason: "gone")
        #expect(machine.restoresConsumersOnReopen)
        _ = machine.connected()
        #expect(machine.restoresConsumersOnReopen == false)
        #expect(machine.replaySent() == .restoreConsumers)
        #expect(machine.restoresConsumersOnReopen)
    }
}
