/// The fleet's exchanges and queues, declared idempotently by every role at start through this
/// one code path, so all roles agree on names and arguments.
///
/// With the default prefix `tilefleet`:
/// - `tilefleet.work` (direct) → `tilefleet.work.<backend>`: work items, routed by backend name.
/// - `tilefleet.wait.<seconds>` (fanout exchange + queue with a message TTL): items published there
///   dead-letter back to `tilefleet.work` with their original routing key after the delay. Fixed
///   tiers avoid per-message TTLs, which block behind the head of the queue.
/// - `tilefleet.events` (topic, key `<task>.<tile>.<status>`) → `tilefleet.recorder`.
/// - `tilefleet.dead` (fanout) → `tilefleet.dead`: poison messages, with a reason header.
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

    public init(prefix: String = "tilefleet", backends: [String] = [], waitTiers: [Int] = [5, 15, 60, 300],
                quorumQueues: Bool = false) {
        self.prefix = prefix
        self.backends = backends
        self.waitTiers = waitTiers.sorted()
        self.quorumQueues = quorumQueues
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
