/// The reconnect and replay logic of a ``ConnectionDriver``, as a value without I/O: each mutating
/// method takes one input (connected, lost, an attempt failed, a replay step finished, close asked)
/// and returns the ``Action`` the driver carries out. Kept apart so every transition can be tested
/// without a socket.
///
/// Recovery after a loss: back off and reconnect (``AMQPReconnectPolicy``), then replay in two
/// phases. First channels (open, prefetch, confirms) and the recorded topology; once every reply to
/// those is in, consumers; once those are in, the connection is open again. A step the broker
/// refuses (e.g. a redeclare closed with 406) is logged by the driver, counted in
/// ``Replay/failedSteps`` and counts as done: a refused step never keeps the connection reconnecting.
/// A loss during replay starts over with the next attempt; attempts count from the last time the
/// connection was fully restored, so ``AMQPReconnectPolicy/maxAttempts`` also bounds a replay that
/// keeps killing the connection. A replay the broker stops answering (the connection kept alive by
/// heartbeats) is abandoned after ``AMQPReconnectPolicy/replayTimeout`` like a loss (``replayStall(now:)``).
struct ConnectionStateMachine {
    enum State: Equatable {
        /// Before the first connection is up.
        case connecting
        /// Connected, with channels, topology and consumers in place.
        case open
        /// Lost; `attempt` (1-based) is the next reconnection attempt.
        case reconnecting(attempt: Int, reason: String)
        /// Connected again and restoring what the connection had.
        case replaying(Replay)
        /// The caller asked to close while connected: the loop ends after the current batch of commands.
        case closing
        /// Finished for good.
        case closed
    }

    /// Progress of a replay after a reconnect.
    struct Replay: Equatable {
        enum Phase: Equatable {
            /// Channels (open, prefetch, confirms) and the recorded topology.
            case channels
            /// Consumers, once the channels and topology are in place.
            case consumers
        }

        /// The attempt that connected.
        var attempt: Int
        var phase: Phase = .channels
        /// Whether every step of the phase was sent (so `pending` is complete).
        var sent = false
        /// Steps of the phase sent but not yet answered.
        var pending = 0
        /// Steps the broker refused during this replay.
        var failedSteps = 0
        /// Answers (successes and refusals) received so far; a replay whose count stops moving
        /// for ``AMQPReconnectPolicy/replayTimeout`` has stalled.
        var answers = 0
        /// The answer count at the last ``ConnectionStateMachine/replayStall(now:)`` check, and since when.
        var watched: Watch?

        struct Watch: Equatable {
            var answers: Int
            var since: ContinuousClock.Instant
        }
    }

    /// Why a replay step failed.
    enum StepFailure: Equatable {
        /// The connection went away; the whole replay starts over after the next reconnect.
        case connectionLost
        /// The broker refused the step (e.g. a channel closed with 404 or 406); it counts as done.
        case refused(String)
    }

    enum Action: Equatable {
        case none
        /// The first connection is up: mark the connection open.
        case markOpen
        /// The connection was lost: mark it reconnecting, fail queued commands and everything in
        /// flight (keeping channels, topology and consumers for replay), emit `.disconnected`; then ask
        /// ``nextReconnect()``.
        case failInFlight(reason: String)
        /// Reconnection attempt `attempt` failed: emit `.reconnectFailed`; then ask ``nextReconnect()``.
        case reportFailedAttempt(attempt: Int, reason: String, retryIn: Double)
        /// Wait `delay` seconds unless the caller closes meanwhile, then try to connect.
        case scheduleReconnect(attempt: Int, delay: Double)
        /// The policy's attempts are used up: log it and shut down.
        case giveUp(attempts: Int)
        /// Reopen every channel and redeclare the recorded topology, counting each step with
        /// ``replayStepSent()``, then call ``replaySent()``.
        case startReplay
        /// Restart every consumer, counting each with ``replayStepSent()``, then call ``replaySent()``.
        case restoreConsumers
        /// Replay is done: mark the connection open and emit `.reconnected`.
        case markReconnected(attempt: Int, failedSteps: Int)
        /// End the connection for good, politely (close frames) if `graceful`.
        case shutdown(graceful: Bool)
    }

    private(set) var state: State = .connecting
    /// Which of the configured broker URLs the next connection attempt uses. After a loss the
    /// next attempt goes to the next URL (the node that was lost is likely down), and every failed
    /// attempt moves on again, round the list: a cluster's surviving nodes are found in turn.
    private(set) var endpoint = 0
    private let endpoints: Int
    /// A loss noticed where it could not be thrown (while completing a reply); raised by the loop.
    private(set) var deferredLoss: String?
    private let policy: AMQPReconnectPolicy
    private let random: () -> Double

    /// `random` yields values in 0..<1 for the backoff jitter; tests pass a constant.
    init(policy: AMQPReconnectPolicy, endpoints: Int = 1, random: @escaping () -> Double = { Double.random(in: 0..<1) }) {
        self.policy = policy
        self.endpoints = max(1, endpoints)
        self.random = random
    }

    /// Whether the caller asked to close while connected.
    var isClosing: Bool { state == .closing }

    /// Whether consumers are restarted on a channel the broker closed and that is reopened. Not while
    /// replaying channels and topology: the consumer phase restarts them, and twice is a 530 error.
    var restoresConsumersOnReopen: Bool {
        if case .replaying(let replay) = state, replay.phase == .channels { return false }
        return true
    }

    // MARK: Connection

    /// The first connection is up on `endpoint` (the first URL that answered).
    mutating func firstConnected(endpoint: Int) -> Action {
        self.endpoint = endpoint % endpoints
        return connected()
    }

