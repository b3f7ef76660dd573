import AMQP
import FleetModel

extension Topology {
    /// Publishes `delivery` to the dead-letter exchange, persistent and confirmed, with why
    /// (``Topology/reasonHeader``), the queue it came from and its routing key: the one way every
    /// role sets a poison message aside. Acknowledging the original is the caller's, after this returns.
    public func deadLetter(_ delivery: AMQPDelivery, reason: String, sourceQueue: String, on channel: AMQPChannel) async throws {
        var properties = delivery.properties
        properties.headers[Self.reasonHeader] = .string(reason)
        properties.headers["x-tilefleet-source-queue"] = .string(sourceQueue)
        properties.headers["x-tilefleet-routing-key"] = .string(delivery.routingKey)
        properties.deliveryMode = .persistent
        try await channel.publishConfirmed(delivery.body, exchange: deadExchange, routingKey: delivery.routingKey, properties: properties)
    }
}
