import AMQP
import ArgumentParser
import FleetModel
import Foundation
import Logging
import Timing

/// `tilefleet bench amqp`: persistent publish-with-confirms and consume-with-batched-acks throughput
/// through the AMQP wrapper, against a real broker.
///
/// A synchronous command that runs its async body to completion: the root command is currently entered
/// through argument-parser's synchronous `main()`, which never calls an `AsyncParsableCommand`'s `run()`.
/// Blocking the main thread here is fine: it is not a cooperative-pool thread.
struct BenchAMQP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "amqp",
        abstract: "Measure persistent publish-with-confirms and consume-with-batched-acks throughput."
    )

    @Option(help: "Broker URL (default: $TILEFLEET_AMQP_URL, else the local services' broker on port 5673).")
    var url: String?

    @Option(help: "Number of messages.")
    var messages: Int = 100_000

    @Option(help: "Message body size in bytes.")
    var size: Int = 64

    @Option(help: "Unconfirmed publishes in flight.")
    var window: Int = 1000

    @Option(help: "Consumer prefetch.")
    var prefetch: UInt16 = 1000

    @Option(help: "Acknowledge with one multiple-ack every this many deliveries.")
    var ackEvery: Int = 250

    /// The queue type measured.
    enum QueueType: String, ExpressibleByArgument, CaseIterable {
        case classicV1 = "classic-v1", classicV2 = "classic-v2", quorum

        var arguments: AMQPTable {
            switch self {
            case .classicV1: ["x-queue-type": .string("classic"), "x-queue-version": .int(1)]
            case .classicV2: ["x-queue-type": .string("classic"), "x-queue-version": .int(2)]
            case .quorum: ["x-queue-type": .string("quorum")]
            }
        }
    }

    @Option(help: "The queue type: classic-v1, classic-v2 or quorum.")
    var queueType: QueueType = .classicV1

    func validate() throws {
        guard messages > 0, size >= 0, window > 0, prefetch > 0, ackEvery > 0 else {
            throw ValidationError("--messages, --window, --prefetch and --ack-every must be positive, --size not negative")
        }
    }

    func run() throws {
        let outcome = Outcome()
        let semaphore = DispatchSemaphore(value: 0)
        let command = self
        Task {
            do {
                try await command.measure()
            } catch {
                outcome.error = error
            }
            semaphore.signal()
        }
        semaphore.wait()
        if let error = outcome.error { throw error }
    }

    private func measure() async throws {
        let url = url ?? ProcessInfo.processInfo.environment["TILEFLEET_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5673/%2F"
        var logger = Logger(label: "tilefleet.bench.amqp")
        logger.logLevel = .warning
        let connection = try await AMQPConnection.connect(AMQPConfiguration(url: url), logger: logger)
        let channel = try await connection.openChannel()
        let queue = "tilefleet.bench.\(UUID().uuidString.prefix(8).lowercased())"
        try await channel.declareQueue(queue, durable: true, arguments: queueType.arguments)
        try await channel.enablePublisherConfirms(window: window)
        let body = [UInt8](repeating: 0x61, count: size)
        let properties = AMQPProperties(contentType: "application/octet-stream")

        print("AMQP benchmark (\(queueType.rawValue) queue): \(messages) persistent messages of \(size) bytes, window \(window), prefetch \(prefetch), ack every \(ackEvery)")
        let clock = ContinuousClock()
        let publishStart = clock.now
        for _ in 0..<messages {
            try await channel.publish(body, routingKey: queue, properties: properties)
        }
        try await channel.waitForConfirms()
        let publishSeconds = (clock.now - publishStart).inSeconds
        print(String(format: "publish with confirms: %.0f msg/s (%.2f s)", Double(messages) / publishSeconds, publishSeconds))

        let consumerChannel = try await connection.openChannel()
        try await consumerChannel.setPrefetch(prefetch)
        let consumeStart = clock.now
        let consumer = try await consumerChannel.consume(queue: queue)
        var received = 0
        for await delivery in consumer {
            received += 1
            if received % ackEvery == 0 || received == messages {
                try consumerChannel.ack(delivery, multiple: true)
            }
            if received == messages { break }
        }
        let consumeSeconds = (clock.now - consumeStart).inSeconds
        print(String(format: "consume with batched acks: %.0f msg/s (%.2f s)", Double(received) / consumeSeconds, consumeSeconds))

        try await consumer.cancel()
        try await channel.deleteQueue(queue)
        await connection.close()
    }

    /// Carries the async body's error back to the waiting thread.
    private final class Outcome: @unchecked Sendable {
        var error: (any Error)?
    }
}
