import Foundation
import Messaging

/// How a worker process consumes: prefetch, confirm window, shutdown deadline and message keys.
public struct WorkerConfiguration: Sendable {
    /// Unacknowledged deliveries per backend queue, and so the handlers running at once per queue.
    public var prefetch: Int
    /// Unconfirmed publishes in flight on the publishing channel.
    public var confirmWindow: Int
    /// How long in-flight handlers may finish after SIGTERM; the rest stay unacked for redelivery.
    public var shutdownDeadline: Duration
    /// Stamped on events as `worker` (default `host:pid`).
    public var identity: String
    /// Checks the items it takes (work key), tags the items it forwards (work key) and the
    /// events and heartbeats it sends (events key).
    public var signing: MessageSigning

    public init(prefetch: Int = 200, confirmWindow: Int = 4096, shutdownDeadline: Duration = .seconds(20),
                identity: String = WorkerConfiguration.defaultIdentity, signing: MessageSigning = .unsigned) {
        self.signing = signing
        self.prefetch = max(1, min(prefetch, Int(UInt16.max)))
        self.confirmWindow = max(1, confirmWindow)
        self.shutdownDeadline = shutdownDeadline
        self.identity = identity
    }

    /// `host:pid`.
    public static var defaultIdentity: String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    }
}
