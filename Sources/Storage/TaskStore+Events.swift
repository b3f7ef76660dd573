import Foundation
import Postgres

extension TaskStore {
    /// Events of `task` recorded at or after `since` (all when nil), oldest first, at most `limit`
    /// (the latest `limit` when `since` is nil). Throws ``TaskStoreError/unknownTask(_:)``.
    ///
    /// Batches are stamped with their transaction's start, and two recorder writers may commit out
    /// of that order: a follower re-reads from a little before its last event and drops the ids it
    /// has seen.
    public func events(task: String, since: Date? = nil, limit: Int) async throws -> [TaskEvent] {
        try await requireTask(task)
        let rows = try await connection.query("""
            SELECT * FROM (
                SELECT event_id::text, tile_id, attempt, status, raw_status, backend, backend_job_id, progress, message, error,
                       worker_id, occurred_at, recorded_at
                FROM events WHERE task_id = \(task) AND (\(since)::timestamptz IS NULL OR recorded_at >= \(since)::timestamptz)
                ORDER BY CASE WHEN \(since)::timestamptz IS NULL THEN recorded_at END DESC,
                         CASE WHEN \(since)::timestamptz IS NULL THEN occurred_at END DESC,
                         CASE WHEN \(since)::timestamptz IS NOT NULL THEN recorded_at END ASC,
                         CASE WHEN \(since)::timestamptz IS NOT NULL THEN occurred_at END ASC, event_id
                LIMIT \(limit)) e
            ORDER BY recorded_at, occurred_at, event_id
            """)
        return try rows.map { row in
            var event = TaskEvent(id: try row.decode(String.self, at: 0), tile: try row.decode(String.self, at: 1),
                                  attempt: try row.decode(Int.self, at: 2), status: try row.decode(String.self, at: 3),
                                  occurredAt: try row.decode(Date.self, at: 11), recordedAt: try row.decode(Date.self, at: 12))
            event.rawStatus = try row.decode(String?.self, at: 4)
            event.backend = try row.decode(String?.self, at: 5)
            event.backendJobID = try row.decode(String?.self, at: 6)
            event.progress = try row.decode(Double?.self, at: 7)
            event.message = try row.decode(String?.self, at: 8)
            event.error = try row.decode(String?.self, at: 9)
            event.worker = try row.decode(String?.self, at: 10)
            return event
        }
    }
}
