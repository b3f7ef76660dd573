import AMQP
import Backends
import FleetModel
import Foundation
import Logging
import Messaging
import ServiceLifecycle

/// A stateless worker: consumes the work queues of its backends and handles each delivery with a
/// ``WorkItemHandler`` — backend calls, then the decision's events and items published with
/// confirms, then the ack. Deliveries are handled concurrently, bounded by the prefetch.
///
/// Nothing is acked before its follow-ups are confirmed, so a worker killed at any moment loses
/// nothing: the broker redelivers its unacked items to another worker, and a redelivered submit
/// looks for its job before submitting again. A follow-up that is not confirmed (connection lost,
/// nack) leaves the item to be redelivered. On graceful shutdown it stops consuming, lets the
/// handlers in flight finish within ``WorkerConfiguration/shutdownDeadline``, and leaves the rest
/// unacked.
public struct WorkerService: Service {
    public let amqp: AMQPConnection
    public let topology: Topology
    public let backends: [String: WorkerBackend]
    public let configuration: WorkerConfiguration
    public let metrics: WorkerMetrics
    public let logger: Logger
    /// How long this worker's submits took, for the pause before a redelivered submit's lookup.
    public let submitTimings = SubmitTimings()
    /// How long each task's jobs have been taking, per backend: what polls are scheduled around.
    public let jobDurations = JobDurations.Shared()
    /// Which failing backend calls to log, so a backend that keeps failing is a warning now and
    /// then (with the count held back), not a line every few seconds.
    public let failureLog = FailureLogThrottle.Shared()
    /// Where OGC API – Processes jobs call back (``CallbackReceiver``); nil: jobs are polled only.
    public let callbacks: CallbackRegistry?

    public init(amqp: AMQPConnection, topology: Topology, backends: [String: WorkerBackend],
                configuration: WorkerConfiguration = WorkerConfiguration(), metrics: WorkerMetrics = WorkerMetrics(),
                callbacks: CallbackRegistry? = nil, logger: Logger = Logger(label: "tilefleet.worker")) {
        var topology = topology
        topology.backends = Array(Set(topology.backends).union(backends.keys)).sorted()
        self.amqp = amqp
        self.topology = topology
        self.backends = backends
        self.configuration = configuration
        self.metrics = metrics
        self.callbacks = callbacks
        self.logger = logger
    }

