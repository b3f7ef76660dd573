/// What the connection thread knows about one channel. Lives only on that thread.
final class ChannelRecord {
    /// How a pending synchronous method completes.
    enum Completion {
        /// A caller's ``ChannelOperation``.
        case caller(ChannelOperation, CheckedContinuation<OperationReply, any Error>, consumer: ConsumerStream?)
        /// A caller's `openChannel`.
        case openChannel(CheckedContinuation<UInt16, any Error>)
        /// A step of restoring state after a reconnect (`countsForReplay`) or a channel error.
        case restore(RestoreStep, countsForReplay: Bool)
    }

    /// What a restore step re-establishes: logged when it fails, and a refused consumer is dropped.
    enum RestoreStep: CustomStringConvertible {
        case channelOpen
        case qos
        case confirmSelect
        case topology(ChannelOperation)
        case consume(tag: String, queue: String)

        var description: String {
            switch self {
            case .channelOpen: "channel.open"
            case .qos: "basic.qos"
            case .confirmSelect: "confirm.select"
            case .topology(let operation): "\(operation)"
            case .consume(_, let queue): "consume \(queue)"
            }
        }
    }

    struct PendingReply {
        var expected: UInt32
        var completion: Completion

        /// A replay step (topology or consumer) that is sent again when the broker discards it with
        /// a channel closed because of an earlier method.
        var isResentAfterChannelClose: Bool {
            switch completion {
            case .restore(.topology, countsForReplay: true), .restore(.consume, countsForReplay: true): true
            default: false
            }
        }

        /// The consumer a consume restore step restarts.
        var consumerTag: String? {
            if case .restore(.consume(let tag, _), _) = completion { return tag }
            return nil
        }
    }

    struct Consumer {
        var queue: String
        var noAck: Bool
        var exclusive: Bool
        var arguments: AMQPTable
        var stream: ConsumerStream
    }

    /// A message being assembled from a method frame, a header frame and body frames.
    struct Incoming {
        enum Kind {
            case deliver(consumerTag: String, deliveryTag: UInt64, redelivered: Bool)
            case returned(replyCode: UInt16, replyText: String)
        }

        var kind: Kind
        var exchange: String
        var routingKey: String
        var properties = AMQPProperties(deliveryMode: nil)
        var bodySize = 0
        var body: [UInt8] = []
        var hasHeader = false
    }

    let id: UInt16
    var generation: UInt64
    /// Set once the caller asked to close it.
    var closing = false
    var pendingReplies: [PendingReply] = []
    /// Non-nil once publisher confirms are on: the caller's window size.
    var confirmWindow: Int?
    var tracker = ConfirmTracker<CheckedContinuation<Void, any Error>>()
    var confirmWaiters: [(through: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    /// Fire-and-forget publishes nacked or lost since the last ``AMQPChannel/waitForConfirms()``.
    var nackedSinceWait = 0
    var unconfirmedSinceWait = 0
    var prefetch: (count: UInt16, global: Bool)?
    var consumers: [String: Consumer] = [:]
    /// Consumer tags in the order they were started, for replay.
    var consumerOrder: [String] = []
    var incoming: Incoming?

    init(id: UInt16, generation: UInt64) {
        self.id = id
        self.generation = generation
    }

    func removeConsumer(_ tag: String) -> Consumer? {
        guard let consumer = consumers.removeValue(forKey: tag) else { return nil }
        consumerOrder.removeAll { $0 == tag }
        return consumer
    }
}
