import Postgres

/// The reporting views as tables of text, for `tilefleet report` and for scripts.
public struct Report: Sendable {
    /// One view's rows for a task, or for all tasks.
    public struct Table: Sendable, Equatable {
        public var title: String
        public var columns: [String]
        public var rows: [[String?]]
    }

    public let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Progress, failures and the slowest tiles of `task` (or of every task), plus the backends:
    /// for a task, only its own backend, whose figures cover every task that ran on it.
    public func tables(task: String?) async throws(StorageError) -> [Table] {
        do {
            return [
                try await table("task progress", task: task, """
                    SELECT task_id, title, backend, tiles, pending, queued, submitted, running, finished, failed,
                           canceled, percent_done, tiles_per_hour, date_trunc('second', eta) AS eta
                    FROM task_progress WHERE \(task) IS NULL OR task_id = \(task) ORDER BY created_at
                    """),
                try await table(task == nil ? "backends" : "backend (all tasks on it)", task: nil, """
                    SELECT backend, jobs, finished, failed, success_rate,
                           round(queue_wait_p50_s::numeric, 1) AS queue_wait_p50_s,
                           round(queue_wait_p95_s::numeric, 1) AS queue_wait_p95_s,
                           round(run_time_p50_s::numeric, 1) AS run_time_p50_s,
                           round(run_time_p95_s::numeric, 1) AS run_time_p95_s, retries, errors_last_hour
                    FROM backend_stats
                    WHERE \(task) IS NULL OR backend = (SELECT backend FROM tasks WHERE id = \(task))
                    ORDER BY backend
                    """),
                try await table("failures", task: task, """
                    SELECT task_id, tiles, pattern, array_to_string(example_tiles, ' ') AS example_tiles
                    FROM failures WHERE \(task) IS NULL OR task_id = \(task) ORDER BY tiles DESC, pattern LIMIT 20
                    """),
                try await table("slowest tiles", task: task, """
                    SELECT task_id, tile_id, status, attempt, date_trunc('second', run_time) AS run_time,
                           date_trunc('second', queue_wait) AS queue_wait
                    FROM slowest_tiles WHERE \(task) IS NULL OR task_id = \(task)
                    ORDER BY run_time DESC NULLS LAST LIMIT 10
                    """),
            ]
        } catch {
            throw StorageError(error)
        }
    }

    private func table(_ title: String, task: String?, _ query: PostgresQuery) async throws(PostgresError) -> Table {
        let rows = try await connection.query(query)
        return Table(title: title, columns: rows.columns.map(\.name),
                     rows: rows.map { row in (0..<row.columnCount).map { row[$0] } })
    }
}
