import AMQP
import FleetModel
import Foundation
import Logging
import Messaging
import Postgres
import ServiceLifecycle
import Storage

/// The writer of status events: consumes `tilefleet.recorder` in batches, writes each batch in
/// one transaction, and acknowledges only after the commit.
///
/// With several database connections, that many batches are written at once; the writes
/// commute, so batches may commit in any order, while acknowledgements go out in delivery order
/// (a multiple-ack for a batch is sent once every earlier batch has committed). Malformed events
/// and events for unknown tiles are stored in `rejected_events` and published to `tilefleet.dead`
/// with the reason before the batch is acknowledged; so are events out of bounds (oversize fields,
/// a time beyond the clock skew, an attempt the tile cannot have: see ``RecorderBatch`` and
/// `EventStore.apply`). While the database is down the batch is
/// retried and nothing is acknowledged; a lost broker connection leaves the batch unacknowledged,
/// so the broker redelivers it and the idempotent store absorbs the repeat.
public struct RecorderService: Service {
    public let amqp: AMQPConnection
    public let databases: [PostgresConnection]
    public let topology: Topology
    public let configuration: RecorderConfiguration
    public let metrics: RecorderMetrics
    public let logger: Logger

    /// A recorder writing through `databases`, one batch in flight per connection.
    public init(amqp: AMQPConnection, databases: [PostgresConnection], topology: Topology = Topology(),
                configuration: RecorderConfiguration = RecorderConfiguration(), metrics: RecorderMetrics = RecorderMetrics(),
                logger: Logger = Logger(label: "tilefleet.recorder")) {
        precondition(!databases.isEmpty, "the recorder needs at least one database connection")
        self.amqp = amqp
        self.databases = databases
        self.topology = topology
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
    }

    /// A recorder writing one batch at a time through `database`.
    public init(amqp: AMQPConnection, database: PostgresConnection, topology: Topology = Topology(),
                configuration: RecorderConfiguration = RecorderConfiguration(),
                logger: Logger = Logger(label: "tilefleet.recorder")) {
        self.init(amqp: amqp, databases: [database], topology: topology, configuration: configuration, logger: logger)
    }

