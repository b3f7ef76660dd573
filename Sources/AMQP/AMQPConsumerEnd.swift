/// Why a consumer's deliveries ended (``AMQPConsumer/end``): a client deciding whether to consume
/// again must tell the broker's cancel from its own.
public enum AMQPConsumerEnd: Sendable, Hashable {
    /// Cancelled by this client (``AMQPConsumer/cancel()`` or ``AMQPChannel/cancel(consumerTag:)``).
    case cancelledByClient
    /// Cancelled by the broker: a `basic.cancel` (its queue was deleted, or it failed over), or its
    /// queue was gone when the consumer was restored after a reconnect or a channel error.
    case cancelledByBroker
    /// Its channel was closed by this client.
    case channelClosed
    /// The connection was closed for good.
    case connectionClosed
}
