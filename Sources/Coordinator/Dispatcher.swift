import AMQP
import FleetModel
import Foundation
import Geo
import Logging
import Messaging
import Postgres

/// Releases pending tiles to the work queues within each backend's `max_active`, exactly across
/// the whole fleet: one pass per backend runs in a transaction that holds
/// `pg_advisory_xact_lock(hashtext(backend))`, counts the backend's tiles in flight, claims pending
/// tiles with `FOR UPDATE SKIP LOCKED`, marks them `queued` with `dispatched_at`, publishes their
/// submit items with confirms, and commits only after every confirm. If publishing fails the
/// transaction rolls back and the tiles stay pending; if the commit is lost after publishing, the
/// tiles are published again later with the same idempotency key, which workers deduplicate.
///
/// Needs a connection of its own (the transaction spans awaits); run one pass at a time per
/// dispatcher. Several dispatchers — in one process or many — may run against one database.
public actor Dispatcher {
    public let connection: PostgresConnection
    public let channel: AMQPChannel
    public let topology: Topology
    private let planner = DispatchPlanner()
    private var specs: [String: TaskSpec] = [:]
    private let logger: Logger

    /// `channel` must be in confirm mode.
    public init(connection: PostgresConnection, channel: AMQPChannel, topology: Topology, logger: Logger = Logger(label: "tilefleet.coordinator")) {
        self.connection = connection
        self.channel = channel
        self.topology = topology
        self.logger = logger
    }

    /// One pass over every backend with a `max_active`.
    public func dispatchAll(maxActive: [String: Int]) async throws -> [DispatchOutcome] {
        var outcomes: [DispatchOutcome] = []
        for (backend, limit) in maxActive.sorted(by: { $0.key < $1.key }) {
            outcomes.append(try await dispatch(backend: backend, maxActive: limit))
        }
        return outcomes
    }

    /// One pass on `backend`: fills its free slots from the pending tiles of its active tasks.
    public func dispatch(backend: String, maxActive: Int) async throws -> DispatchOutcome {
        try await connection.execute("BEGIN")
        do {
            let outcome = try await claimAndPublish(backend: backend, maxActive: maxActive)
            try await commit(backend: backend)
            return outcome
        } catch {
            _ = try? await connection.execute("ROLLBACK")
            throw error
        }
    }

    var transactionID: Int64 = 0

    private func claimAndPublish(backend: String, maxActive: Int) async throws -> DispatchOutcome {
        transactionID = try await connection.query("SELECT txid_current()")[0].decode(Int64.self, at: 0)
        try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(backend)))")
        let loadRows = try await connection.query("""
            SELECT t.task_id, k.priority,
                   count(*) FILTER (WHERE t.status = 'pending' AND k.status = 'active'),
                   count(*) FILTER (WHERE t.status IN ('queued', 'submitted', 'running'))
            FROM tiles t JOIN tasks k ON k.id = t.task_id
            WHERE t.backend = \(backend) AND t.status IN ('pending', 'queued', 'submitted', 'running')
            GROUP BY t.task_id, k.priority
            """)
        var loads: [DispatchPlanner.TaskLoad] = []
        for row in loadRows {
            loads.append(DispatchPlanner.TaskLoad(task: try row.decode(String.self, at: 0), priority: try row.decode(Int.self, at: 1),
                                                  pending: try row.decode(Int.self, at: 2), active: try row.decode(Int.self, at: 3)))
        }
        let active = loads.reduce(0) { $0 + $1.active }
        // A task whose stored spec cannot be read must not hold back the others on the backend.
        var readable: [DispatchPlanner.TaskLoad] = []
        for load in loads where load.pending > 0 {
            do {
                _ = try await spec(of: load.task)
                readable.append(load)
            } catch {
                logger.error("cannot read the stored spec; its tiles stay pending", metadata: ["task": "\(load.task)", "error": "\(error)"])
            }
        }
        let claims = planner.plan(freeSlots: maxActive - active, tasks: readable)
        var published: [String: Int] = [:]
        for (task, count) in claims.sorted(by: { $0.key < $1.key }) {
            let spec = try await spec(of: task)
            let rows = try await connection.query("""
                WITH claimed AS MATERIALIZED (
                    SELECT task_id, tile_id FROM tiles WHERE task_id = \(task) AND backend = \(backend) AND status = 'pending'
                    ORDER BY tile_id LIMIT \(count) FOR UPDATE SKIP LOCKED)
                UPDATE tiles t SET status = 'queued', dispatched_at = now(), status_at = now(), updated_at = now()
                FROM claimed c WHERE t.task_id = c.task_id AND t.tile_id = c.tile_id
                RETURNING t.tile_id, t.attempt, t.parameters
                """)
            for row in rows {
                let tile = try row.decode(String.self, at: 0)
                let parameters = try row.decode(PostgresJSON.self, at: 2).decode([String: JSONValue].self)
                let item = WorkItem(kind: .submit, task: task, tile: tile, attempt: try row.decode(Int.self, at: 1),
                                    maxAttempts: spec.maxAttempts, backend: backend,
                                    job: spec.backendJob(tileID: tile, tileParameters: parameters),
                                    maxRuntimeSeconds: spec.maxRuntimeSeconds)
                try await channel.publish(item.encoded(), exchange: topology.workExchange, routingKey: backend,
                                          properties: AMQPProperties(contentType: "application/json", deliveryMode: .persistent))
            }
            published[task] = rows.count
        }
        if !published.isEmpty { try await channel.waitForConfirms() }
        return DispatchOutcome(backend: backend, activeBefore: active, published: published.filter { $0.value > 0 })
    }

    func commit(backend: String) async throws {
        let current = try await connection.query("SELECT txid_current_if_assigned()")[0].decode(Int64?.self, at: 0)
        guard current == transactionID else { throw DispatchError.transactionLost(backend: backend) }
        try await connection.execute("COMMIT")
    }

    func spec(of task: String) async throws -> TaskSpec {
        if let spec = specs[task] { return spec }
        let rows = try await connection.query("SELECT spec FROM tasks WHERE id = \(task)")
        let spec = try rows[0].decode(PostgresJSON.self, at: 0).decode(TaskSpec.self)
        specs[task] = spec
        return spec
    }
}