    public func run() async throws {
        let consumeChannel = try await amqp.openChannel()
        try await topology.declareAsConsumer(on: consumeChannel)
        try await consumeChannel.setPrefetch(UInt16(configuration.prefetch(writers: databases.count)))
        let deadChannel = try await amqp.openChannel()
        try await deadChannel.enablePublisherConfirms()
        let consumer = try await PersistentConsumer.consume(queue: topology.recorderQueue, on: consumeChannel,
                                                            topology: topology, logger: logger)
        let buffer = DeliveryBuffer<ParsedDelivery>()
        let acks = OrderedAcknowledgements(channel: consumeChannel)
        logger.info("recorder consuming", metadata: [
            "queue": "\(topology.recorderQueue)", "batch": "\(configuration.batchSize)", "writers": "\(databases.count)",
        ])

        let signing = configuration.signing
        try await withGracefulShutdownHandler {
            // One group for the consumer and every write: a write that fails cancels the consumer,
            // so the buffer drains, the loop ends and the error surfaces at once.
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask {
                    // A broker cancel (the queue deleted) is healed inside; any other end fails the recorder.
                    defer { buffer.finish() }
                    try await consumer.run { buffer.append(ParsedDelivery($0, signing: signing)) }
                }
                let writers = WriterPool(databases.map(EventStore.init(connection:)))
                // Group commit: a batch is cut once a writer is free, so while every writer is busy
                // the deliveries arriving make the next batch, and a lone event is written at once.
                while true {
                    let store = await writers.take()
                    guard let batch = await buffer.nextBatch(max: configuration.batchSize, maxWait: configuration.maxWait),
                          !group.isCancelled else {
                        writers.give(store)
                        break
                    }
                    let number = acks.begin()
                    group.addTask {
                        defer { writers.give(store) }
                        let started = ContinuousClock.now
                        let rejected = try await write(batch, store: store, deadChannel: deadChannel)
                        metrics.written(count: batch.count, rejected: rejected, duration: ContinuousClock.now - started)
                        acks.committed(number, last: batch[batch.count - 1].delivery)
                    }
                }
            }
        } onGracefulShutdown: {
            // Stop taking deliveries; the batches already buffered are written and acked first.
            Task { await consumer.stop() }
        }
        logger.info("recorder stopped")
    }

    /// Stores `batch` (or, if the database refuses it, each event on its own), dead-letters what
    /// cannot be stored, and returns once all of it is committed, with the number of messages
    /// rejected. Acknowledging is the caller's.
    private func write(_ batch: [ParsedDelivery], store: EventStore, deadChannel: AMQPChannel) async throws -> Int {
        let plan = RecorderBatch(batch, now: Date(), clockSkew: configuration.clockSkew)
        var attempt = 0
        while true {
            attempt += 1
            do {
                let outcome = try await store.apply(plan.events, heartbeats: plan.heartbeats, tick: plan.tick, rejections: plan.rejections,
                                                    clockSkew: configuration.clockSkew)
                var dead = plan.rejected
                for id in outcome.unknownTile {
                    if let delivery = plan.delivery(for: id) {
                        dead.append((delivery, "unknown tile (no such task or tile)"))
                    }
                }
                for (id, reason) in outcome.outOfBounds.sorted(by: { $0.key.uuidString < $1.key.uuidString }) {
                    if let delivery = plan.delivery(for: id) { dead.append((delivery, reason)) }
                }
                for (delivery, reason) in dead {
                    try await deadLetter(delivery, reason: reason, on: deadChannel)
                }
                if !dead.isEmpty {
                    logger.warning("events rejected", metadata: ["count": "\(dead.count)", "first_reason": "\(dead[0].1)"])
                }
                return dead.count
            } catch let error as StorageError {
                switch WriteFailurePolicy.decide(WriteFailurePolicy.failure(of: error), batchCount: batch.count) {
                case .waitAndRetry:
                    metrics.retried(reason: "database_unavailable")
                    logger.warning("database unavailable; batch kept unacked, retrying",
                                   metadata: ["error": "\(error)", "attempt": "\(attempt)", "events": "\(batch.count)"])
                    try await Task.sleep(for: configuration.retryDelay)
                case .rerun:
                    metrics.retried(reason: "race")
                    logger.notice("batch lost a race with a concurrent writer; rerunning",
                                  metadata: ["error": "\(error)", "attempt": "\(attempt)"])
                case .split:
                    logger.error("batch failed; isolating the failing event", metadata: ["error": "\(error)"])
                    var rejected = 0
                    for delivery in batch {
                        rejected += try await write([delivery], store: store, deadChannel: deadChannel)
                    }
                    return rejected
                case .reject:
                    let delivery = batch[0].delivery
                    let reason = "the database refused it: \(error)"
                    try await storeRejection(EventStore.Rejection(body: delivery.body, reason: reason, routingKey: delivery.routingKey),
                                             store: store)
                    try await deadLetter(delivery, reason: reason, on: deadChannel)
                    return 1
                }
            }
        }
    }

    /// Keeps a message the database refused in `rejected_events`, retrying while the database is away.
    private func storeRejection(_ rejection: EventStore.Rejection, store: EventStore) async throws {
        while true {
            let failure: StorageError?
            do {
                try await store.apply([], rejections: [rejection])
                failure = nil
            } catch {
                failure = error
            }
            guard let failure else { return }
            guard failure.isConnectionProblem else { throw failure }
            logger.warning("database unavailable; rejected event kept unacked, retrying", metadata: ["error": "\(failure)"])
            try await Task.sleep(for: configuration.retryDelay)
        }
    }

    private func deadLetter(_ delivery: AMQPDelivery, reason: String, on channel: AMQPChannel) async throws {
        try await topology.deadLetter(delivery, reason: reason, sourceQueue: topology.recorderQueue, on: channel)
    }
}
