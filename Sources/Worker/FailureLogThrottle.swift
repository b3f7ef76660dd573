import Foundation
import Timing

/// When to log a backend's failing calls: the first failure at once, then at most one per
/// interval that grows by ``backoff`` while the failures go on, each with the number held back
/// since the last one logged. A backend that stays quiet for ``backoff``'s maximum starts over.
/// A pure value: the worker keeps one behind a lock (``Shared``) and logs what it answers.
public struct FailureLogThrottle: Sendable, Hashable {
    /// The intervals between logged failures of one backend (no jitter: logs need none).
    public var backoff: Backoff
    private var backends: [String: State] = [:]

    private struct State: Sendable, Hashable {
        /// Logged failures in this streak.
        var logged: Int
        /// When the next failure may be logged.
        var next: Date
        /// When the last failure came, logged or not.
        var last: Date
        /// Failures held back since the last one logged.
        var suppressed: Int
    }

    public init(backoff: Backoff = Backoff(initial: .seconds(30), maximum: .seconds(900))) {
        self.backoff = backoff
    }

    /// Records a failure of `backend` at `now`. Returns how many failures were held back since the
    /// last one logged when this one is to be logged, nil when it is to be held back.
    public mutating func failure(backend: String, now: Date) -> Int? {
        guard var state = backends[backend], now.timeIntervalSince(state.last) < backoff.maximum.inSeconds else {
            let held = backends[backend]?.suppressed ?? 0
            backends[backend] = State(logged: 1, next: now.addingTimeInterval(backoff.seconds(attempt: 1)), last: now, suppressed: 0)
            return held
        }
        state.last = now
        guard now >= state.next else {
            state.suppressed += 1
            backends[backend] = state
            return nil
        }
        let held = state.suppressed
        state.logged += 1
        state.suppressed = 0
        state.next = now.addingTimeInterval(backoff.seconds(attempt: state.logged))
        backends[backend] = state
        return held
    }
}
