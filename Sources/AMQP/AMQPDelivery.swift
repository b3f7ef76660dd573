/// A message delivered to a consumer. Settle it with ``AMQPChannel/ack(_:multiple:)``,
/// ``AMQPChannel/nack(_:multiple:requeue:)`` or ``AMQPChannel/reject(_:requeue:)`` on the channel it
/// came from, unless the consumer was started with `noAck`.
public struct AMQPDelivery: Sendable {
    public var body: [UInt8]
    public var exchange: String
    public var routingKey: String
    /// True when the broker delivered this message before (to this or another consumer) without an ack.
    public var redelivered: Bool
    /// The broker's tag for this delivery, unique per channel and per (re)opening of the channel.
    public var deliveryTag: UInt64
    public var consumerTag: String
    public var properties: AMQPProperties

    /// The message headers (shorthand for `properties.headers`).
    public var headers: AMQPTable { properties.headers }

    /// Identifies the channel incarnation the delivery came through: an ack is only valid there.
    let channelID: UInt16
    let channelGeneration: UInt64

    init(
        body: [UInt8], exchange: String, routingKey: String, redelivered: Bool, deliveryTag: UInt64,
        consumerTag: String, properties: AMQPProperties, channelID: UInt16, channelGeneration: UInt64
    ) {
        self.body = body
        self.exchange = exchange
        self.routingKey = routingKey
        self.redelivered = redelivered
        self.deliveryTag = deliveryTag
        self.consumerTag = consumerTag
        self.properties = properties
        self.channelID = channelID
        self.channelGeneration = channelGeneration
    }
}

/// A mandatory message the broker could not route to any queue (AMQP `basic.return`).
public struct AMQPReturnedMessage: Sendable {
    public var replyCode: UInt16
    public var replyText: String
    public var exchange: String
    public var routingKey: String
    public var properties: AMQPProperties
    public var body: [UInt8]
}