    public func run() async throws {
        let consumeChannel = try await amqp.openChannel()
        try await topology.declareAsConsumer(on: consumeChannel)
        try await consumeChannel.setPrefetch(UInt16(configuration.prefetch))
        let publishChannel = try await amqp.openChannel()
        try await publishChannel.enablePublisherConfirms(window: configuration.confirmWindow)
        var opened: [PersistentConsumer] = []
        var queues: [String] = []
        for name in backends.keys.sorted() {
            queues.append(topology.workQueue(backend: name))
            // A command backend's jobs run on this host: their polls and cancels come to its own queue.
            if let host = backends[name]?.policy.host {
                try await topology.declareHostQueue(backend: name, host: host, on: consumeChannel)
                queues.append(topology.workQueue(backend: name, host: host))
            }
        }
        for queue in queues {
            opened.append(try await PersistentConsumer.consume(queue: queue, on: consumeChannel, topology: topology, logger: logger))
        }
        let consumers = opened
        logger.info("worker consuming", metadata: [
            "queues": "\(queues.joined(separator: ","))",
            "prefetch": "\(configuration.prefetch)", "worker": "\(configuration.identity)",
        ])

        let stop = StopFlag()
        // The polls callbacks ask for, published at once (a lost one leaves the job to its poll chain).
        let wakes = Task { [callbacks, topology, logger, signing = configuration.signing] in
            guard let callbacks else { return }
            for await item in callbacks.wakes {
                do {
                    let body = item.encoded()
                    try await publishChannel.publishConfirmed(body, exchange: topology.workExchange, routingKey: item.routingKey,
                                                              properties: signing.tagged(AMQPProperties(contentType: "application/json"),
                                                                                         body: body, purpose: .work))
                } catch {
                    logger.warning("callback poll not published; the job's poll chain carries on", metadata: ["error": "\(error)"])
                }
            }
        }
        defer { wakes.cancel() }

        // A consumer the broker cancels is consumed again (PersistentConsumer); one that ends for
        // another reason fails the worker, which then exits non-zero instead of 0 with work queued.
        let work = Task {
            try await withThrowingDiscardingTaskGroup { group in
                for consumer in consumers {
                    group.addTask {
                        try await withThrowingDiscardingTaskGroup { handlers in
                            try await consumer.run { delivery in
                                // After shutdown began, buffered deliveries stay unacked for redelivery.
                                if stop.isSet { return }
                                handlers.addTask {
                                    await handle(delivery, consumeChannel: consumeChannel, publishChannel: publishChannel)
                                }
                            }
                        }
                    }
                }
            }
        }
        let ended = await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await work.result
            } onGracefulShutdown: { [logger, configuration] in
                stop.set()
                logger.info("shutting down: no new deliveries; finishing those in flight",
                            metadata: ["deadline": "\(configuration.shutdownDeadline)"])
                Task {
                    for consumer in consumers { await consumer.stop() }
                }
                Task {
                    try? await Task.sleep(for: configuration.shutdownDeadline)
                    work.cancel()
                }
            }
        } onCancel: {
            work.cancel()
        }
        try? await consumeChannel.close()
        try? await publishChannel.close()
        if case .failure(let error) = ended {
            logger.error("worker failed", metadata: ["error": "\(error)"])
            throw error
        }
        logger.info("worker stopped")
    }

    /// Handles one delivery: decode, backend calls, publish, settle. Never throws: whatever goes
    /// wrong leaves the delivery unacked or requeued, so it comes back.
    func handle(_ delivery: AMQPDelivery, consumeChannel: AMQPChannel, publishChannel: AMQPChannel) async {
        metrics.inFlight.increment()
        defer { metrics.inFlight.decrement() }
        var kind = "unknown"
        let decision: WorkerDecision
        var logger = self.logger
        var token: String?
        do {
            try configuration.signing.check(delivery, purpose: .work)
            var item = try WorkItem.decode(delivery.body)
            kind = item.kind.rawValue
            logger[metadataKey: "task"] = "\(item.task)"
            logger[metadataKey: "tile"] = "\(item.tile)"
            logger[metadataKey: "attempt"] = "\(item.attempt)"
            logger[metadataKey: "kind"] = "\(kind)"
            if let backend = backends[item.backend] {
                if let callbacks, item.kind == .submit, backend.backend is OGCProcessesBackend,
                   !WorkItemHandler(item: item, redelivered: delivery.redelivered, policy: backend.policy, worker: "").mustFindFirst {
                    // A fresh submit: the job will call this worker back when it succeeds.
                    let registered = callbacks.register()
                    token = registered.token
                    item.job.subscriber = registered.subscriber
                }
                guard let made = await decide(item, redelivered: delivery.redelivered, backend: backend, logger: logger) else {
                    if let token { callbacks?.forget(token) }
                    return  // cancelled by the shutdown deadline: left unacked
                }
                decision = made
            } else {
                decision = .deadLetter(reason: "this worker does not serve backend '\(item.backend)'")
            }
        } catch {
            decision = .deadLetter(reason: error.reason)
        }
        if Task.isCancelled { return }
        do {
            try await apply(decision, to: delivery, on: publishChannel)
            if let token, let callbacks {
                if decision.outcome == .submitted, let poll = decision.items.first(where: { $0.item.kind == .poll })?.item {
                    callbacks.attach(token, poll: poll)
                } else {
                    callbacks.forget(token)
                }
            }
            try consumeChannel.ack(delivery)
            metrics.handled(kind: kind, outcome: decision.outcome.rawValue)
            if case .deadLetter(let reason) = decision.settlement {
                logger.warning("message dead-lettered", metadata: ["reason": "\(reason)", "routing_key": "\(delivery.routingKey)"])
            } else if decision.outcome == .lapsed {
                logger.notice("item dropped: its lease ran out; the coordinator republishes the tile")
            } else {
                logger.debug("item handled", metadata: ["outcome": "\(decision.outcome.rawValue)"])
            }
        } catch AMQPError.staleDelivery {
            logger.info("delivery outlived a reconnect; the broker redelivers it")
        } catch {
            metrics.publishFailures.increment()
            logger.warning("follow-up not confirmed; item left for redelivery", metadata: ["error": "\(error)"])
            try? consumeChannel.nack(delivery, requeue: true)
        }
    }

    /// Runs the handler's backend calls; `nil` if cancelled meanwhile.
    func decide(_ item: WorkItem, redelivered: Bool, backend: WorkerBackend, logger: Logger) async -> WorkerDecision? {
        var policy = backend.policy
        policy.redeliveryGrace = submitTimings.grace(backend: item.backend, ceiling: policy.redeliveryGrace)
        let durations = jobDurations.durations(task: item.task, backend: item.backend)
        policy.expectedEnd = durations?.expectedEnd
        policy.stillRunning = durations?.stillRunning
        var handler = WorkItemHandler(item: item, redelivered: redelivered, policy: policy, worker: configuration.identity)
        var step = handler.start(now: Date())
        let clock = ContinuousClock()
        while case .call(let call) = step {
            let started = clock.now
            let answer = await backend.perform(call)
            if Task.isCancelled { return nil }
            var succeeded = true
            if case .failed(let error) = answer {
                succeeded = false
                if let held = failureLog.failure(backend: item.backend, now: Date()) {
                    logger.warning("backend call failed", metadata: [
                        "backend": "\(item.backend)", "call": "\(call.name)", "error": "\(error)", "failures_not_logged": "\(held)",
                    ])
                }
            }
            let duration = clock.now - started
            if case .pause = call {} else {
                metrics.backendCall(backend: item.backend, call: call.name, succeeded: succeeded, duration: duration)
            }
            if case .status = call { metrics.polled(backend: item.backend) }
            if case .submit = call, succeeded { submitTimings.record(duration, backend: item.backend) }
            step = handler.receive(answer, now: Date())
        }
        guard case .done(let decision) = step else { return nil }
        if decision.outcome == .finished, let submittedAt = item.submittedAt {
            jobDurations.record(ended: Date().timeIntervalSince(submittedAt), running: item.seenRunningAt.map { $0.timeIntervalSince(submittedAt) },
                                task: item.task, backend: item.backend)
        }
        return decision
    }

    /// Publishes the decision's events, heartbeats, items and dead letter, all pipelined, and returns once
    /// every one is confirmed.
    func apply(_ decision: WorkerDecision, to delivery: AMQPDelivery, on channel: AMQPChannel) async throws {
        let json = AMQPProperties(contentType: "application/json")
        let signing = configuration.signing
        try await withThrowingDiscardingTaskGroup { group in
            for event in decision.events {
                group.addTask {
                    let body = event.encoded()
                    try await channel.publishConfirmed(body, exchange: topology.eventsExchange, routingKey: event.routingKey,
                                                       properties: signing.tagged(json, body: body, purpose: .events))
                }
            }
            for beat in decision.heartbeats {
                group.addTask {
                    let body = beat.encoded()
                    try await channel.publishConfirmed(body, exchange: topology.eventsExchange, routingKey: beat.routingKey,
                                                       properties: signing.tagged(json, body: body, purpose: .events))
                }
            }
            for publication in decision.items {
                let exchange = publication.tier.map(topology.waitExchange(seconds:)) ?? topology.workExchange
                group.addTask {
                    let body = publication.item.encoded()
                    try await channel.publishConfirmed(body, exchange: exchange, routingKey: publication.item.routingKey,
                                                       properties: signing.tagged(json, body: body, purpose: .work))
                }
            }
            if case .deadLetter(let reason) = decision.settlement {
                group.addTask {
                    try await topology.deadLetter(delivery, reason: reason, sourceQueue: "\(topology.prefix).work.\(delivery.routingKey)",
                                                  on: channel)
                }
            }
        }
    }
}
