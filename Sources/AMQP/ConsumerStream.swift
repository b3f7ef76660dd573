/// The connection thread's end of one consumer: deliveries go into its stream, and the first
/// reason it ends is kept for ``AMQPConsumer/end`` before the stream finishes.
struct ConsumerStream: Sendable {
    let continuation: AsyncStream<AMQPDelivery>.Continuation
    let ending: ConsumerEnding

    func yield(_ delivery: AMQPDelivery) {
        continuation.yield(delivery)
    }

    /// Records `end` (unless an earlier reason was recorded) and finishes the stream.
    func finish(_ end: AMQPConsumerEnd) {
        ending.record(end)
        continuation.finish()
    }
}
