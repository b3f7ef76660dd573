import FleetModel
import Foundation
import Postgres

extension DispatchStore.Transaction {
    /// A parked tile taken up again, with the job the platform created for it (if any).
    public struct UnparkedTile: Sendable {
        public var task: String
        public var tile: String
        public var attempt: Int
        public var backendJobID: String?
        public var parameters: [String: JSONValue]
        /// When it was taken up (the database's clock): its item's lease starts here.
        public var itemAt: Date
    }

    /// Takes up to `count` of `backend`'s parked tiles of active tasks, longest parked first,
    /// skipping tiles another pass holds and tiles being canceled: they stay `queued` on the same
    /// backend and attempt, no longer parked, republished now (`item_at`).
    public func unpark(backend: String, count: Int) async throws -> [UnparkedTile] {
        guard count > 0 else { return [] }
        let rows = try await connection.query("""
            WITH taken AS MATERIALIZED (
                SELECT t.task_id, t.tile_id FROM tiles t JOIN tasks k ON k.id = t.task_id
                WHERE t.backend = \(backend) AND t.parked_at IS NOT NULL AND t.status = 'queued'
                  AND t.canceled_attempt IS NULL AND k.status = 'active'
                ORDER BY t.parked_at, t.task_id, t.tile_id LIMIT \(count)
                FOR NO KEY UPDATE OF t SKIP LOCKED)
            UPDATE tiles t SET parked_at = NULL, item_at = now(), updated_at = now()
            FROM taken p WHERE t.task_id = p.task_id AND t.tile_id = p.tile_id
            RETURNING t.task_id, t.tile_id, t.attempt, t.backend_job_id, t.parameters, t.item_at
            """)
        return try rows.map { row in
            UnparkedTile(task: try row.decode(String.self, at: 0), tile: try row.decode(String.self, at: 1),
                         attempt: try row.decode(Int.self, at: 2), backendJobID: try row.decode(String?.self, at: 3),
                         parameters: try row.decode(PostgresJSON.self, at: 4).decode([String: JSONValue].self),
                         itemAt: try row.decode(Date.self, at: 5))
        }.sorted { ($0.task, $0.tile) < ($1.task, $1.tile) }
    }
}
