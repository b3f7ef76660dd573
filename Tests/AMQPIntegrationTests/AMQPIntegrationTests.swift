import Foundation
import Logging
import Testing
import TestSupport
@testable import AMQP

/// Against the real RabbitMQ of `deploy/local/services.sh`; a missing broker fails these tests.
/// Serialized to keep the throughput test alone on the broker; the restart test uses a private broker.
@Suite("AMQP against RabbitMQ", .serialized)
struct AMQPIntegrationTests {
    static let logger: Logger = {
        var logger = Logger(label: "amqp-tests")
        logger.logLevel = .warning
        return logger
    }()

    func connect() async throws -> AMQPConnection {
        var configuration = try AMQPConfiguration(url: TestEnvironment.amqpURL)
        configuration.heartbeat = 5
        configuration.reconnect = AMQPReconnectPolicy(initialDelay: 0.1, maxDelay: 2)
        configuration.connectionName = "tilefleet AMQPTests"
        return try await AMQPConnection.connect(configuration, logger: Self.logger)
    }

    func unique(_ name: String) -> String { "test.\(name).\(UUID().uuidString.prefix(8).lowercased())" }

    @Test func publishesTenThousandWithConfirmsAndConsumesEachExactlyOnce() async throws {
        let connection = try await connect()
        let publisher = try await connection.openChannel()
        let queue = unique("bulk")
        try await publisher.declareQueue(queue, durable: true)
        try await publisher.enablePublisherConfirms(window: 1000)

        let total = 10_000
        for i in 0..<total {
            try await publisher.publish(
                Array("message \(i)".utf8), routingKey: queue,
                properties: AMQPProperties(contentType: "text/plain", headers: ["index": .int(Int64(i))], messageID: "m-\(i)")
            )
        }
        try await publisher.waitForConfirms()
        #expect(try await publisher.declareQueue(queue, durable: true).messageCount == UInt32(total))

        let consumerChannel = try await connection.openChannel()
        try await consumerChannel.setPrefetch(1000)
        let consumer = try await consumerChannel.consume(queue: queue)
        var seen = Set<String>()
        var duplicates = 0
        var received = 0
        for await delivery in consumer {
            received += 1
            let id = delivery.properties.messageID ?? "?"
            if !seen.insert(id).inserted { duplicates += 1 }
            #expect(delivery.properties.deliveryMode == .persistent)
            #expect(delivery.routingKey == queue)
            #expect(delivery.headers["index"] == .int(Int64(id.dropFirst(2)) ?? -1))
            #expect(String(decoding: delivery.body, as: UTF8.self) == "message \(id.dropFirst(2))")
            if received % 250 == 0 || received == total {
                try consumerChannel.ack(delivery, multiple: true)
            }
            if received == total { break }
        }
        try await consumer.cancel()
        #expect(received == total)
        #expect(duplicates == 0)
        #expect(seen == Set((0..<total).map { "m-\($0)" }))
        // Acks are asynchronous: the queue empties once the broker has processed the last one.
        #expect(try await eventually { try await publisher.declareQueue(queue, durable: true).messageCount == 0 })
        try await publisher.deleteQueue(queue)
        await connection.close()
    }

    @Test func nackWithoutRequeueReachesTheDeadLetterQueue() async throws {
        let connection = try await connect()
        let channel = try await connection.openChannel()
        let deadExchange = unique("dead")
        let deadQueue = unique("dead")
        let workQueue = unique("work")
        try await channel.declareExchange(deadExchange, type: .direct)
        try await channel.declareQueue(deadQueue)
        try await channel.bindQueue(deadQueue, exchange: deadExchange, routingKey: "dead")
        try await channel.declareQueue(workQueue, arguments: [
            "x-dead-letter-exchange": .string(deadExchange), "x-dead-letter-routing-key": "dead",
        ])
        try await channel.enablePublisherConfirms()
        try await channel.publishConfirmed(Array("poison".utf8), routingKey: workQueue, properties: AMQPProperties(messageID: "poison-1"))

        let work = try await channel.consume(queue: workQueue)
        var iterator = work.makeAsyncIterator()
        let delivery = try #require(await iterator.next())
        #expect(delivery.properties.messageID == "poison-1")
        #expect(!delivery.redelivered)
        try channel.nack(delivery, requeue: false)

        let dead = try await channel.consume(queue: deadQueue)
        var deadIterator = dead.makeAsyncIterator()
        let deadLettered = try #require(await deadIterator.next())
        #expect(deadLettered.properties.messageID == "poison-1")
        #expect(deadLettered.body == Array("poison".utf8))
        #expect(deadLettered.routingKey == "dead")
        guard case .array(let deaths) = deadLettered.headers["x-death"], case .table(let death) = deaths.first else {
            Issue.record("x-death header missing: \(deadLettered.headers)")
            return
        }
        #expect(death["reason"] == "rejected")
        try channel.ack(deadLettered)

        try await channel.deleteQueue(workQueue)
        try await channel.deleteQueue(deadQueue)
        try await channel.deleteExchange(deadExchange)
        await connection.close()
    }

