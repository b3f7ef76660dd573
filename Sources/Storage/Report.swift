import FleetModel
import Postgres

/// The reporting views as tables of text, for `tilefleet report` and for scripts.
public struct Report: Sendable {
    /// One view's rows for a task, or for all tasks.
    public struct Table: Sendable, Equatable {
        /// For people; may name the task or say what the rows cover.
        public var title: String
        /// For scripts: a stable key (`progress`, `backends`, …), the same whatever the arguments.
        public var name: String
        public var columns: [String]
        /// What each column holds, from the column's PostgreSQL type, so JSON gets typed values.
        public var kinds: [ColumnKind]
        public var rows: [[String?]]
    }

    /// What a column holds; cells are PostgreSQL's text of it.
    public enum ColumnKind: Sendable, Equatable {
        case text, integer, number, boolean
        /// `2026-11-29 19:00:00+00`.
        case timestamp
        /// `1 day 02:03:04` (PostgreSQL's interval text).
        case interval
        /// Whole seconds.
        case seconds

        init(_ type: PostgresDataType) {
            switch type.rawValue {
            case 20, 21, 23: self = .integer
            case 700, 701, 1700: self = .number
            case 16: self = .boolean
            case 1114, 1184: self = .timestamp
            case 1186: self = .interval
            default: self = .text
            }
        }
    }

    /// The tables' stable names, in the order ``tables(task:)`` gives them.
    public static let tableNames = ["progress", "backends", "failures", "slowest_tiles", "trouble", "jobs_may_run"]

    public let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Progress, failures, the slowest tiles, the tiles in trouble and the platform jobs that may
    /// still run after their cancel, of `task` (or of every task), plus the backends: for a task,
    /// only its own backends, whose figures cover every task that ran on them.
    public func tables(task: String?) async throws(StorageError) -> [Table] {
        do {
            return [
                try await table("task progress", name: "progress", """
                    SELECT task_id, title, backend, tiles, pending, queued, submitted, running, finished, failed,
                           canceled, percent_done, tiles_per_hour, date_trunc('second', eta) AS eta,
                           round(credits::numeric, 3) AS credits, budget
                    FROM task_progress WHERE \(task) IS NULL OR task_id = \(task) ORDER BY created_at
                    """),
                try await table(task == nil ? "backends" : "backends of the task (all tasks on them)", name: "backends", """
                    SELECT backend, jobs, finished, failed, success_rate,
                           round(queue_wait_p50_s::numeric, 1) AS queue_wait_p50_s,
                           round(queue_wait_p95_s::numeric, 1) AS queue_wait_p95_s,
                           round(run_time_p50_s::numeric, 1) AS run_time_p50_s,
                           round(run_time_p95_s::numeric, 1) AS run_time_p95_s, retries, errors_last_hour,
                           round(credits::numeric, 3) AS credits
                    FROM backend_stats
                    WHERE \(task) IS NULL OR backend IN (SELECT unnest(backends) FROM tasks WHERE id = \(task))
                    ORDER BY backend
                    """),
                try await table("failures", name: "failures", """
                    SELECT task_id, tiles, pattern, array_to_string(example_tiles, ' ') AS example_tiles
                    FROM failures WHERE \(task) IS NULL OR task_id = \(task) ORDER BY tiles DESC, pattern LIMIT 20
                    """),
                try await table("slowest tiles", name: "slowest_tiles", """
                    SELECT task_id, tile_id, status, attempt, date_trunc('second', run_time) AS run_time,
                           date_trunc('second', queue_wait) AS queue_wait
                    FROM slowest_tiles WHERE \(task) IS NULL OR task_id = \(task)
                    ORDER BY run_time DESC NULLS LAST LIMIT 10
                    """),
                // Tiles in flight that a "try later" or a failing backend call keeps waiting, longest first.
                try await table("tiles in trouble", name: "trouble", """
                    SELECT task_id, tile_id, backend, status, attempt, trouble,
                           date_trunc('second', trouble_since) AS trouble_since, trouble_tries,
                           date_trunc('second', seen_at) AS seen_at
                    FROM tiles
                    WHERE trouble IS NOT NULL AND status IN (\(unescaped: TileStatus.sqlList(TileStatus.inFlight)))
                      AND (\(task)::text IS NULL OR task_id = \(task))
                    ORDER BY trouble_since NULLS LAST, task_id, tile_id LIMIT 50
                    """),
                // Jobs a cancel was sent for whose end was not seen: the platform may still run them.
                try await table("platform jobs that may still run (cancel sent, end not seen)", name: "jobs_may_run", """
                    SELECT j.task_id, j.tile_id, j.attempt, j.backend, j.job_id, j.status AS job_status, t.status AS tile_status,
                           date_trunc('second', j.cancel_sent_at) AS cancel_sent_at
                    FROM backend_jobs j JOIN tiles t USING (task_id, tile_id)
                    WHERE j.cancel_sent_at IS NOT NULL AND j.finished_at IS NULL
                      AND (\(task)::text IS NULL OR j.task_id = \(task))
                    ORDER BY j.cancel_sent_at, j.task_id, j.tile_id, j.attempt LIMIT 50
                    """),
            ]
        } catch {
            throw StorageError(error)
        }
    }

    private func table(_ title: String, name: String, _ query: PostgresQuery) async throws(PostgresError) -> Table {
        let rows = try await connection.query(query)
        return Table(title: title, name: name, columns: rows.columns.map(\.name), kinds: rows.columns.map { ColumnKind($0.type) },
                     rows: rows.map { row in (0..<row.columnCount).map { row[$0] } })
    }
}