    /// The socket is open and logged in: the first connection, or a reconnection attempt.
    mutating func connected() -> Action {
        switch state {
        case .connecting:
            state = .open
            return .markOpen
        case .reconnecting(let attempt, _):
            state = .replaying(Replay(attempt: attempt))
            return .startReplay
        case .open, .replaying, .closing, .closed:
            return .none
        }
    }

    /// The connection died (socket error, heartbeat timeout, broker close, failed send).
    mutating func connectionLost(reason: String) -> Action {
        deferredLoss = nil
        switch state {
        case .open:
            state = .reconnecting(attempt: 1, reason: reason)
            moveToNextEndpoint()
            return .failInFlight(reason: reason)
        case .replaying(let replay):
            state = .reconnecting(attempt: replay.attempt + 1, reason: reason)
            moveToNextEndpoint()
            return .failInFlight(reason: reason)
        case .reconnecting(let attempt, _):
            state = .reconnecting(attempt: attempt, reason: reason)
            return .failInFlight(reason: reason)
        case .closing:
            state = .closed
            return .failInFlight(reason: reason)
        case .connecting, .closed:
            state = .closed
            return .shutdown(graceful: false)
        }
    }

    private mutating func moveToNextEndpoint() {
        endpoint = (endpoint + 1) % endpoints
    }

    /// Notes a loss seen while completing a reply, where the driver cannot act on it at once.
    mutating func lossNoticed(reason: String) {
        if deferredLoss == nil { deferredLoss = reason }
    }

    /// The loss to raise at the top of the loop, if any; taking it clears it.
    mutating func takeDeferredLoss() -> String? {
        defer { deferredLoss = nil }
        return deferredLoss
    }

    /// What follows a loss or a failed attempt: wait and try again, give up, or shut down if the
    /// caller closed meanwhile.
    mutating func nextReconnect() -> Action {
        switch state {
        case .reconnecting(let attempt, _):
            if let maxAttempts = policy.maxAttempts, attempt > maxAttempts {
                state = .closed
                return .giveUp(attempts: attempt - 1)
            }
            return .scheduleReconnect(attempt: attempt, delay: policy.delay(beforeAttempt: attempt, random: random()))
        case .closed:
            return .shutdown(graceful: false)
        case .connecting, .open, .replaying, .closing:
            return .none
        }
    }

    /// A reconnection attempt could not connect or log in.
    mutating func reconnectAttemptFailed(reason: String) -> Action {
        guard case .reconnecting(let attempt, _) = state else { return .none }
        state = .reconnecting(attempt: attempt + 1, reason: reason)
        moveToNextEndpoint()
        let retryIn = policy.delay(beforeAttempt: attempt + 1, random: 0)
        return .reportFailedAttempt(attempt: attempt, reason: reason, retryIn: retryIn)
    }

    /// The caller asked to close the connection.
    mutating func closeRequested() -> Action {
        switch state {
        case .connecting, .open, .replaying:
            state = .closing
            return .shutdown(graceful: true)
        case .reconnecting:
            state = .closed
            return .shutdown(graceful: false)
        case .closing, .closed:
            return .none
        }
    }

    // MARK: Replay

    /// A replay step (one that waits for a reply) was sent.
    mutating func replayStepSent() {
        guard case .replaying(var replay) = state else { return }
        replay.pending += 1
        state = .replaying(replay)
    }

    /// Every step of the current phase was sent.
    mutating func replaySent() -> Action {
        guard case .replaying(var replay) = state else { return .none }
        replay.sent = true
        return advance(replay)
    }

    /// The broker answered a replay step.
    mutating func replayStepSucceeded() -> Action {
        guard case .replaying(var replay) = state, replay.pending > 0 else { return .none }
        replay.pending -= 1
        replay.answers += 1
        return advance(replay)
    }

    /// Checked by the loop (at least once a second) while connected: the reason to treat the
    /// connection as lost if the replay has had no answer for ``AMQPReconnectPolicy/replayTimeout``
    /// seconds, else nil. A broker that keeps the connection alive but never answers a step would
    /// otherwise leave the connection reconnecting for good.
    mutating func replayStall(now: ContinuousClock.Instant) -> String? {
        guard case .replaying(var replay) = state else { return nil }
        if let watched = replay.watched, watched.answers == replay.answers {
            guard now - watched.since >= .seconds(policy.replayTimeout) else { return nil }
            return "replay stalled: no answer from the broker for \(policy.replayTimeout) s (\(replay.pending) steps pending)"
        }
        replay.watched = Replay.Watch(answers: replay.answers, since: now)
        state = .replaying(replay)
        return nil
    }

    /// A replay step failed. A refused step counts as done; a lost connection is handled by
    /// ``connectionLost(reason:)`` instead.
    mutating func replayStepFailed(_ failure: StepFailure) -> Action {
        guard case .replaying(var replay) = state, replay.pending > 0 else { return .none }
        switch failure {
        case .connectionLost:
            return .none
        case .refused:
            replay.pending -= 1
            replay.failedSteps += 1
            replay.answers += 1
            return advance(replay)
        }
    }

    /// Moves to the next phase, or to open, once the current phase is sent and answered.
    private mutating func advance(_ replay: Replay) -> Action {
        var replay = replay
        guard replay.sent, replay.pending == 0 else {
            state = .replaying(replay)
            return .none
        }
        switch replay.phase {
        case .channels:
            replay.phase = .consumers
            replay.sent = false
            state = .replaying(replay)
            return .restoreConsumers
        case .consumers:
            state = .open
            return .markReconnected(attempt: replay.attempt, failedSteps: replay.failedSteps)
        }
    }
}
