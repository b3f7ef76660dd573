/// A change in a connection's state, from ``AMQPConnection/events()``.
public enum AMQPConnectionEvent: Sendable, Hashable {
    /// The connection was lost; in-flight operations failed and unconfirmed publishes were reported
    /// as ``AMQPError/publishUnconfirmed(reason:)``. Reconnection starts.
    case disconnected(reason: String)
    /// A reconnection attempt failed; the next one follows after `retryIn` seconds.
    case reconnectFailed(attempt: Int, reason: String, retryIn: Double)
    /// Connected again: channels, publisher confirms, prefetch, the recorded topology and the consumers
    /// were re-established. Deliveries from before are redelivered by the broker.
    case reconnected(attempt: Int)
    /// Closed by ``AMQPConnection/close()``; no more events follow.
    case closed
}
