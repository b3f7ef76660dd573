import FleetModel
import Foundation
import Geo
import Postgres

/// The coordinator's SQL: storing tasks and tiles, reading progress, and the dispatch bookkeeping
/// it owns (cancel of pending tiles, new attempts). Everything else about a tile is written by the
/// recorder from status events.
public struct TaskStore: Sendable {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Stores the task and all its tiles in one transaction (`COPY` for the tiles); nothing is
    /// stored if any part fails.
    @discardableResult
    public func insert(_ plan: TaskPlan) async throws -> Int {
        let spec = plan.spec
        let specJSON = try PostgresJSON(spec)
        var buffer = PostgresCopyBuffer()
        for record in plan.records {
            buffer.append([
                spec.id, record.tileID, record.cellID, record.window?.label, record.window.map { "\($0.start)" },
                record.window.map { "\($0.end)" }, record.parametersJSON, record.geometry,
                record.areaKm2, spec.backend,
            ])
        }
        do {
            return try await store(spec: spec, specJSON: specJSON, rows: buffer)
        } catch let error as PostgresError where error.sqlState == "23505" && error.message.contains("tasks_pkey") {
            throw TaskStoreError.duplicateTask(spec.id)
        }
    }

    private func store(spec: TaskSpec, specJSON: PostgresJSON, rows: PostgresCopyBuffer) async throws -> Int {
        let user = ProcessInfo.processInfo.environment["USER"]
        return try await connection.transaction { session throws(PostgresError) in
            try session.execute("""
                INSERT INTO tasks (id, title, backend, spec, priority, max_attempts, max_runtime_seconds, requested_by)
                VALUES (\(spec.id), \(spec.title), \(spec.backend), \(specJSON), \(spec.priority), \(spec.maxAttempts),
                        \(spec.maxRuntimeSeconds), \(user))
                """)
            return try session.copyIn("""
                COPY tiles (task_id, tile_id, cell_id, window_label, window_start, window_end, parameters, geometry, area_km2, backend)
                FROM STDIN
                """, rows)
        }
    }

    /// The stored spec of `task`.
    public func spec(of task: String) async throws -> TaskSpec {
        let rows = try await connection.query("SELECT spec FROM tasks WHERE id = \(task)")
        guard let row = rows.first else { throw TaskStoreError.unknownTask(task) }
        return try row.decode(PostgresJSON.self, at: 0).decode(TaskSpec.self)
    }

    /// Tasks (all, or one) with their tile counts per status, newest first.
    public func summaries(task: String? = nil) async throws -> [TaskSummary] {
        let rows = try await connection.query("""
            SELECT k.id, k.title, k.backend, k.status, k.priority, k.created_at,
                   coalesce((SELECT jsonb_object_agg(status, n) FROM (SELECT status, count(*) AS n FROM tiles t
                             WHERE t.task_id = k.id GROUP BY status) c), '{}'),
                   (SELECT count(*) FROM tiles x WHERE x.task_id = k.id AND x.status IN ('finished', 'failed', 'canceled')
                      AND x.finished_at > now() - interval '10 minutes') * 6
            FROM tasks k WHERE (\(task)::text IS NULL OR k.id = \(task)) ORDER BY k.created_at DESC, k.id
            """)
        let summaries = try rows.map { row in
            var summary = TaskSummary(id: try row.decode(String.self, at: 0), title: try row.decode(String.self, at: 1),
                                      backend: try row.decode(String.self, at: 2), status: try row.decode(String.self, at: 3),
                                      priority: try row.decode(Int.self, at: 4), createdAt: try row.decode(Date.self, at: 5),
                                      counts: try row.decode(PostgresJSON.self, at: 6).decode([String: Int].self))
            summary.tilesPerHour = try row.decode(Int.self, at: 7)
            return summary
        }
        if let task, summaries.isEmpty { throw TaskStoreError.unknownTask(task) }
        return summaries
    }

    /// A tile that has (or may soon have) a backend job.
    public struct LiveTile: Sendable, Hashable {
        public var tile: String
        public var attempt: Int
        public var status: String
        public var backendJobID: String?
        public var parameters: [String: JSONValue]
        /// Canceled (`tilefleet cancel`) but its job not stopped yet.
        public var canceled: Bool = false
    }

    /// Cancels `tiles` of `task` (all when nil): pending ones become `canceled` at once; the live
    /// ones are returned for cancel items. Cancelling the whole task marks it canceled, so no
    /// coordinator dispatches more of it.
    public func cancel(task: String, tiles: [String]? = nil) async throws -> (canceled: Int, live: [LiveTile]) {
        _ = try await spec(of: task)
        let list = tiles.map(Self.textArray)
        return try await connection.transaction { session throws(PostgresError) in
            if tiles == nil {
                try session.execute("UPDATE tasks SET status = 'canceled', updated_at = now() WHERE id = \(task)")
            }
            // In key order, as the recorder takes them, so the two never deadlock.
            try session.execute("""
                SELECT 1 FROM tiles
                WHERE task_id = \(task) AND status IN ('pending', 'queued', 'submitted', 'running')
                  AND (\(list)::text[] IS NULL OR tile_id = ANY(\(list)::text[]))
                ORDER BY tile_id
                FOR NO KEY UPDATE
                """)
            let canceled = try session.execute("""
                UPDATE tiles SET status = 'canceled', finished_at = now(), status_at = now(), updated_at = now(),
                                 message = 'canceled before dispatch', canceled_attempt = attempt
                WHERE task_id = \(task) AND status = 'pending' AND (\(list)::text[] IS NULL OR tile_id = ANY(\(list)::text[]))
                """)
            // The fence: from now on, events of later attempts leave these tiles alone.
            try session.execute("""
                UPDATE tiles SET canceled_attempt = attempt, updated_at = now()
                WHERE task_id = \(task) AND status IN ('queued', 'submitted', 'running')
                  AND (\(list)::text[] IS NULL OR tile_id = ANY(\(list)::text[]))
                """)
            let rows = try session.query("""
                SELECT tile_id, attempt, status, backend_job_id, parameters FROM tiles
                WHERE task_id = \(task) AND status IN ('queued', 'submitted', 'running')
                  AND (\(list)::text[] IS NULL OR tile_id = ANY(\(list)::text[]))
                ORDER BY tile_id
                """)
            var live: [LiveTile] = []
            for row in rows {
                let parameters = (try? row.decode(PostgresJSON.self, at: 4).decode([String: JSONValue].self)) ?? [:]
                live.append(LiveTile(tile: try row.decode(String.self, at: 0), attempt: try row.decode(Int.self, at: 1),
                                     status: try row.decode(String.self, at: 2), backendJobID: try row.decode(String?.self, at: 3),
                                     parameters: parameters))
            }
            return (canceled, live)
        }
    }