    @Test func ttlQueueDeadLettersBackAfterItsDelay() async throws {
        let connection = try await connect()
        let channel = try await connection.openChannel()
        let target = unique("target")
        let wait = unique("wait300ms")
        try await channel.declareQueue(target)
        try await channel.declareQueue(wait, arguments: [
            "x-message-ttl": 300, "x-dead-letter-exchange": "", "x-dead-letter-routing-key": .string(target),
        ])
        try await channel.enablePublisherConfirms()
        let consumer = try await channel.consume(queue: target)
        let start = ContinuousClock.now
        try await channel.publishConfirmed(Array("poll later".utf8), routingKey: wait, properties: AMQPProperties(messageID: "delayed"))
        var iterator = consumer.makeAsyncIterator()
        let delivery = try #require(await iterator.next())
        let elapsed = ContinuousClock.now - start
        #expect(delivery.properties.messageID == "delayed")
        #expect(elapsed >= .milliseconds(280))
        try channel.ack(delivery)
        try await channel.deleteQueue(wait)
        try await channel.deleteQueue(target)
        await connection.close()
    }

    @Test func quorumQueueAndChannelErrorRecovery() async throws {
        let connection = try await connect()
        let channel = try await connection.openChannel()
        let queue = unique("quorum")
        try await channel.declareQueue(queue, arguments: ["x-queue-type": "quorum", "x-delivery-limit": 5])
        // Redeclaring with other arguments is a 406 that closes the channel; it must come back usable.
        await #expect(throws: AMQPError.self) {
            try await channel.declareQueue(queue, arguments: ["x-queue-type": "classic"])
        }
        do {
            try await channel.declareQueue(queue, arguments: ["x-queue-type": "classic"])
        } catch let error as AMQPError {
            guard case .channelClosed(let code, _) = error else { throw error }
            #expect(code == 406)
        }
        // Consuming a missing queue is a 404, and the consumer stream must not leak.
        await #expect(throws: AMQPError.self) {
            _ = try await channel.consume(queue: unique("missing"))
        }
        try await channel.enablePublisherConfirms()
        try await channel.publishConfirmed(Array("q".utf8), routingKey: queue)
        #expect(try await channel.declareQueue(queue, arguments: ["x-queue-type": "quorum", "x-delivery-limit": 5]).messageCount == 1)
        try await channel.deleteQueue(queue)
        await connection.close()
    }

    @Test func unroutableMandatoryPublishIsReturned() async throws {
        let connection = try await connect()
        let channel = try await connection.openChannel()
        try await channel.enablePublisherConfirms()
        await #expect(throws: AMQPError.publishReturned(replyCode: 312, replyText: "NO_ROUTE")) {
            try await channel.publishConfirmed(
                Array("lost".utf8), routingKey: unique("nowhere"), mandatory: true, properties: AMQPProperties(messageID: UUID().uuidString)
            )
        }
        // Without the mandatory flag the broker confirms and drops it.
        try await channel.publishConfirmed(Array("dropped".utf8), routingKey: unique("nowhere"))
        await connection.close()
    }

    @Test func operationsAfterCloseFail() async throws {
        let connection = try await connect()
        let channel = try await connection.openChannel()
        await connection.close()
        await #expect(throws: AMQPError.connectionClosed) {
            try await channel.declareQueue(unique("closed"))
        }
        #expect(!connection.isConnected)
    }

    @Test func wrongCredentialsFailWithoutLeakingThePassword() async throws {
        var url = try AMQPURL(TestEnvironment.amqpURL)
        url.password = "definitely-wrong-pw"
        do {
            _ = try await AMQPConnection.connect(AMQPConfiguration(url: url), logger: Self.logger)
            Issue.record("login with a wrong password succeeded")
        } catch {
            #expect(!"\(error)".contains("definitely-wrong-pw"))
            #expect("\(error)".contains("***"))
        }
    }

    /// Restarts RabbitMQ under a connected publisher and consumer: the client must reconnect, restore
    /// the queue and consumer, carry on, and never report a lost publish as confirmed.
    @Test(.timeLimit(.minutes(3))) func reconnectsAfterABrokerRestart() async throws {
        // A private broker, so restarting it disturbs no other test.
        let broker = TestEnvironment.PrivateService("rabbitmq", port: 5680)
        try await broker.start()
        defer { try? broker.stop() }
        let connection = try await AMQPConnection.connect(url: broker.amqpURL)
        let events = connection.events()
        let publisher = try await connection.openChannel()
        let queue = unique("restart")
        try await publisher.declareQueue(queue, durable: true)
        try await publisher.enablePublisherConfirms(window: 100)
        let consumerChannel = try await connection.openChannel()
        try await consumerChannel.setPrefetch(50)
        let consumer = try await consumerChannel.consume(queue: queue)

        let received = ReceivedIDs()
        let consuming = Task {
            for await delivery in consumer {
                received.insert(delivery.properties.messageID ?? "?")
                do {
                    try consumerChannel.ack(delivery)
                } catch {
                    // Stale or unavailable: the broker redelivers it.
                }
            }
        }

        let confirmed = ReceivedIDs()
        let failed = ReceivedIDs()
        let stop = ReceivedIDs()
        let publishing = Task {
            var i = 0
            while stop.isEmpty {
                let id = "r-\(i)"
                i += 1
                do {
                    try await publisher.publishConfirmed(Array(id.utf8), routingKey: queue, properties: AMQPProperties(messageID: id))
                    confirmed.insert(id)
                } catch {
                    failed.insert(id)
                    try? await Task.sleep(for: .milliseconds(50))
                }
            }
        }

        #expect(try await eventually { confirmed.count > 0 }, "nothing was confirmed before the restart")

        try await broker.restart()
        let (sawDisconnect, sawReconnect) = try await within(.seconds(90), "reconnecting after the restart") {
            var sawDisconnect = false
            for await event in events {
                if case .disconnected = event { sawDisconnect = true }
                if case .reconnected = event { return (sawDisconnect, true) }
            }
            return (sawDisconnect, false)
        }
        #expect(sawDisconnect)
        #expect(sawReconnect)
        #expect(connection.isConnected)

        // Carry on after the restart.
        let confirmedAtReconnect = confirmed.count
        #expect(try await eventually { confirmed.count > confirmedAtReconnect }, "no publish was confirmed after the reconnect")
        stop.insert("stop")
        await publishing.value

        // Everything the client reported as confirmed must arrive (at least once).
        try await eventually { confirmed.snapshot.isSubset(of: received.snapshot) }
        let missing = confirmed.snapshot.subtracting(received.snapshot)
        #expect(missing.isEmpty, "confirmed but never delivered: \(missing.prefix(10))")
        #expect(failed.count > 0, "some publishes should have failed during the outage")

        try await consumer.cancel()
        consuming.cancel()
        try await publisher.deleteQueue(queue)
        await connection.close()
    }

    /// Restarts RabbitMQ under a connection whose recorded binding refers to an exchange only another
    /// connection declared, not durable, so gone after the restart: the last replay step (the binding)
    /// is refused with 404 and its channel closed. Recovery must still finish, with the channel
    /// reopened and its consumer restored.
    @Test(.timeLimit(.minutes(3))) func reconnectsWhenTheLastReplayStepIsRefused() async throws {
        let broker = TestEnvironment.PrivateService("rabbitmq", port: 5684)
        try await broker.start()
        defer { try? broker.stop() }
        var configuration = try AMQPConfiguration(url: broker.amqpURL)
        configuration.reconnect = AMQPReconnectPolicy(initialDelay: 0.2, maxDelay: 1)
        let connection = try await AMQPConnection.connect(configuration, logger: Self.logger)
        let events = connection.events()

        let exchange = unique("transient")
        let other = try await AMQPConnection.connect(url: broker.amqpURL, logger: Self.logger)
        try await other.openChannel().declareExchange(exchange, type: .fanout, durable: false)
        await other.close()

        let channel = try await connection.openChannel()
        let queue = unique("refused")
        try await channel.declareQueue(queue, durable: true)
        try await channel.bindQueue(queue, exchange: exchange)
        let consumer = try await channel.consume(queue: queue)

        try await broker.restart()
        let sawReconnect = try await within(.seconds(90), "reconnecting after the restart") {
            for await event in events {
                if case .reconnected = event { return true }
            }
            return false
        }
        #expect(sawReconnect)
        #expect(connection.isConnected)

        try await within(.seconds(30), "publishing after the reconnect") {
            try await channel.publish(Array("after".utf8), routingKey: queue)
        }
        let delivery = try await within(.seconds(30), "the delivery to the restored consumer") {
            var deliveries = consumer.makeAsyncIterator()
            return await deliveries.next()
        }
        #expect(delivery.map { String(decoding: $0.body, as: UTF8.self) } == "after")
        if let delivery { try channel.ack(delivery) }
        try await within(.seconds(30), "deleting the queue") { try await channel.deleteQueue(queue) }
        try await within(.seconds(30), "closing the connection") { await connection.close() }
    }

    /// A replay step the broker accepts but never answers, on a connection its heartbeats keep
    /// alive: the queue's process is suspended, so redeclaring the queue waits for good. The
    /// replay is abandoned after the policy's replay timeout and tried again on a new connection;
    /// once the queue answers again the connection is restored and its consumer gets deliveries.
    /// Without the bound the connection stayed reconnecting and `.reconnected` never came.
    @Test(.timeLimit(.minutes(3))) func aReplayTheBrokerStopsAnsweringIsAbandonedAndRetried() async throws {
        let broker = TestEnvironment.PrivateService("rabbitmq", port: 5696)
        try await broker.start()
        defer { try? broker.stop() }
        var configuration = try AMQPConfiguration(url: broker.amqpURL)
        configuration.reconnect = AMQPReconnectPolicy(initialDelay: 0.2, maxDelay: 1, replayTimeout: 2)
        let connection = try await AMQPConnection.connect(configuration, logger: Self.logger)
        let events = connection.events()
        let channel = try await connection.openChannel()
        let queue = unique("stalled")
        try await channel.declareQueue(queue, durable: true)
        let consumer = try await channel.consume(queue: queue)

        let queueProcess = "amqqueue:get_pid(element(2, rabbit_amqqueue:lookup(rabbit_misc:r(<<\"/\">>, queue, <<\"\(queue)\">>))))"
        _ = try await broker.rabbitmqctl(["eval", "sys:suspend(\(queueProcess))."])
        _ = try await broker.rabbitmqctl(["close_all_connections", "the test stalls the replay"])
        // One pass over the events: the queue answers again once a stalled replay was abandoned.
        let (stalled, reconnected) = try await within(.seconds(120), "abandoning the stalled replay, then reconnecting") {
            var stalled = false
            for await event in events {
                if case .disconnected(let reason) = event, reason.hasPrefix("replay stalled"), !stalled {
                    stalled = true
                    _ = try await broker.rabbitmqctl(["eval", "sys:resume(\(queueProcess))."])
                }
                if case .reconnected = event { return (stalled, true) }
            }
            return (stalled, false)
        }
        #expect(stalled)
        #expect(reconnected)
        #expect(connection.isConnected)

        try await within(.seconds(30), "publishing after the reconnect") {
            try await channel.publish(Array("answered".utf8), routingKey: queue)
        }
        let delivery = try await within(.seconds(30), "the delivery to the restored consumer") {
            var deliveries = consumer.makeAsyncIterator()
            return await deliveries.next()
        }
        #expect(delivery.map { String(decoding: $0.body, as: UTF8.self) } == "answered")
        if let delivery { try channel.ack(delivery) }
        try await within(.seconds(30), "deleting the queue") { try await channel.deleteQueue(queue) }
        try await within(.seconds(30), "closing the connection") { await connection.close() }
    }
}

/// A thread-safe set of ids for the tests' concurrent tasks.
final class ReceivedIDs: @unchecked Sendable {
    private let lock = NSLock()
    private var ids = Set<String>()

    func insert(_ id: String) { lock.withLock { _ = ids.insert(id) } }
    var count: Int { lock.withLock { ids.count } }
    var isEmpty: Bool { lock.withLock { ids.isEmpty } }
    var snapshot: Set<String> { lock.withLock { ids } }
}
