import Synchronization

/// The reason a consumer ended, shared by the connection thread and the caller's ``AMQPConsumer``.
final class ConsumerEnding: Sendable {
    private let value = Mutex<AMQPConsumerEnd?>(nil)

    var end: AMQPConsumerEnd? { value.withLock { $0 } }

    func record(_ end: AMQPConsumerEnd) {
        value.withLock { if $0 == nil { $0 = end } }
    }
}
