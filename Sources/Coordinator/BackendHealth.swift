import Foundation

/// One backend's health as the coordinator judges it, as a state machine: fed what the fleet saw
/// of the backend's submits (``observe(_:)``) and the coordinator's own probes (``probed(_:)``), it
/// says when the backend changes between healthy and unhealthy and why.
///
/// The rules (docs/backends.md, "Health and failover"):
/// - `failureThreshold` refused or failed submits in a row (no accepted submit after them), or a
///   backend that cannot be reached as often, make it unhealthy; one submit refused for its
///   credentials (authentication lost) does at once.
/// - An unhealthy backend takes no new tiles; only a successful probe (its API root answers and
///   its credentials are accepted) makes it healthy again: submits cannot, as none are sent.
/// - A failed probe keeps it unhealthy with the probe's reason.
public struct BackendHealth: Sendable, Hashable {
    public enum State: Sendable, Hashable {
        case healthy
        case unhealthy(reason: String)
    }

    /// What the fleet saw of the backend's submits since its last accepted one.
    public struct Observation: Sendable, Hashable {
        /// Submits refused or failed (transport errors, server errors, refusals) in a row.
        public var failuresInARow: Int
        /// A submit was refused for its credentials.
        public var authenticationLost: Bool
        /// The latest failure's text (the platform's words).
        public var reason: String?

        public init(failuresInARow: Int, authenticationLost: Bool = false, reason: String? = nil) {
            self.failuresInARow = failuresInARow
            self.authenticationLost = authenticationLost
            self.reason = reason
        }
    }

    /// A change of state, to store and to record as an event.
    public struct Change: Sendable, Hashable {
        public var healthy: Bool
        public var reason: String?

        public init(healthy: Bool, reason: String?) {
            self.healthy = healthy
            self.reason = reason
        }
    }

    public private(set) var state: State
    public let failureThreshold: Int

    public init(state: State = .healthy, failureThreshold: Int = 3) {
        self.state = state
        self.failureThreshold = max(failureThreshold, 1)
    }

    public var isHealthy: Bool { state == .healthy }

    /// Whether the coordinator should probe the backend (it is unhealthy).
    public var needsProbe: Bool { !isHealthy }

    /// Takes in the latest observation; returns the change it causes, if any.
    public mutating func observe(_ observation: Observation) -> Change? {
        guard isHealthy else { return nil }
        if observation.authenticationLost {
            return become(.unhealthy(reason: "authentication lost: " + (observation.reason ?? "the platform refused the credentials")))
        }
        guard observation.failuresInARow >= failureThreshold else { return nil }
        let reason = "\(observation.failuresInARow) submits in a row failed" + (observation.reason.map { ", the latest: \($0)" } ?? "")
        return become(.unhealthy(reason: reason))
    }

    /// Takes in a probe's outcome (nil: it succeeded; else why it failed); returns the change.
    public mutating func probed(_ failure: String?) -> Change? {
        guard !isHealthy else { return nil }
        guard let failure else { return become(.healthy) }
        let reason = "probe failed: \(failure)"
        guard state != .unhealthy(reason: reason) else { return nil }
        state = .unhealthy(reason: reason)
        return nil
    }

    private mutating func become(_ next: State) -> Change {
        state = next
        if case .unhealthy(let reason) = next { return Change(healthy: false, reason: reason) }
        return Change(healthy: true, reason: nil)
    }
}
