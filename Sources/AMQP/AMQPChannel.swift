import Foundation

/// An AMQP channel on an ``AMQPConnection``: declarations, publishing (optionally with pipelined
/// publisher confirms), consuming and settling deliveries.
///
/// A cheap Sendable handle: copy it to any task. Operations on one channel are performed in the order
/// they were called. If the broker closes the channel because of an error (e.g. 404 NOT_FOUND), the
/// failing call throws ``AMQPError/channelClosed(replyCode:replyText:)`` and the channel is reopened
/// with its prefetch, confirm mode and consumers, so the handle stays usable.
public struct AMQPChannel: Sendable {
    public let connection: AMQPConnection
    /// The channel number.
    public let id: UInt16

    init(connection: AMQPConnection, id: UInt16) {
        self.connection = connection
        self.id = id
    }

    // MARK: Topology

    /// Declares an exchange (creates it, or checks that an existing one matches).
    public func declareExchange(
        _ name: String, type: AMQPExchangeType, durable: Bool = true, autoDelete: Bool = false, internal: Bool = false,
        arguments: AMQPTable = [:]
    ) async throws {
        try Self.validateShortString(name, "exchange name")
        _ = try await perform(.declareExchange(name: name, type: type, durable: durable, autoDelete: autoDelete, internal: `internal`, arguments: arguments))
    }

    public func deleteExchange(_ name: String, ifUnused: Bool = false) async throws {
        try Self.validateShortString(name, "exchange name")
        _ = try await perform(.deleteExchange(name: name, ifUnused: ifUnused))
    }

    /// Declares a queue. Arguments carry RabbitMQ's extensions, for example
    /// `["x-queue-type": "quorum", "x-dead-letter-exchange": "tilefleet.dead", "x-message-ttl": 5000]`.
    /// An empty name asks the broker to generate one (returned in the result; not redeclared after a
    /// reconnect).
    @discardableResult
    public func declareQueue(
        _ name: String, durable: Bool = true, exclusive: Bool = false, autoDelete: Bool = false, arguments: AMQPTable = [:]
    ) async throws -> AMQPQueueInfo {
        try Self.validateShortString(name, "queue name")
        let reply = try await perform(.declareQueue(name: name, durable: durable, exclusive: exclusive, autoDelete: autoDelete, arguments: arguments))
        guard case .queue(let info) = reply else { return AMQPQueueInfo(name: name, messageCount: 0, consumerCount: 0) }
        return info
    }

    public func bindQueue(_ queue: String, exchange: String, routingKey: String = "", arguments: AMQPTable = [:]) async throws {
        try Self.validateShortString(queue, "queue name")
        try Self.validateShortString(exchange, "exchange name")
        try Self.validateShortString(routingKey, "routing key")
        _ = try await perform(.bindQueue(queue: queue, exchange: exchange, routingKey: routingKey, arguments: arguments))
    }

    public func unbindQueue(_ queue: String, exchange: String, routingKey: String = "", arguments: AMQPTable = [:]) async throws {
        try Self.validateShortString(queue, "queue name")
        try Self.validateShortString(exchange, "exchange name")
        try Self.validateShortString(routingKey, "routing key")
        _ = try await perform(.unbindQueue(queue: queue, exchange: exchange, routingKey: routingKey, arguments: arguments))
    }

    /// Deletes a queue; returns how many messages it held.
    @discardableResult
    public func deleteQueue(_ name: String, ifUnused: Bool = false, ifEmpty: Bool = false) async throws -> UInt32 {
        try Self.validateShortString(name, "queue name")
        guard case .messageCount(let count) = try await perform(.deleteQueue(name: name, ifUnused: ifUnused, ifEmpty: ifEmpty)) else { return 0 }
        return count
    }

    /// Removes every ready message from a queue; returns how many.
    @discardableResult
    public func purgeQueue(_ name: String) async throws -> UInt32 {
        try Self.validateShortString(name, "queue name")
        guard case .messageCount(let count) = try await perform(.purgeQueue(name: name)) else { return 0 }
        return count
    }

    // MARK: Publishing

    /// Puts the channel in confirm mode: the broker then acks (or nacks) every publish once it has taken
    /// responsibility for it (for persistent messages to durable queues: once written to disk).
    /// `window` bounds the unconfirmed publishes in flight: ``publish(_:exchange:routingKey:mandatory:properties:)``
    /// suspends while it is full.
    public func enablePublisherConfirms(window: Int = 1000) async throws {
        guard window > 0 else { throw AMQPError.invalidArgument("confirm window must be positive") }
        _ = try await perform(.confirmSelect(window: window))
    }

    /// Publishes without waiting for the confirm: returns once the message is queued for sending
    /// (suspending only while the confirm window is full). Check the outcome of a batch with
    /// ``waitForConfirms()``. Messages are persistent unless `properties` say otherwise.
    public func publish(
        _ body: [UInt8], exchange: String = "", routingKey: String, mandatory: Bool = false,
        properties: AMQPProperties = AMQPProperties()
    ) async throws {
        try Self.validateShortString(exchange, "exchange name")
        try Self.validateShortString(routingKey, "routing key")
        let request = PublishRequest(
            channel: id, exchange: exchange, routingKey: routingKey, mandatory: mandatory, properties: properties, body: body, confirmation: nil
        )
        if try connection.shared.enqueuePublish(request) { return }
        try await withCheckedThrowingContinuation { (grant: CheckedContinuation<Void, any Error>) in
            connection.shared.enqueuePublishWhenWindowOpens(request, grant: grant)
        }
    }

