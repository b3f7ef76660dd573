import AMQP
import Synchronization

/// The channel side of ``AckSequencer``: numbers batches and sends each multiple-ack under the
/// lock, so acknowledgements leave in delivery order even when writers finish out of order.
final class OrderedAcknowledgements: Sendable {
    private let channel: AMQPChannel
    private let sequencer = Mutex(AckSequencer<AMQPDelivery>())

    init(channel: AMQPChannel) {
        self.channel = channel
    }

    func begin() -> Int {
        sequencer.withLock { $0.begin() }
    }

    /// Records the batch's commit and acknowledges whatever it completes. A failed ack (the
    /// connection is gone) is left to the broker, which redelivers; the store absorbs the repeat.
    func committed(_ batch: Int, last: AMQPDelivery) {
        sequencer.withLock { sequencer in
            if let delivery = sequencer.commit(batch, last: last) {
                try? channel.ack(delivery, multiple: true)
            }
        }
    }
}
