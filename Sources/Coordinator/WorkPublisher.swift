import AMQP
import FleetModel
import Messaging

/// Publishes work items to `<prefix>.work` (routing key = backend, or `<backend>@<host>`), persistent, and waits for the
/// broker's confirms before returning; each tagged with the work key when one is configured.
public struct WorkPublisher: Sendable {
    public let channel: AMQPChannel
    public let topology: Topology
    public let signing: MessageSigning

    /// `channel` must be in confirm mode.
    public init(channel: AMQPChannel, topology: Topology, signing: MessageSigning) {
        self.channel = channel
        self.topology = topology
        self.signing = signing
    }

    public func publish(_ items: [WorkItem]) async throws {
        guard !items.isEmpty else { return }
        for item in items {
            let body = item.encoded()
            let properties = AMQPProperties(contentType: "application/json", deliveryMode: .persistent)
            try await channel.publish(body, exchange: topology.workExchange, routingKey: item.routingKey,
                                      properties: signing.tagged(properties, body: body, purpose: .work))
        }
        try await channel.waitForConfirms()
    }
}
