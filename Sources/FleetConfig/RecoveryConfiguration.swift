import Foundation
import Yams

/// How the fleet heals after items are lost (a broker that lost its queues, a coordinator killed
/// between its commit and its publish): the `recovery:` section of `tilefleet.yaml`.
///
/// Every work item carries a lease; a worker does nothing with an item whose lease has run out,
/// and sends a heartbeat before the lease of an item it hands on would outrun the last one. A tile
/// in flight with no sign of life for ``silence(before:)`` therefore has no item left that can act,
/// and the coordinator republishes it — a `submit` that looks its job up first, or a `poll` —
/// without risking a second job.
public struct RecoveryConfiguration: Sendable, Equatable {
    /// How long an item stays valid past the tile's last sign of life.
    public var lease: Duration
    /// How often the coordinator looks for silent tiles (and sends the recorder its tick).
    public var healInterval: Duration
    /// The clock difference allowed between hosts, and the time a recorder may hold a batch.
    public var clockSkew: Duration

    public init(lease: Duration = .seconds(600), healInterval: Duration = .seconds(30), clockSkew: Duration = .seconds(30)) {
        self.lease = lease
        self.healInterval = healInterval
        self.clockSkew = clockSkew
    }

    /// How long a tile on `backend` must be silent before it is republished: a lease, plus the
    /// longest a submit begun just before its lease ran out can take to land, plus the skew.
    public func silence(before backend: BackendConfiguration) -> Duration {
        lease + backend.longestSubmit + clockSkew
    }

    static let keys: Set<String> = ["lease", "heal_interval", "clock_skew"]

    /// Reads `recovery:`; problems go to `reader`.
    static func read(_ node: Node?, _ path: String, reader: ConfigReader) -> RecoveryConfiguration {
        var value = RecoveryConfiguration()
        guard let members = reader.mapping(node, path, allowed: keys) else { return value }
        if let lease = reader.duration(members["lease"], ConfigReader.child(path, "lease")) { value.lease = lease }
        if let interval = reader.duration(members["heal_interval"], ConfigReader.child(path, "heal_interval")) { value.healInterval = interval }
        if let skew = reader.duration(members["clock_skew"], ConfigReader.child(path, "clock_skew"), zeroMeans: "clocks in step") {
            value.clockSkew = skew
        }
        return value
    }
}

extension BackendConfiguration {
    /// The longest one submit can take, retries included: every attempt running into the request
    /// timeout, with the longest wait between attempts.
    public var longestSubmit: Duration {
        let attempts = max(retry.maxAttempts, 1)
        let wait = max(retry.maxDelay * (1 + retry.jitter), retry.maxRetryAfter)
        return requestTimeout * attempts + wait * (attempts - 1)
    }
}
