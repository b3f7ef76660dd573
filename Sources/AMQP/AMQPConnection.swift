import Foundation
import Logging

/// A connection to RabbitMQ that survives broker restarts.
///
/// Each connection runs its own thread, which alone talks to librabbitmq; callers on any task queue
/// commands to it and await the results, so no blocking C call ever runs on Swift's cooperative pool.
/// When the connection is lost, in-flight operations fail (unconfirmed publishes with
/// ``AMQPError/publishUnconfirmed(reason:)``), the thread reconnects with exponential backoff, then
/// reopens the channels and restores their prefetch, confirm mode and consumers, and redeclares the
/// exchanges, queues and bindings declared through it (queues whose name the broker generated are not
/// redeclared). ``events()`` reports each step.
///
/// Close it with ``close()``; dropping the last reference (including the channels' ones) closes it too.
public final class AMQPConnection: Sendable {
    public let configuration: AMQPConfiguration
    let shared: ConnectionShared
    let logger: Logger

    private init(configuration: AMQPConfiguration, shared: ConnectionShared, logger: Logger) {
        self.configuration = configuration
        self.shared = shared
        self.logger = logger
    }

    deinit {
        try? shared.enqueue(.close(nil))
    }

    /// Connects and logs in; throws ``AMQPError/connectFailed(url:reason:)`` at once if that fails
    /// (reconnection only applies to a connection that was once up).
    public static func connect(
        _ configuration: AMQPConfiguration, logger: Logger = Logger(label: "tilefleet.amqp")
    ) async throws -> AMQPConnection {
        let shared = ConnectionShared()
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            ConnectionDriver.start(configuration: configuration, shared: shared, logger: logger, connected: continuation)
        }
        return AMQPConnection(configuration: configuration, shared: shared, logger: logger)
    }

    /// Parses `url` (see ``AMQPURL``) and connects with default settings.
    public static func connect(url: String, logger: Logger = Logger(label: "tilefleet.amqp")) async throws -> AMQPConnection {
        try await connect(AMQPConfiguration(url: url), logger: logger)
    }

    /// Opens a new channel. Channels are cheap; use one per independent flow (e.g. one for consuming,
    /// one for publishing with confirms).
    public func openChannel() async throws -> AMQPChannel {
        let id = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<UInt16, any Error>) in
            do {
                try shared.enqueue(.openChannel(continuation))
            } catch {
                continuation.resume(throwing: error)
            }
        }
        return AMQPChannel(connection: self, id: id)
    }

    /// True while connected (false while reconnecting and after close).
    public var isConnected: Bool { shared.currentStatus == .open }

    /// A new stream of this connection's state changes, starting now. It ends after ``AMQPConnectionEvent/closed``.
    public func events() -> AsyncStream<AMQPConnectionEvent> {
        shared.subscribe()
    }

    /// Closes the connection: consumers' streams finish, pending operations fail with
    /// ``AMQPError/connectionClosed``. Call ``AMQPChannel/waitForConfirms()`` first to be sure of
    /// your publishes.
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            do {
                try shared.enqueue(.close(continuation))
            } catch {
                continuation.resume()
            }
        }
    }
}
