import Foundation

/// Exponential backoff: `initial × multiplier^(attempt − 1)`, capped at `maximum`, with optional
/// jitter so that a fleet does not retry in lockstep. The one backoff of the project: AMQP and
/// PostgreSQL reconnects, HTTP retries, and the worker's poll and defer delays.
public struct Backoff: Sendable, Hashable {
    /// How randomness spreads a delay; `random` below is a number in 0..<1.
    public enum Jitter: Sendable, Hashable {
        case none
        /// Adds up to this fraction (0.2: up to +20 %), never beyond ``Backoff/maximum``.
        case upTo(Double)
        /// Spreads by up to this fraction either way (0.2: ±20 %).
        case plusMinus(Double)
    }

    public var initial: Duration
    public var maximum: Duration
    public var multiplier: Double
    public var jitter: Jitter

    public init(initial: Duration, maximum: Duration, multiplier: Double = 2, jitter: Jitter = .none) {
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
        self.jitter = jitter
    }

    /// The delay in seconds before attempt `attempt` (1-based; the first attempt waits `initial`).
    public func seconds(attempt: Int, random: Double = Double.random(in: 0..<1)) -> Double {
        let exponent = Double(min(max(0, attempt - 1), 64))
        let capped = min(initial.inSeconds * pow(multiplier, exponent), maximum.inSeconds)
        switch jitter {
        case .none: return capped
        case .upTo(let fraction): return min(maximum.inSeconds, capped * (1 + fraction * random))
        case .plusMinus(let fraction): return max(0, capped * (1 + fraction * (2 * random - 1)))
        }
    }

    /// ``seconds(attempt:random:)`` as a duration, to the millisecond.
    public func delay(attempt: Int, random: Double = Double.random(in: 0..<1)) -> Duration {
        let value = seconds(attempt: attempt, random: random)
        return value >= maximum.inSeconds && jitter == .none ? maximum : .milliseconds(Int64(value * 1000))
    }
}
