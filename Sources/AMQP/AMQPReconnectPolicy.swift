import Foundation
import Timing

/// Exponential backoff between reconnection attempts: `initialDelay × multiplier^(attempt-1)`,
/// capped at `maxDelay`, with up to `jitter` (a fraction) added at random so that a fleet does not
/// reconnect in lockstep.
public struct AMQPReconnectPolicy: Sendable, Hashable {
    public var initialDelay: Double
    public var maxDelay: Double
    public var multiplier: Double
    public var jitter: Double
    /// Give up after this many failed attempts in a row (nil: never). When it gives up, the
    /// connection closes and every operation fails with ``AMQPError/connectionClosed``.
    public var maxAttempts: Int?
    /// Seconds a replay may go without any answer from the broker before it is abandoned: the
    /// connection is then treated as lost and the next attempt starts over. Heartbeats keep a
    /// connection alive whose broker never answers, so without this bound such a replay would keep
    /// the connection reconnecting for good.
    public var replayTimeout: Double

    public init(initialDelay: Double = 0.1, maxDelay: Double = 15, multiplier: Double = 2, jitter: Double = 0.2, maxAttempts: Int? = nil,
                replayTimeout: Double = 30) {
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.multiplier = multiplier
        self.jitter = jitter
        self.maxAttempts = maxAttempts
        self.replayTimeout = replayTimeout
    }

    /// The delay in seconds before attempt `attempt` (1-based); `random` in 0..<1 scales the jitter.
    public func delay(beforeAttempt attempt: Int, random: Double = Double.random(in: 0..<1)) -> Double {
        Backoff(initial: .milliseconds(Int64(initialDelay * 1000)), maximum: .milliseconds(Int64(maxDelay * 1000)),
                multiplier: multiplier, jitter: .upTo(jitter)).seconds(attempt: attempt, random: random)
    }
}