    /// Publishes and returns once the broker confirmed this message. Many calls from concurrent tasks are
    /// pipelined (up to the confirm window). Throws ``AMQPError/publishNacked``,
    /// ``AMQPError/publishUnconfirmed(reason:)`` when the connection or channel was lost before the
    /// confirm, or — for a `mandatory` publish with a `messageID` — ``AMQPError/publishReturned(replyCode:replyText:)``
    /// when no queue took it. Needs ``enablePublisherConfirms(window:)``.
    public func publishConfirmed(
        _ body: [UInt8], exchange: String = "", routingKey: String, mandatory: Bool = false,
        properties: AMQPProperties = AMQPProperties()
    ) async throws {
        try Self.validateShortString(exchange, "exchange name")
        try Self.validateShortString(routingKey, "routing key")
        try await withCheckedThrowingContinuation { (confirmation: CheckedContinuation<Void, any Error>) in
            let request = PublishRequest(
                channel: id, exchange: exchange, routingKey: routingKey, mandatory: mandatory, properties: properties, body: body,
                confirmation: confirmation
            )
            connection.shared.enqueuePublishWhenWindowOpens(request, grant: nil)
        }
    }

    /// Waits until every publish made on this channel so far is settled. Throws
    /// ``AMQPError/publishesNotConfirmed(nacked:unconfirmed:)`` if any fire-and-forget publish since the
    /// previous wait was nacked, returned or lost with the connection: those must be published again.
    public func waitForConfirms() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            do {
                try connection.shared.enqueue(.waitForConfirms(channel: id, continuation), channel: id)
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }

    // MARK: Consuming

    /// Limits unacknowledged deliveries to `prefetchCount` (per consumer; per channel with `global`).
    public func setPrefetch(_ prefetchCount: UInt16, global: Bool = false) async throws {
        _ = try await perform(.qos(prefetchCount: prefetchCount, global: global))
    }

    /// Starts a consumer on `queue`. Iterate the result for deliveries; it ends when the consumer is
    /// cancelled (by ``AMQPConsumer/cancel()`` or by the broker, e.g. because the queue was deleted) or
    /// the connection closes, and ``AMQPConsumer/end`` then says which. It survives reconnects: the
    /// broker redelivers what was unacked.
    public func consume(
        queue: String, consumerTag: String? = nil, noAck: Bool = false, exclusive: Bool = false, arguments: AMQPTable = [:]
    ) async throws -> AMQPConsumer {
        try Self.validateShortString(queue, "queue name")
        let tag = consumerTag ?? "tilefleet-\(UUID().uuidString.lowercased())"
        try Self.validateShortString(tag, "consumer tag")
        let (stream, continuation) = AsyncStream<AMQPDelivery>.makeStream(bufferingPolicy: .unbounded)
        let ending = ConsumerEnding()
        _ = try await withCheckedThrowingContinuation { (reply: CheckedContinuation<OperationReply, any Error>) in
            do {
                try connection.shared.enqueue(
                    .operation(channel: id, .consume(queue: queue, tag: tag, noAck: noAck, exclusive: exclusive, arguments: arguments), reply,
                               consumer: ConsumerStream(continuation: continuation, ending: ending)),
                    channel: id
                )
            } catch {
                continuation.finish()
                reply.resume(throwing: error)
            }
        }
        return AMQPConsumer(channel: self, tag: tag, stream: stream, ending: ending)
    }

    /// Stops the consumer with `tag`; its stream finishes. Deliveries it had not acked are requeued
    /// when the channel closes, or can still be acked on this channel.
    public func cancel(consumerTag tag: String) async throws {
        _ = try await perform(.cancel(tag: tag))
    }

    /// Acknowledges `delivery` (with `multiple`, also every earlier unacked delivery on this channel).
    /// Never blocks: the ack is queued for the connection thread.
    public func ack(_ delivery: AMQPDelivery, multiple: Bool = false) throws {
        try settle(delivery, .ack(multiple: multiple))
    }

    /// Negative acknowledgement: `requeue` puts the message back, otherwise it is dead-lettered (if the
    /// queue has a dead-letter exchange) or dropped.
    public func nack(_ delivery: AMQPDelivery, multiple: Bool = false, requeue: Bool) throws {
        try settle(delivery, .nack(multiple: multiple, requeue: requeue))
    }

    /// Rejects one delivery; like ``nack(_:multiple:requeue:)`` without `multiple`.
    public func reject(_ delivery: AMQPDelivery, requeue: Bool) throws {
        try settle(delivery, .reject(requeue: requeue))
    }

    // MARK: Lifecycle

    /// Closes the channel. Unconfirmed publishes on it fail as unconfirmed.
    public func close() async throws {
        _ = try await perform(.close)
    }

    // MARK: Internals

    private func settle(_ delivery: AMQPDelivery, _ kind: SettleKind) throws {
        guard delivery.channelID == id else {
            throw AMQPError.invalidArgument("delivery came through channel \(delivery.channelID), not \(id)")
        }
        try connection.shared.enqueueSettle(channel: id, generation: delivery.channelGeneration, tag: delivery.deliveryTag, kind: kind)
    }

    private func perform(_ operation: ChannelOperation) async throws -> OperationReply {
        try await withCheckedThrowingContinuation { (reply: CheckedContinuation<OperationReply, any Error>) in
            do {
                try connection.shared.enqueue(.operation(channel: id, operation, reply, consumer: nil), channel: id)
            } catch {
                reply.resume(throwing: error)
            }
        }
    }

    /// AMQP short strings (names, keys) are at most 255 bytes.
    private static func validateShortString(_ value: String, _ what: String) throws {
        guard value.utf8.count <= 255 else {
            throw AMQPError.invalidArgument("\(what) is longer than 255 bytes")
        }
    }
}
