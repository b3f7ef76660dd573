import AMQP
import FleetModel
import Geo
import Messaging
import Postgres

extension Dispatcher {
    /// Sends a cancel item for every backend job still queued or running that no tile wants any
    /// more: a job of a canceled tile, or of an attempt that is not its tile's current one (a
    /// retry a worker started as the tile was canceled, a submit that landed after its cancel
    /// gave up). Each job gets one cancel: `cancel_sent_at` is set in the transaction that is
    /// committed only after the broker confirmed the items. A job whose tile or status changed
    /// within `grace` is left to the cancel already on its way for it; at most `limit` jobs per
    /// pass, so the rows are not held for long.
    public func cancelStrayJobs(grace: Duration = .seconds(60), limit: Int = 500) async throws -> Int {
        try await connection.execute("BEGIN")
        do {
            transactionID = try await connection.query("SELECT txid_current()")[0].decode(Int64.self, at: 0)
            let rows = try await connection.query("""
                SELECT j.task_id, j.tile_id, j.attempt, j.job_id, t.backend, t.parameters
                FROM backend_jobs j JOIN tiles t USING (task_id, tile_id)
                WHERE j.finished_at IS NULL AND j.cancel_sent_at IS NULL
                  AND j.status IN ('queued', 'submitted', 'running') AND j.job_id IS NOT NULL
                  AND (j.attempt <> t.attempt OR t.status = 'canceled' OR t.canceled_attempt IS NOT NULL)
                  AND greatest(j.status_at, t.updated_at) < now() - make_interval(secs => \(grace.components.seconds))
                ORDER BY j.task_id, j.tile_id, j.attempt
                LIMIT \(limit)
                FOR NO KEY UPDATE OF j SKIP LOCKED
                """)
            for row in rows {
                let task = try row.decode(String.self, at: 0)
                let tile = try row.decode(String.self, at: 1)
                let attempt = try row.decode(Int.self, at: 2)
                let backend = try row.decode(String.self, at: 4)
                let spec = try await spec(of: task)
                let parameters = try row.decode(PostgresJSON.self, at: 5).decode([String: JSONValue].self)
                let item = spec.cancelItem(task: task, tile: tile, attempt: attempt, backend: backend, tileParameters: parameters,
                                           backendJobID: try row.decode(String.self, at: 3))
                try await channel.publish(item.encoded(), exchange: topology.workExchange, routingKey: backend,
                                          properties: AMQPProperties(contentType: "application/json", deliveryMode: .persistent))
                try await connection.execute("""
                    UPDATE backend_jobs SET cancel_sent_at = now()
                    WHERE task_id = \(task) AND tile_id = \(tile) AND attempt = \(attempt)
                    """)
            }
            if !rows.isEmpty { try await channel.waitForConfirms() }
            try await commit(backend: "stray jobs")
            return rows.count
        } catch {
            _ = try? await connection.execute("ROLLBACK")
            throw error
        }
    }
}
