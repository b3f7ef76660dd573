/// A synchronous AMQP method a caller asks the connection thread to perform on a channel. Recorded
/// topology operations are replayed after a reconnect.
enum ChannelOperation: Sendable, Hashable {
    case declareExchange(name: String, type: AMQPExchangeType, durable: Bool, autoDelete: Bool, internal: Bool, arguments: AMQPTable)
    case deleteExchange(name: String, ifUnused: Bool)
    case declareQueue(name: String, durable: Bool, exclusive: Bool, autoDelete: Bool, arguments: AMQPTable)
    case bindQueue(queue: String, exchange: String, routingKey: String, arguments: AMQPTable)
    case unbindQueue(queue: String, exchange: String, routingKey: String, arguments: AMQPTable)
    case deleteQueue(name: String, ifUnused: Bool, ifEmpty: Bool)
    case purgeQueue(name: String)
    case qos(prefetchCount: UInt16, global: Bool)
    /// `window`: how many unconfirmed publishes the caller may have in flight.
    case confirmSelect(window: Int)
    case consume(queue: String, tag: String, noAck: Bool, exclusive: Bool, arguments: AMQPTable)
    case cancel(tag: String)
    case close

    /// The reply methods that complete this operation.
    var expectedReply: UInt32 {
        switch self {
        case .declareExchange: AMQPMethodID.exchangeDeclareOK
        case .deleteExchange: AMQPMethodID.exchangeDeleteOK
        case .declareQueue: AMQPMethodID.queueDeclareOK
        case .bindQueue: AMQPMethodID.queueBindOK
        case .unbindQueue: AMQPMethodID.queueUnbindOK
        case .deleteQueue: AMQPMethodID.queueDeleteOK
        case .purgeQueue: AMQPMethodID.queuePurgeOK
        case .qos: AMQPMethodID.basicQosOK
        case .confirmSelect: AMQPMethodID.confirmSelectOK
        case .consume: AMQPMethodID.basicConsumeOK
        case .cancel: AMQPMethodID.basicCancelOK
        case .close: AMQPMethodID.channelCloseOK
        }
    }

    /// Whether the broker keeps what this operation creates, so it is replayed after a reconnect.
    var isTopology: Bool {
        switch self {
        case .declareExchange, .declareQueue, .bindQueue: true
        default: false
        }
    }
}

/// What a completed ``ChannelOperation`` reports back.
enum OperationReply: Sendable, Hashable {
    case done
    case queue(AMQPQueueInfo)
    case messageCount(UInt32)
}
