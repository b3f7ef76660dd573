import FleetModel
import Foundation
import Postgres

extension DispatchStore.Transaction {
    /// A tile in flight that has given no sign of life for longer than its backend's silence.
    public struct SilentTile: Sendable {
        public var task: String
        public var tile: String
        public var attempt: Int
        public var backend: String
        public var backendJobID: String?
        /// Still `queued`: its job, if known, may not have been started (a parked tile taken up).
        public var queued: Bool
        public var parameters: [String: JSONValue]
        /// When it was marked republished (the database's clock): the new item's lease starts here.
        public var itemAt: Date
    }

    /// The recorder's watermark: the latest coordinator tick it applied, nil before the first.
    public func watermark() async throws -> Date? {
        let rows = try await connection.query("SELECT tick_at FROM recorder_watermark WHERE id = 1")
        return try rows.first?.decode(Date.self, at: 0)
    }

    /// Claims up to `limit` tiles in flight (queued, submitted, running) whose last sign of life —
    /// heartbeat, item published, status event, dispatch — lies more than their backend's
    /// `silence` before the recorder's watermark, skipping tiles another pass holds, and marks them
    /// republished now (`item_at`). Backends missing from `silence` are left alone; so is
    /// everything while the recorder has applied no tick, and parked tiles: no item holds them,
    /// the dispatch passes take them up. `task` limits the pass to one task.
    public func claimSilentTiles(silence: [String: Duration], task: String? = nil, limit: Int) async throws -> [SilentTile] {
        guard !silence.isEmpty else { return [] }
        let names = silence.keys.sorted()
        let backends = TaskStore.textArray(names)
        let seconds = "{" + names.map { String(silence[$0]!.inSeconds) }.joined(separator: ",") + "}"
        let rows = try await connection.query("""
            WITH limits AS (SELECT * FROM unnest(\(backends)::text[], \(seconds)::float8[]) AS l(backend, silence)),
            silent AS MATERIALIZED (
                SELECT t.task_id, t.tile_id
                FROM tiles t JOIN limits l ON l.backend = t.backend, recorder_watermark w
                WHERE (\(task)::text IS NULL OR t.task_id = \(task))
                  AND t.status IN (\(unescaped: TileStatus.sqlList(TileStatus.inFlight))) AND t.parked_at IS NULL
                  AND greatest(t.seen_at, t.item_at, t.status_at, t.dispatched_at) < w.tick_at - make_interval(secs => l.silence)
                ORDER BY t.task_id, t.tile_id
                LIMIT \(limit)
                FOR NO KEY UPDATE OF t SKIP LOCKED)
            UPDATE tiles t SET item_at = now()
            FROM silent s WHERE t.task_id = s.task_id AND t.tile_id = s.tile_id
            RETURNING t.task_id, t.tile_id, t.attempt, t.backend, t.backend_job_id, t.parameters, t.item_at, t.status = 'queued'
            """)
        return try rows.map { row in
            SilentTile(task: try row.decode(String.self, at: 0), tile: try row.decode(String.self, at: 1),
                       attempt: try row.decode(Int.self, at: 2), backend: try row.decode(String.self, at: 3),
                       backendJobID: try row.decode(String?.self, at: 4), queued: try row.decode(Bool.self, at: 7),
                       parameters: try row.decode(PostgresJSON.self, at: 5).decode([String: JSONValue].self),
                       itemAt: try row.decode(Date.self, at: 6))
        }.sorted { ($0.task, $0.tile) < ($1.task, $1.tile) }
    }
}
