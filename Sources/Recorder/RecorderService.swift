import AMQP
import FleetModel
import Foundation
import Logging
import Messaging
import Postgres
import ServiceLifecycle
import Storage

/// The single writer of status events: consumes `tilefleet.recorder` in batches, writes each
/// batch in one transaction, and acks it with one multiple-ack only after the commit.
///
/// Malformed events and events for unknown tiles are stored in `rejected_events` and published
/// to `tilefleet.dead` with the reason before the batch is acked. While the database is down the
/// batch is retried and nothing is acked; a lost broker connection leaves the batch unacked, so
/// the broker redelivers it and the idempotent store absorbs the repeat.
public struct RecorderService: Service {
    public let amqp: AMQPConnection
    public let database: PostgresConnection
    public let topology: Topology
    public let configuration: RecorderConfiguration
    public let logger: Logger

    public init(amqp: AMQPConnection, database: PostgresConnection, topology: Topology = Topology(),
                configuration: RecorderConfiguration = RecorderConfiguration(),
                logger: Logger = Logger(label: "tilefleet.recorder")) {
        self.amqp = amqp
        self.database = database
        self.topology = topology
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        let consumeChannel = try await amqp.openChannel()
        try await topology.declare(on: consumeChannel)
        try await consumeChannel.setPrefetch(UInt16(configuration.prefetch))
        let deadChannel = try await amqp.openChannel()
        try await deadChannel.enablePublisherConfirms()
        let consumer = try await consumeChannel.consume(queue: topology.recorderQueue)
        let buffer = DeliveryBuffer()
        let store = EventStore(connection: database)
        logger.info("recorder consuming", metadata: ["queue": "\(topology.recorderQueue)", "batch": "\(configuration.batchSize)"])

        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask {
                    for await delivery in consumer { buffer.append(ParsedDelivery(delivery)) }
                    buffer.finish()
                }
                while let batch = await buffer.nextBatch(max: configuration.batchSize, maxWait: configuration.maxWait) {
                    try await write(batch, store: store, consumeChannel: consumeChannel, deadChannel: deadChannel)
                }
            }
        } onGracefulShutdown: {
            // Stop taking deliveries; the batches already buffered are written and acked first.
            Task { try? await consumer.cancel() }
        }
        logger.info("recorder stopped")
    }

    private func write(_ batch: [ParsedDelivery], store: EventStore, consumeChannel: AMQPChannel,
                       deadChannel: AMQPChannel) async throws {
        let plan = RecorderBatch(batch)
        var attempt = 0
        while true {
            attempt += 1
            do {
                let outcome = try await store.apply(plan.events, rejections: plan.rejections)
                var dead = plan.rejected
                for id in outcome.unknownTile {
                    if let delivery = plan.delivery(for: id) {
                        dead.append((delivery, "unknown tile (no such task or tile)"))
                    }
                }
                for (delivery, reason) in dead {
                    try await deadLetter(delivery, reason: reason, on: deadChannel)
                }
                try? consumeChannel.ack(batch[batch.count - 1].delivery, multiple: true)
                if !dead.isEmpty {
                    logger.warning("events rejected", metadata: ["count": "\(dead.count)", "first_reason": "\(dead[0].1)"])
                }
                return
            } catch let error as StorageError where error.isConnectionProblem {
                logger.warning("database unavailable; batch kept unacked, retrying",
                               metadata: ["error": "\(error)", "attempt": "\(attempt)", "events": "\(batch.count)"])
                try await Task.sleep(for: configuration.retryDelay)
            } catch let error as StorageError where batch.count > 1 {
                // One bad event must not hold back the rest: write them one by one.
                logger.error("batch failed; isolating the failing event", metadata: ["error": "\(error)"])
                for delivery in batch {
                    try await write([delivery], store: store, consumeChannel: consumeChannel, deadChannel: deadChannel)
                }
                return
            } catch let error as StorageError {
                let reason = "the database refused it: \(error)"
                let delivery = batch[0].delivery
                try await store.apply([], rejections: [EventStore.Rejection(body: delivery.body, reason: reason, routingKey: delivery.routingKey)])
                try await deadLetter(delivery, reason: reason, on: deadChannel)
                try? consumeChannel.ack(delivery)
                return
            }
        }
    }

    private func deadLetter(_ delivery: AMQPDelivery, reason: String, on channel: AMQPChannel) async throws {
        var properties = delivery.properties
        properties.headers[Topology.reasonHeader] = .string(reason)
        properties.headers["x-tilefleet-source-queue"] = .string(topology.recorderQueue)
        properties.headers["x-tilefleet-routing-key"] = .string(delivery.routingKey)
        properties.deliveryMode = .persistent
        try await channel.publishConfirmed(delivery.body, exchange: topology.deadExchange,
                                           routingKey: delivery.routingKey, properties: properties)
    }
}
