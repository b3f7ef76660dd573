/// The fleet's exchanges and queues, declared idempotently through this one code path (by every
/// role at start, or by the coordinator only: ``declaredBy``), so all roles agree on names and
/// arguments.
///
/// With the default prefix `tilefleet`:
/// - `tilefleet.work` (direct) → `tilefleet.work.<backend>`: work items, routed by backend name.
/// - `tilefleet.wait.<seconds>` (fanout exchange + queue with a message TTL): items published there
///   dead-letter back to `tilefleet.work` with their original routing key after the delay. Fixed
///   tiers avoid per-message TTLs, which block behind the head of the queue.
/// - `tilefleet.events` (topic, key `<task>.<tile>.<status>`) → `tilefleet.recorder`.
/// - `tilefleet.dead` (fanout) → `tilefleet.dead`: poison messages, with a reason header.
/// - `tilefleet.ended.<id>`: each coordinator's own exclusive queue of `finished` events (bound
///   to `tilefleet.events` with `#.finished`), which frees slots before the recorder stores them.
///
/// Another prefix gives an independent fleet on the same broker (tests use one per test).
public struct Topology: Sendable, Equatable {
    /// Header carrying why a message was dead-lettered.
    public static let reasonHeader = "x-tilefleet-reason"

    public var prefix: String
    /// Backends whose work queues to declare.
    public var backends: [String]
    /// Delay tiers in seconds.
    public var waitTiers: [Int]
    /// Quorum queues, for clustered brokers.
    public var quorumQueues: Bool
    /// Who declares the exchanges and queues (`topology.declared_by`).
    public var declaredBy: Declarer

    /// Who declares the topology.
    public enum Declarer: String, Sendable, CaseIterable {
        /// Every role at start (and after a queue was deleted): the simplest setup, but every
        /// broker user then needs configure rights on every name.
        case everyRole = "every_role"
        /// The coordinator (and the operator commands that dispatch) only: workers, recorders and
        /// `watch` declare nothing of the fleet's and wait for its queues, so their broker users can
        /// be denied configure rights (deploy/rabbitmq).
        case coordinator
    }

    public init(prefix: String = "tilefleet", backends: [String] = [], waitTiers: [Int] = [5, 15, 60, 300],
                quorumQueues: Bool = false, declaredBy: Declarer = .everyRole) {
        self.prefix = prefix
        self.backends = backends
        self.waitTiers = waitTiers.sorted()
        self.quorumQueues = quorumQueues
        self.declaredBy = declaredBy
    }

    public var workExchange: String { "\(prefix).work" }
    public var eventsExchange: String { "\(prefix).events" }
    public var deadExchange: String { "\(prefix).dead" }
    public var deadQueue: String { "\(prefix).dead" }
    public var recorderQueue: String { "\(prefix).recorder" }
    public func workQueue(backend: String) -> String { "\(prefix).work.\(backend)" }
    /// The queue of one host's items of a backend (a command backend's polls and cancels):
    /// `<prefix>.work.<backend>@<host>`, bound with the routing key `<backend>@<host>`.
    public func workQueue(backend: String, host: String) -> String { "\(prefix).work.\(backend)@\(host)" }
    public func waitExchange(seconds: Int) -> String { "\(prefix).wait.\(seconds)" }
    /// One coordinator's own queue of `finished` events (exclusive to its connection, deleted with
    /// it; not among ``queues``).
    public func endedJobsQueue(coordinator id: String) -> String { "\(prefix).ended.\(id)" }
    /// The binding of ``endedJobsQueue(coordinator:)`` to the events exchange: every `finished` event.
    public static let endedJobsBinding = "#.\(EventStatus.finished.rawValue)"

    /// The smallest tier that is at least `seconds` (the largest one for longer delays).
    public func waitTier(atLeast seconds: Double) -> Int {
        waitTiers.first { Double($0) >= seconds } ?? waitTiers.last ?? 5
    }

    /// Every queue this topology declares (for `resume` and for tests that clean up).
    public var queues: [String] {
        [deadQueue, recorderQueue] + backends.map(workQueue(backend:)) + waitTiers.map(waitExchange(seconds:))
    }

    /// Every exchange this topology declares.
    public var exchanges: [String] {
        [deadExchange, workExchange, eventsExchange] + waitTiers.map(waitExchange(seconds:))
    }
}
