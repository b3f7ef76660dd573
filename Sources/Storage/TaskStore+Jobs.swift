import Postgres

extension TaskStore {
    /// A tile's backend job for one attempt, as `tilefleet logs` needs it.
    public struct AttemptJob: Sendable, Hashable {
        public var backend: String
        public var attempt: Int
        /// The platform's job id; `nil` while the attempt has no job yet.
        public var jobID: String?
    }

    /// The backend job of `tile`'s `attempt` (its current attempt when `nil`). Throws
    /// ``TaskStoreError/unknownTask(_:)`` or ``TaskStoreError/unknownTiles(_:)`` when they do not exist.
    public func attemptJob(task: String, tile: String, attempt: Int?) async throws -> AttemptJob {
        try await requireTask(task)
        let rows = try await connection.query("""
            SELECT coalesce(\(attempt)::int, t.attempt), coalesce(j.backend, t.backend),
                   CASE WHEN j.job_id IS NOT NULL THEN j.job_id WHEN t.attempt = coalesce(\(attempt)::int, t.attempt) THEN t.backend_job_id END
            FROM tiles t
            LEFT JOIN backend_jobs j ON j.task_id = t.task_id AND j.tile_id = t.tile_id AND j.attempt = coalesce(\(attempt)::int, t.attempt)
            WHERE t.task_id = \(task) AND t.tile_id = \(tile)
            """)
        guard let row = rows.first else { throw TaskStoreError.unknownTiles([tile]) }
        return AttemptJob(backend: try row.decode(String.self, at: 1), attempt: try row.decode(Int.self, at: 0),
                          jobID: try row.decode(String?.self, at: 2))
    }
}
