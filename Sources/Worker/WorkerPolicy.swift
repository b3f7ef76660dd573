import Backends
import FleetConfig
import FleetModel
import Foundation
import Timing

/// How long a worker lets an item wait before it comes back: the growing poll interval, the delay
/// after a "try later" answer and before a retry, mapped onto the topology's fixed wait tiers.
/// A pure value, so every delay is testable without a broker.
public struct WorkerPolicy: Sendable, Equatable {
    /// The delay before the first poll; it doubles with every poll after that.
    public var pollMinimum: Duration
    /// The longest delay between polls.
    public var pollMaximum: Duration
    /// The delay before the next attempt of a failed job is submitted.
    public var retryDelay: Duration
    /// The topology's wait tiers in seconds, ascending.
    public var waitTiers: [Int]
    /// Log lines quoted in a `failed` event's error text.
    public var logExcerptLines: Int
    /// How long a redelivered submit waits before it looks for its job: the worker that had it may
    /// have died with the submit request already sent, and a lookup made before the platform has
    /// created that job would miss it and submit a second one. A killed worker sends nothing more,
    /// so the platform's own time to answer a submit bounds it: the worker sets this from the
    /// submits it has timed (``SubmitTimings``), and uses the request timeout until it has any.
    public var redeliveryGrace: Duration
    /// How long an item stays valid past its tile's last sign of life (``WorkItem/leaseUntil``);
    /// the fleet's `recovery.lease`.
    public var lease: Duration
    /// How many times a cancel for an attempt with no known job looks the job up by its
    /// idempotency key, with the poll delay between looks, before concluding that none runs. The
    /// attempt's submit may still be queued or deferred when the cancel arrives.
    public var cancelLookups: Int
    /// This worker's host, for a backend whose jobs run on the worker's own host (a command
    /// backend): the job's polls and cancels go to this host's queue (``WorkItem/host``), and an
    /// item about a job of another host is passed on to that host's queue. nil for platforms.
    public var host: String?
    /// When the jobs of the item's task on its backend have been ending, in seconds after their
    /// submit (the worker's ``JobDurations``); nil: not known, polls double from ``pollMinimum``.
    public var expectedEnd: ClosedRange<Double>?
    /// Seconds after their submit by which those jobs were still running; nil: not known.
    public var stillRunning: Double?

    public init(pollMinimum: Duration = .seconds(10), pollMaximum: Duration = .seconds(300), retryDelay: Duration? = nil,
                waitTiers: [Int] = [5, 15, 60, 300], logExcerptLines: Int = 5, redeliveryGrace: Duration = .seconds(60),
                cancelLookups: Int = 8, lease: Duration = RecoveryConfiguration().lease) {
        self.pollMinimum = pollMinimum
        self.pollMaximum = max(pollMinimum, pollMaximum)
        self.retryDelay = retryDelay ?? pollMinimum
        self.waitTiers = waitTiers.sorted()
        self.logExcerptLines = logExcerptLines
        self.redeliveryGrace = redeliveryGrace
        self.cancelLookups = max(1, cancelLookups)
        self.lease = lease
    }

    /// The policy of a configured backend (its `poll` interval) on a topology's wait tiers, with
    /// the fleet's lease.
    public init(backend: BackendConfiguration, waitTiers: [Int], lease: Duration = RecoveryConfiguration().lease) {
        self.init(pollMinimum: backend.poll.minimum, pollMaximum: backend.poll.maximum, waitTiers: waitTiers,
                  redeliveryGrace: backend.requestTimeout, lease: lease)
    }

    /// The delay before the poll that follows `polls` earlier ones: `pollMinimum · 2^polls`, at most `pollMaximum`.
    public func pollDelay(after polls: Int) -> Duration {
        Self.grow(pollMinimum, times: polls, limit: pollMaximum)
    }

    /// The poll schedule: around ``expectedEnd`` when known, else doubling.
    public var schedule: PollSchedule {
        PollSchedule(minimum: pollMinimum, maximum: pollMaximum, expectedEnd: expectedEnd, stillRunning: stillRunning)
    }

    /// The delay after the `deferrals`-th "try later" (or transient error): growing like the poll
    /// delay, and never shorter than the platform's `Retry-After`.
    public func deferDelay(after deferrals: Int, retryAfter: Duration? = nil) -> Duration {
        let grown = Self.grow(pollMinimum, times: deferrals, limit: pollMaximum)
        guard let retryAfter else { return grown }
        return max(grown, retryAfter)
    }

    /// The wait tier that carries an item for `delay`: the longest tier not above it (so an item
    /// never waits much longer than asked), at least the shortest one; `nil` for no delay at all
    /// (straight back to the work queue).
    public func tier(for delay: Duration) -> Int? {
        guard delay > .zero, let shortest = waitTiers.first else { return nil }
        let seconds = delay.inSeconds
        return waitTiers.last { Double($0) <= seconds + 0.001 } ?? shortest
    }

    static func grow(_ base: Duration, times: Int, limit: Duration) -> Duration {
        Backoff(initial: base, maximum: limit).delay(attempt: max(times, 0) + 1)
    }
}
