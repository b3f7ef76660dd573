import Foundation
import Postgres

extension TaskStore {
    /// How many of `backend`'s tiles are parked: queued with their start refused for the platform's
    /// concurrency limit, waiting for a slot under the backend's effective limit. They are in
    /// flight (they count against `max_active`) but hold no running job on the platform.
    public func parkedCount(backend: String) async throws -> Int {
        try await connection.query(Self.parkedCountQuery(backend: backend))[0].decode(Int.self, at: 0)
    }

    /// The statement of ``parkedCount(backend:)``.
    static func parkedCountQuery(backend: String) -> PostgresQuery {
        "SELECT count(*) FROM tiles WHERE backend = \(backend) AND parked_at IS NOT NULL AND status = 'queued'"
    }

    /// The tiles of `task` (or only `tile`) with status, times, error and parameters, in tile order.
    /// Throws ``TaskStoreError/unknownTask(_:)`` when the task does not exist.
    public func tileDetails(task: String, tile: String? = nil) async throws -> [TileDetail] {
        try await requireTask(task)
        let rows = try await connection.query("""
            SELECT t.tile_id, t.status, t.attempt, t.backend, t.backend_job_id, t.raw_status, t.progress, t.message, t.last_error,
                   t.parameters::text, t.geometry, t.area_km2, t.created_at, t.dispatched_at, t.submitted_at, t.started_at,
                   t.finished_at, t.updated_at, t.trouble
            FROM tiles t WHERE t.task_id = \(task) AND (\(tile)::text IS NULL OR t.tile_id = \(tile)) ORDER BY t.tile_id
            """)
        return try rows.map { row in
            var detail = TileDetail(task: task, tile: try row.decode(String.self, at: 0), status: try row.decode(String.self, at: 1),
                                    attempt: try row.decode(Int.self, at: 2), backend: try row.decode(String.self, at: 3),
                                    parametersJSON: try row.decode(String.self, at: 9), createdAt: try row.decode(Date.self, at: 12),
                                    updatedAt: try row.decode(Date.self, at: 17))
            detail.backendJobID = try row.decode(String?.self, at: 4)
            detail.rawStatus = try row.decode(String?.self, at: 5)
            detail.progress = try row.decode(Double?.self, at: 6)
            detail.message = try row.decode(String?.self, at: 7)
            detail.lastError = try row.decode(String?.self, at: 8)
            detail.geometry = try row.decode(String?.self, at: 10)
            detail.areaKm2 = try row.decode(Double?.self, at: 11)
            detail.dispatchedAt = try row.decode(Date?.self, at: 13)
            detail.submittedAt = try row.decode(Date?.self, at: 14)
            detail.startedAt = try row.decode(Date?.self, at: 15)
            detail.finishedAt = try row.decode(Date?.self, at: 16)
            detail.trouble = try row.decode(String?.self, at: 18)
            return detail
        }
    }

    /// The backend jobs of every attempt of `tile`, oldest attempt first. Throws
    /// ``TaskStoreError/unknownTiles(_:)`` when the tile does not exist.
    public func attempts(task: String, tile: String) async throws -> [TileAttempt] {
        try await requireTiles([tile], of: task)
        let rows = try await connection.query("""
            SELECT attempt, backend, job_id, status, raw_status, submitted_at, started_at, finished_at, error, usage::text
            FROM backend_jobs WHERE task_id = \(task) AND tile_id = \(tile) ORDER BY attempt
            """)
        return try rows.map { row in
            var attempt = TileAttempt(attempt: try row.decode(Int.self, at: 0), backend: try row.decode(String?.self, at: 1),
                                      jobID: try row.decode(String?.self, at: 2), status: try row.decode(String.self, at: 3))
            attempt.rawStatus = try row.decode(String?.self, at: 4)
            attempt.submittedAt = try row.decode(Date?.self, at: 5)
            attempt.startedAt = try row.decode(Date?.self, at: 6)
            attempt.finishedAt = try row.decode(Date?.self, at: 7)
            attempt.error = try row.decode(String?.self, at: 8)
            attempt.usageJSON = try row.decode(String?.self, at: 9)
            return attempt
        }
    }

    /// The latest `limit` tiles (after `offset`) of the tasks `user` asked for, newest task first:
    /// `GET /jobs_status`'s processing jobs.
    public func tiles(requestedBy user: String, limit: Int, offset: Int) async throws -> [(task: String, title: String, tile: String, status: String)] {
        let rows = try await connection.query("""
            SELECT t.task_id, k.title, t.tile_id, t.status FROM tasks k JOIN tiles t ON t.task_id = k.id
            WHERE k.requested_by = \(user) ORDER BY k.created_at DESC, k.id, t.tile_id LIMIT \(limit) OFFSET \(offset)
            """)
        return try rows.map { (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1), try $0.decode(String.self, at: 2),
                               try $0.decode(String.self, at: 3)) }
    }

    /// Who asked for `task` (nil when nobody is recorded). Throws ``TaskStoreError/unknownTask(_:)``.
    public func requester(of task: String) async throws -> String? {
        let rows = try await connection.query("SELECT requested_by FROM tasks WHERE id = \(task)")
        guard let row = rows.first else { throw TaskStoreError.unknownTask(task) }
        return try row.decode(String?.self, at: 0)
    }
}
