import AMQP
import FleetModel

extension Topology {
    /// Declares everything; safe to run any number of times from any role.
    public func declare(on channel: AMQPChannel) async throws {
        let queueType: AMQPTable = quorumQueues ? ["x-queue-type": "quorum"] : [:]
        try await channel.declareExchange(deadExchange, type: .fanout)
        try await channel.declareQueue(deadQueue, arguments: queueType)
        try await channel.bindQueue(deadQueue, exchange: deadExchange)

        try await channel.declareExchange(workExchange, type: .direct)
        for backend in backends {
            let queue = workQueue(backend: backend)
            try await channel.declareQueue(queue, arguments: queueType.merging(["x-dead-letter-exchange": .string(deadExchange)]))
            try await channel.bindQueue(queue, exchange: workExchange, routingKey: backend)
        }
        for seconds in waitTiers {
            let name = waitExchange(seconds: seconds)
            try await channel.declareExchange(name, type: .fanout)
            // Classic queues dead-letter at most once (a broker restart can drop an item between the
            // tier and the work queue; the coordinator's recovery pass republishes its tile); quorum
            // queues can do it at least once, which needs reject-publish as overflow.
            let atLeastOnce: AMQPTable = quorumQueues ? ["x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"] : [:]
            try await channel.declareQueue(name, arguments: queueType.merging(atLeastOnce).merging([
                "x-message-ttl": .int(Int64(seconds) * 1000),
                "x-dead-letter-exchange": .string(workExchange),
            ]))
            try await channel.bindQueue(name, exchange: name)
        }

        try await channel.declareExchange(eventsExchange, type: .topic)
        try await channel.declareQueue(recorderQueue, arguments: queueType.merging(["x-dead-letter-exchange": .string(deadExchange)]))
        try await channel.bindQueue(recorderQueue, exchange: eventsExchange, routingKey: "#")
    }

    /// What a consuming role (worker, recorder, `watch`) does at start and when its queue was
    /// deleted: declares everything when every role declares, nothing when the coordinator does
    /// (the role then waits for the coordinator's queues; see ``PersistentConsumer``).
    public func declareAsConsumer(on channel: AMQPChannel) async throws {
        guard declaredBy == .everyRole else { return }
        try await declare(on: channel)
    }

    /// Declares the queue of `host`'s items of `backend` (see ``Topology/workQueue(backend:host:)``).
    public func declareHostQueue(backend: String, host: String, on channel: AMQPChannel) async throws {
        let queueType: AMQPTable = quorumQueues ? ["x-queue-type": "quorum"] : [:]
        let queue = workQueue(backend: backend, host: host)
        try await channel.declareQueue(queue, arguments: queueType.merging(["x-dead-letter-exchange": .string(deadExchange)]))
        try await channel.bindQueue(queue, exchange: workExchange, routingKey: "\(backend)@\(host)")
    }

    /// Declares coordinator `id`'s own queue of `finished` events (``Topology/endedJobsQueue(coordinator:)``):
    /// transient and exclusive, gone with the connection, so a stopped coordinator leaves nothing
    /// filling up; the connection declares it again after a reconnect.
    @discardableResult
    public func declareEndedJobsQueue(coordinator id: String, on channel: AMQPChannel) async throws -> String {
        let queue = endedJobsQueue(coordinator: id)
        try await channel.declareQueue(queue, durable: false, exclusive: true, autoDelete: true)
        try await channel.bindQueue(queue, exchange: eventsExchange, routingKey: Topology.endedJobsBinding)
        return queue
    }

    /// Deletes every queue and exchange of this topology (tests; `resume` after a broker loss
    /// needs nothing deleted).
    public func delete(on channel: AMQPChannel) async throws {
        for queue in queues { try await channel.deleteQueue(queue) }
        for exchange in exchanges { try await channel.deleteExchange(exchange) }
    }
}