    /// Records that cancel items for these jobs were confirmed by the broker, so the coordinator's
    /// stray-job pass does not send them again. Until then, that pass sends them itself.
    public func markCancelSent(task: String, jobs: [(tile: String, attempt: Int)]) async throws {
        guard !jobs.isEmpty else { return }
        let tiles = Self.textArray(jobs.map(\.tile))
        let attempts = "{" + jobs.map { String($0.attempt) }.joined(separator: ",") + "}"
        try await connection.execute("""
            UPDATE backend_jobs j SET cancel_sent_at = now()
            FROM unnest(\(tiles)::text[], \(attempts)::int[]) AS x(tile_id, attempt)
            WHERE j.task_id = \(task) AND j.tile_id = x.tile_id AND j.attempt = x.attempt
            """)
    }

    /// Starts a new attempt (`pending`) for failed (and, unless `failedOnly`, canceled) tiles of
    /// `task`, or for the listed ones; reactivates the task. Returns the count. The new attempt
    /// comes after every attempt a backend job exists for, so a job started for a canceled tile
    /// can never pass for the new one; a tile with a job still queued or running (a stray being
    /// canceled) is left for a later retry.
    public func retry(task: String, tiles: [String]? = nil, failedOnly: Bool = false) async throws -> Int {
        _ = try await spec(of: task)
        let list = tiles.map(Self.textArray)
        let statuses = failedOnly ? "{failed}" : "{failed,canceled}"
        return try await connection.transaction { session throws(PostgresError) in
            try session.execute("UPDATE tasks SET status = 'active', updated_at = now() WHERE id = \(task)")
            return try session.execute("""
                UPDATE tiles t
                SET attempt = greatest(t.attempt, (SELECT max(j.attempt) FROM backend_jobs j
                                                   WHERE j.task_id = t.task_id AND j.tile_id = t.tile_id)) + 1,
                    status = 'pending', backend_job_id = NULL, raw_status = NULL, canceled_attempt = NULL,
                    progress = NULL, dispatched_at = NULL, submitted_at = NULL, started_at = NULL,
                    finished_at = NULL, status_at = now(), updated_at = now()
                WHERE task_id = \(task) AND status = ANY(\(statuses)::text[])
                  AND (\(list)::text[] IS NULL OR tile_id = ANY(\(list)::text[]))
                  AND NOT EXISTS (SELECT 1 FROM backend_jobs j
                                  WHERE j.task_id = t.task_id AND j.tile_id = t.tile_id
                                    AND j.status IN ('queued', 'submitted', 'running'))
                """)
        }
    }

    /// A PostgreSQL array literal of `values`, to bind as one `text[]` parameter.
    static func textArray(_ values: [String]) -> String {
        let quoted = values.map { value in
            "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        return "{" + quoted.joined(separator: ",") + "}"
    }

    /// Tiles dispatched and not terminal, for `resume` (all tasks, or one).
    public func liveTiles(task: String? = nil) async throws -> [(task: String, backend: String, tile: LiveTile)] {
        let rows = try await connection.query("""
            SELECT task_id, backend, tile_id, attempt, status, backend_job_id, parameters, canceled_attempt IS NOT NULL FROM tiles
            WHERE status IN ('queued', 'submitted', 'running') AND (\(task)::text IS NULL OR task_id = \(task))
            ORDER BY task_id, tile_id
            """)
        return try rows.map { row in
            let parameters = (try? row.decode(PostgresJSON.self, at: 6).decode([String: JSONValue].self)) ?? [:]
            return (try row.decode(String.self, at: 0), try row.decode(String.self, at: 1),
                    LiveTile(tile: try row.decode(String.self, at: 2), attempt: try row.decode(Int.self, at: 3),
                             status: try row.decode(String.self, at: 4), backendJobID: try row.decode(String?.self, at: 5),
                             parameters: parameters, canceled: try row.decode(Bool.self, at: 7)))
        }
    }

    /// Tiles dispatched and not yet terminal on `backend`, counted in PostgreSQL.
    public func activeCount(backend: String) async throws -> Int {
        try await connection.query("""
            SELECT count(*) FROM tiles WHERE backend = \(backend) AND status IN ('queued', 'submitted', 'running')
            """)[0].decode(Int.self, at: 0)
    }
}
