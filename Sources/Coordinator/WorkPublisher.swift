import AMQP
import FleetModel
import Messaging

/// Publishes work items to `<prefix>.work` (routing key = backend, or `<backend>@<host>`), persistent, and waits for the
/// broker's confirms before returning.
public struct WorkPublisher: Sendable {
    public let channel: AMQPChannel
    public let topology: Topology

    /// `channel` must be in confirm mode.
    public init(channel: AMQPChannel, topology: Topology) {
        self.channel = channel
        self.topology = topology
    }

    public func publish(_ items: [WorkItem]) async throws {
        guard !items.isEmpty else { return }
        for item in items {
            try await channel.publish(item.encoded(), exchange: topology.workExchange, routingKey: item.routingKey,
                                      properties: AMQPProperties(contentType: "application/json", deliveryMode: .persistent))
        }
        try await channel.waitForConfirms()
    }
}
