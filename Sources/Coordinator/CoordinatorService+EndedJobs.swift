import AMQP
import FleetModel
import Foundation
import Messaging
import Timing

extension CoordinatorService {
    /// Reads the workers' `finished` events off the events exchange into `dispatcher`
    /// (``Dispatcher/noteEnded(_:)``) through this coordinator's own queue, and wakes a pass for
    /// each job that ended, so its slot turns over without waiting for the recorder. An event
    /// without a valid tag (when an events key is configured) or that does not decode is
    /// skipped: the recorder rejects it with its reason. The queue is bound again every
    /// `recovery.heal_interval`, like the fleet's topology. Losing events costs nothing but time (the
    /// recorder's `NOTIFY` wakes the pass as before), so they are taken without acks; a consumer
    /// that ends (its connection gone for good, its queue deleted) is started again with backoff
    /// until the task is cancelled.
    func followEndedJobs(dispatcher: Dispatcher, wake: AsyncStream<Void>.Continuation) async {
        let id = "\(ProcessInfo.processInfo.hostName)-\(getpid())-\(UUID().uuidString.prefix(8).lowercased())"
        let backoff = Backoff(initial: .milliseconds(500), maximum: .seconds(30), jitter: .upTo(0.2))
        var failures = 0
        while !Task.isCancelled {
            var channel: AMQPChannel?
            do {
                let opened = try await amqp.openChannel()
                channel = opened
                let queue = try await configuration.topology.declareEndedJobsQueue(coordinator: id, on: opened)
                let consumer = try await opened.consume(queue: queue, noAck: true, exclusive: true)
                failures = 0
                // An events exchange deleted and declared again (a broker that lost its
                // definitions) loses the binding: bound again every heal interval. A bind that
                // fails closes the channel, which ends the consumer: it starts again above.
                let rebinding = Task {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: configuration.recovery.healInterval)
                        try? await configuration.topology.declareEndedJobsQueue(coordinator: id, on: opened)
                    }
                }
                defer { rebinding.cancel() }
                for await delivery in consumer {
                    guard (try? signing.check(delivery, purpose: .events)) != nil,
                          let event = try? StatusEvent.decode(delivery.body),
                          await dispatcher.noteEnded(event) else { continue }
                    metrics.jobEnded(backend: event.backend ?? "")
                    wake.yield()
                }
            } catch {
                failures += 1
                if failures == 1 || failures.isMultiple(of: 10) {
                    logger.warning("cannot follow finished jobs on the events exchange; slots turn over with the recorder's notifications",
                                   metadata: ["error": "\(error)", "tries": "\(failures)"])
                }
            }
            try? await channel?.close()
            guard !Task.isCancelled else { return }
            try? await Task.sleep(for: backoff.delay(attempt: max(failures, 1)))
        }
    }
}
