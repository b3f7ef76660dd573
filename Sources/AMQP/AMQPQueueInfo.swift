/// What the broker reports when a queue is declared.
public struct AMQPQueueInfo: Sendable, Hashable {
    /// The queue's name (the broker's generated one if the declaration left it empty).
    public var name: String
    /// Messages ready for delivery (not counting unacknowledged ones).
    public var messageCount: UInt32
    public var consumerCount: UInt32
}
