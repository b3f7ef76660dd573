import AMQP
import FleetModel
import Logging
import Synchronization
import Timing

/// A consumer of one queue that lasts until ``stop()``: when the broker cancels it (its queue was
/// deleted, or it failed over) it declares the topology again and consumes again, with backoff
/// between tries, so a role heals instead of ending while there is work. Ending for a reason other
/// than ``stop()`` throws (see ``ConsumerEndPolicy``).
public final class PersistentConsumer: Sendable {
    /// Why ``run(_:)`` threw: the consumer ended under us without a broker cancel.
    public struct Ended: Error, CustomStringConvertible {
        public let queue: String
        public let end: AMQPConsumerEnd?
        public var description: String { "the consumer of \(queue) ended: \(end.map { "\($0)" } ?? "unknown reason")" }
    }

    private struct State {
        var stopped = false
        var current: AMQPConsumer?
        var pause: Task<Void, Never>?
    }

    public let channel: AMQPChannel
    public let queue: String
    public let topology: Topology
    public let backoff: Backoff
    private let logger: Logger
    private let state = Mutex(State())

    /// The default backoff between tries to consume again: 0.5 s doubling to 30 s, with jitter.
    public static let defaultBackoff = Backoff(initial: .milliseconds(500), maximum: .seconds(30), jitter: .upTo(0.2))

    private init(channel: AMQPChannel, queue: String, topology: Topology, backoff: Backoff, logger: Logger, consumer: AMQPConsumer) {
        self.channel = channel
        self.queue = queue
        self.topology = topology
        self.backoff = backoff
        self.logger = logger
        state.withLock { $0.current = consumer }
    }

    /// Starts consuming `queue` on `channel` (whose topology the caller has declared). When the
    /// coordinator declares the topology, a queue that does not exist yet is waited for, with
    /// backoff, until the task is cancelled.
    public static func consume(queue: String, on channel: AMQPChannel, topology: Topology,
                               backoff: Backoff = defaultBackoff, logger: Logger) async throws -> PersistentConsumer {
        var attempt = 0
        var consumer: AMQPConsumer
        while true {
            do {
                consumer = try await channel.consume(queue: queue)
                break
            } catch AMQPError.channelClosed(let code, let text) where code == 404 && topology.declaredBy == .coordinator {
                attempt += 1
                if attempt == 1 || attempt.isMultiple(of: 10) {
                    logger.notice("waiting for the coordinator to declare the queue", metadata: ["queue": "\(queue)", "broker": "\(text)"])
                }
                try await Task.sleep(for: backoff.delay(attempt: attempt))
            }
        }
        return PersistentConsumer(channel: channel, queue: queue, topology: topology, backoff: backoff, logger: logger, consumer: consumer)
    }

    private var isStopped: Bool { state.withLock { $0.stopped } }

    /// Hands every delivery to `body` until ``stop()`` or task cancellation; throws ``Ended`` if the
    /// consumer ends for any other reason than a broker cancel.
    public func run(_ body: (AMQPDelivery) async -> Void) async throws {
        guard var consumer = state.withLock({ $0.current }) else { return }
        var failures = 0
        while true {
            var delivered = false
            for await delivery in consumer {
                delivered = true
                await body(delivery)
            }
            if delivered { failures = 0 }
            switch ConsumerEndPolicy.decide(consumer.end, stopping: isStopped || Task.isCancelled) {
            case .stop:
                return
            case .fail:
                throw Ended(queue: queue, end: consumer.end)
            case .consumeAgain:
                logger.warning("consumer cancelled by the broker (queue deleted?); declaring the topology to restore it",
                               metadata: ["queue": "\(queue)"])
            }
            while true {
                failures += 1
                let delay = backoff.delay(attempt: failures)
                guard await pause(delay) else { return }
                do {
                    try await topology.declareAsConsumer(on: channel)
                    consumer = try await channel.consume(queue: queue)
                    logger.notice("consumer restored", metadata: ["queue": "\(queue)", "attempt": "\(failures)"])
                    break
                } catch {
                    logger.warning("could not restore the consumer; retrying", metadata: [
                        "queue": "\(queue)", "attempt": "\(failures)", "error": "\(error)",
                    ])
                }
            }
            let stoppedMeanwhile = state.withLock { state in
                state.current = consumer
                return state.stopped
            }
            if stoppedMeanwhile { try? await consumer.cancel() }
        }
    }

    /// Stops consuming: cancels the consumer (deliveries not yet handled stay unacked) and ends a
    /// pause between tries, so ``run(_:)`` returns once the deliveries already buffered are handed out.
    public func stop() async {
        let (consumer, pause) = state.withLock { state in
            state.stopped = true
            return (state.current, state.pause)
        }
        pause?.cancel()
        try? await consumer?.cancel()
    }

    /// Waits `delay` unless stopped or cancelled meanwhile; false if so.
    private func pause(_ delay: Duration) async -> Bool {
        let sleep = Task { _ = try? await Task.sleep(for: delay) }
        let started = state.withLock { state in
            guard !state.stopped else { return false }
            state.pause = sleep
            return true
        }
        guard started else {
            sleep.cancel()
            return false
        }
        await withTaskCancellationHandler {
            await sleep.value
        } onCancel: {
            sleep.cancel()
        }
        state.withLock { $0.pause = nil }
        return !isStopped && !Task.isCancelled
    }
}
