import Foundation
import Timing

/// When to look at a job next: around the time this task's jobs on the backend have been ending,
/// instead of doubling blindly from `poll.min_interval`.
///
/// With no learned end (``expectedEnd`` nil: the task's first jobs, or a worker that has seen none
/// finish) the delay doubles from ``minimum`` to ``maximum``. With one (seconds after the submit,
/// from the low to the high end of recent jobs), the schedule
/// - looks once early, at ``minimum``, when the first look around the end is more than
///   ``earlyLookFactor`` minimums away (a job the platform rejects at once is not left waiting);
/// - while the job is known to run until more than two steps below `low` (``stillRunning``, or
///   the look just made; the end is known only roughly, as after the doubling schedule), looks
///   halfway between that and `low`: a bisection, and what it finds narrows the gap for the
///   next jobs;
/// - then looks at `low − step` (not before ``stillRunning``), and every `step` up to
///   `high + step`, where `step` is ``stepFraction`` of `low` (at least ``minimum``), so a job
///   that ends where its predecessors did is seen within one step of its end;
/// - past that, doubles the time since `high + step` (at least one step), up to ``maximum``: a job
///   far slower than the others costs a few requests more, not one per step.
///
/// Only that last phase is capped at ``maximum``: the wait up to the expected end may be longer
/// (an hour for hour-long jobs), and costs no request however many wait tiers it passes through
/// (``WorkItem/scheduled``).
///
/// A pure value: the worker keeps the learned ends (``JobDurations``), the handler asks for delays.
public struct PollSchedule: Sendable, Equatable {
    public var minimum: Duration
    public var maximum: Duration
    /// Seconds after the submit within which recent jobs ended; nil: not known.
    public var expectedEnd: ClosedRange<Double>?
    /// Seconds after the submit by which recent jobs were still running; nil: not known.
    public var stillRunning: Double?
    /// The step around the expected end, as a fraction of its low end.
    public var stepFraction: Double
    /// A first look at ``minimum`` is made when the first look near the end is further away than this many minimums.
    public var earlyLookFactor: Double

    public init(minimum: Duration, maximum: Duration, expectedEnd: ClosedRange<Double>? = nil, stillRunning: Double? = nil,
                stepFraction: Double = 0.05, earlyLookFactor: Double = 10) {
        self.minimum = minimum
        self.maximum = max(minimum, maximum)
        self.expectedEnd = expectedEnd
        self.stillRunning = stillRunning
        self.stepFraction = stepFraction
        self.earlyLookFactor = earlyLookFactor
    }

    /// The delay before the next look at a job submitted `elapsed` seconds ago and looked at
    /// `polls` times since.
    public func delay(elapsed: Double, polls: Int) -> Duration {
        guard let seconds = scheduledSeconds(elapsed: max(0, elapsed), polls: polls) else {
            return Backoff(initial: minimum, maximum: maximum).delay(attempt: max(polls, 0) + 1)
        }
        return .milliseconds(Int64((max(seconds, 0) * 1000).rounded()))
    }

    /// The delay in seconds from the learned end, or nil without one.
    func scheduledSeconds(elapsed: Double, polls: Int) -> Double? {
        guard let end = expectedEnd, end.lowerBound > 0 else { return nil }
        let least = minimum.inSeconds
        let step = max(least, end.lowerBound * stepFraction)
        let low = end.lowerBound
        let last = end.upperBound + step
        var first = max(least, low - step)
        if let known = stillRunning.map({ min(max($0, 0), low) }) {
            // Known to run until `bound` (a look just now saw it running, when it made one): while
            // that is far below the end, look halfway.
            let bound = polls > 0 ? max(known, elapsed) : known
            if low - bound > 2 * step {
                let halfway = (bound + low) / 2
                if polls == 0 && halfway - elapsed > earlyLookFactor * least { return least }
                return max(halfway - elapsed, least)
            }
            first = max(first, known)
        }
        // Within half a minimum of a planned look counts as at it: no look a moment after another.
        let now = elapsed + least / 2
        if now < first {
            if polls == 0 && first - elapsed > earlyLookFactor * least { return least }
            return first - elapsed
        }
        if now < last {
            let next = first + step * ((now - first) / step).rounded(.down) + step
            return min(next, last) - elapsed
        }
        return min(max(step, elapsed - last), maximum.inSeconds)
    }
}
