/// The deliveries of one consumer, as an async sequence.
///
/// Iterate it once (it is backed by a single-consumer stream). It ends when the consumer is cancelled
/// or the connection closes, and ``end`` then says why; across reconnects it simply continues.
public struct AMQPConsumer: AsyncSequence, Sendable {
    public typealias Element = AMQPDelivery

    /// The channel to ack deliveries on.
    public let channel: AMQPChannel
    public let tag: String
    let stream: AsyncStream<AMQPDelivery>
    let ending: ConsumerEnding

    init(channel: AMQPChannel, tag: String, stream: AsyncStream<AMQPDelivery>, ending: ConsumerEnding) {
        self.channel = channel
        self.tag = tag
        self.stream = stream
        self.ending = ending
    }

    /// Why the deliveries ended; `nil` while the consumer runs. Set before the stream finishes, so
    /// it is known once iteration has ended.
    public var end: AMQPConsumerEnd? { ending.end }

    public func makeAsyncIterator() -> AsyncStream<AMQPDelivery>.Iterator {
        stream.makeAsyncIterator()
    }

    /// Stops this consumer (see ``AMQPChannel/cancel(consumerTag:)``).
    public func cancel() async throws {
        try await channel.cancel(consumerTag: tag)
    }
}
