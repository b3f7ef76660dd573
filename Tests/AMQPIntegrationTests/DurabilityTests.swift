import AMQP
import Foundation
import Logging
import Testing
import TestSupport

/// Confirmed means durable: RabbitMQ restarted while messages flow, on each queue type the fleet
/// may use. Every message the client was told is confirmed must be delivered at least once when
/// published straight to a queue, on every type. Through a delay queue (message TTL, then
/// dead-lettered back, as the worker's items travel through the wait tiers) only quorum queues
/// with at-least-once dead-lettering promise that: classic queues dead-letter at most once, and a
/// restart dropped 2 of several thousand there in one run — for the fleet, the leases and the
/// coordinator's recovery pass cover that (`RecoveryTests`).
@Suite struct DurabilityTests {
    enum QueueType: String, CaseIterable, Sendable {
        case classicV1 = "classic v1"
        case classicV2 = "classic v2"
        case quorum

        var arguments: AMQPTable {
            switch self {
            case .classicV1: ["x-queue-version": 1]
            case .classicV2: ["x-queue-version": 2]
            case .quorum: ["x-queue-type": "quorum"]
            }
        }

        /// Quorum queues dead-letter at least once only when asked to (which needs reject-publish).
        var delayArguments: AMQPTable {
            self == .quorum ? ["x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"] : [:]
        }

        /// A private broker of its own, so the restarts of parallel tests do not meet.
        var port: Int {
            switch self {
            case .classicV1: 5700
            case .classicV2: 5702
            case .quorum: 5704
            }
        }
    }

    static let logger: Logger = {
        var logger = Logger(label: "durability-tests")
        logger.logLevel = .warning
        return logger
    }()

    @Test(.timeLimit(.minutes(5)), arguments: QueueType.allCases)
    func everyConfirmedMessageArrivesAfterABrokerRestart(_ type: QueueType) async throws {
        let broker = TestEnvironment.PrivateService("rabbitmq", port: type.port)
        try await broker.start()
        defer { try? broker.stop() }
        var configuration = try AMQPConfiguration(url: broker.amqpURL)
        configuration.reconnect = AMQPReconnectPolicy(initialDelay: 0.1, maxDelay: 1)
        let connection = try await AMQPConnection.connect(configuration, logger: Self.logger)
        let events = connection.events()
        let setup = try await connection.openChannel()
        let target = "durability.target"
        let delay = "durability.delay"
        try await setup.declareQueue(target, durable: true, arguments: type.arguments)
        var delayArguments = type.arguments
        for (key, value) in type.delayArguments.entries { delayArguments[key] = value }
        delayArguments["x-message-ttl"] = 200
        delayArguments["x-dead-letter-exchange"] = ""
        delayArguments["x-dead-letter-routing-key"] = .string(target)
        try await setup.declareQueue(delay, durable: true, arguments: delayArguments)

        let consumerChannel = try await connection.openChannel()
        try await consumerChannel.setPrefetch(100)
        let consumer = try await consumerChannel.consume(queue: target)
        let received = ReceivedIDs()
        let consuming = Task {
            for await delivery in consumer {
                received.insert(delivery.properties.messageID ?? "?")
                try? consumerChannel.ack(delivery)
            }
        }

        let direct = ConfirmedPublisher(prefix: "d", routingKey: target)
        let delayed = ConfirmedPublisher(prefix: "t", routingKey: delay)
        let publishers = [direct, delayed]
        var tasks: [Task<Void, Never>] = []
        for publisher in publishers {
            let channel = try await connection.openChannel()
            try await channel.enablePublisherConfirms(window: 50)
            tasks.append(Task { await publisher.run(on: channel) })
        }

        #expect(try await eventually { direct.confirmed.count > 200 && delayed.confirmed.count > 200 })
        try await broker.restart()
        var reconnected = false
        for await event in events {
            if case .reconnected = event {
                reconnected = true
                break
            }
        }
        #expect(reconnected)
        let before = (direct.confirmed.count, delayed.confirmed.count)
        #expect(try await eventually { direct.confirmed.count > before.0 + 200 && delayed.confirmed.count > before.1 + 200 },
                "publishing did not resume after the restart")
        for publisher in publishers { publisher.stop.insert("stop") }
        for task in tasks { await task.value }

        try await eventually(timeout: .seconds(60)) {
            direct.confirmed.snapshot.isSubset(of: received.snapshot) && delayed.confirmed.snapshot.isSubset(of: received.snapshot)
        }
        let lostDirect = direct.confirmed.snapshot.subtracting(received.snapshot)
        let lostDelayed = delayed.confirmed.snapshot.subtracting(received.snapshot)
        #expect(lostDirect.isEmpty, "\(type.rawValue): \(lostDirect.count) of \(direct.confirmed.count) confirmed messages published to the queue never arrived: \(lostDirect.sorted().prefix(10))")
        #expect(type != .quorum || lostDelayed.isEmpty, "\(type.rawValue): \(lostDelayed.count) of \(delayed.confirmed.count) confirmed messages sent through the delay queue never arrived: \(lostDelayed.sorted().prefix(10))")
        #expect(direct.failed.count + delayed.failed.count > 0, "the restart should have failed some publishes")

        try await consumer.cancel()
        consuming.cancel()
        await connection.close()
    }
}

/// Publishes `<prefix>-0`, `<prefix>-1`, … with confirms until told to stop, keeping which ones
/// the broker confirmed and which failed.
final class ConfirmedPublisher: Sendable {
    let prefix: String
    let routingKey: String
    let confirmed = ReceivedIDs()
    let failed = ReceivedIDs()
    let stop = ReceivedIDs()

    init(prefix: String, routingKey: String) {
        self.prefix = prefix
        self.routingKey = routingKey
    }

    func run(on channel: AMQPChannel) async {
        var i = 0
        while stop.isEmpty {
            let id = "\(prefix)-\(i)"
            i += 1
            do {
                try await channel.publishConfirmed(Array(id.utf8), routingKey: routingKey, properties: AMQPProperties(messageID: id))
                confirmed.insert(id)
            } catch {
                failed.insert(id)
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
    }
}
