import FleetModel
import Foundation
import Timing

/// When to try an HTTP exchange with a platform again, and how long to wait: a pure decision, so
/// every rule is testable without a socket.
///
/// Retried: connect errors, timeouts, resets, 502/503/504 and 429 (honouring `Retry-After`), with
/// exponential backoff and jitter. A request that may create something (a submit `POST`) is resent
/// only when it provably never reached the server; otherwise the decision is
/// ``Decision/verifyThenRetry(after:)``: look the job up first.
public struct RequestRetryPolicy: Sendable, Hashable, Codable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    /// The delay before the first retry.
    public var initialDelay: Duration
    /// The longest delay between attempts (a longer `Retry-After` gives up with ``Decision/giveUp(reason:)``
    /// only beyond ``maxRetryAfter``).
    public var maxDelay: Duration
    /// The growth factor of the delay per attempt.
    public var multiplier: Double
    /// The random share of each delay, 0…1 (0.2: ±20 %).
    public var jitter: Double
    /// The longest `Retry-After` honoured in place; a longer one ends the call (the caller re-queues).
    public var maxRetryAfter: Duration

    public init(
        maxAttempts: Int = 5,
        initialDelay: Duration = .milliseconds(500),
        maxDelay: Duration = .seconds(30),
        multiplier: Double = 2,
        jitter: Double = 0.2,
        maxRetryAfter: Duration = .seconds(60)
    ) {
        self.maxAttempts = maxAttempts
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.multiplier = multiplier
        self.jitter = jitter
        self.maxRetryAfter = maxRetryAfter
    }

    /// What to do after a failed attempt.
    public enum Decision: Sendable, Hashable {
        /// Send the same request again after the delay.
        case retry(after: Duration)
        /// The request may have reached the server and is not idempotent: look for what it may have
        /// created; resend after the delay only if nothing is found.
        case verifyThenRetry(after: Duration)
        /// Stop; `reason` carries the platform's or transport's message.
        case giveUp(reason: String)
    }

    /// The outcome of one attempt, as far as retrying is concerned.
    public enum Outcome: Sendable, Hashable {
        /// The server answered with this status (and `Retry-After`, and its message).
        case response(status: Int, retryAfter: Duration?, message: String)
        /// The exchange failed: `timeout`, whether the request provably was not sent, the message.
        case transport(isTimeout: Bool, requestWasNotSent: Bool, message: String)
    }

    /// Statuses retried for idempotent requests.
    public static let retryableStatuses: Set<Int> = [429, 502, 503, 504]

    /// The decision after attempt number `attempt` (1-based) of a request, idempotent (`GET`,
    /// `DELETE`) or not (a creating `POST`). `unit` is a random number in 0..<1 for the jitter.
    public func decide(attempt: Int, idempotent: Bool, outcome: Outcome, unit: Double = Double.random(in: 0..<1)) -> Decision {
        let backoff = self.backoff(attempt: attempt, unit: unit)
        switch outcome {
        case .response(let status, let retryAfter, let message):
            guard Self.retryableStatuses.contains(status) else {
                return .giveUp(reason: "HTTP \(status): \(message)")
            }
            guard attempt < self.maxAttempts else {
                return .giveUp(reason: "HTTP \(status) after \(attempt) attempts: \(message)")
            }
            var delay = backoff
            if let retryAfter {
                guard retryAfter <= self.maxRetryAfter else {
                    return .giveUp(reason: "HTTP \(status), Retry-After \(retryAfter) exceeds \(self.maxRetryAfter): \(message)")
                }
                delay = max(delay, retryAfter)
            }
            // 429 says the request was not processed; a gateway or unavailable answer does not prove it.
            if !idempotent && status != 429 {
                return .verifyThenRetry(after: delay)
            }
            return .retry(after: delay)
        case .transport(_, let requestWasNotSent, let message):
            guard attempt < self.maxAttempts else {
                return .giveUp(reason: "\(message) (after \(attempt) attempts)")
            }
            if idempotent || requestWasNotSent {
                return .retry(after: backoff)
            }
            return .verifyThenRetry(after: backoff)
        }
    }

    /// `initialDelay × multiplier^(attempt-1)`, capped at ``maxDelay``, ± ``jitter``.
    public func backoff(attempt: Int, unit: Double) -> Duration {
        Backoff(initial: initialDelay, maximum: maxDelay, multiplier: multiplier, jitter: .plusMinus(jitter)).delay(attempt: attempt, random: unit)
    }
}
