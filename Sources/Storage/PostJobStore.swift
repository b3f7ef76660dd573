import Foundation
import Postgres

/// The SQL of `post_job` runs: claiming a finished tile attempt's run by inserting its
/// `post_jobs` row (so several coordinators never run it twice) and recording the outcome.
public struct PostJobStore: Sendable {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// A claimed run: the tile attempt, its task's command and its assets as a JSON array of
    /// `{href, type, roles, title, size}`.
    public struct Claim: Sendable, Hashable {
        public var task: String
        public var tile: String
        public var attempt: Int
        public var command: String
        public var assetsJSON: String
    }

    /// Claims up to `limit` finished tile attempts whose post-job has not run, oldest first.
    ///
    /// It starts from the tasks that have a post-job, so the coordinator's tick costs nothing
    /// per finished tile of the tasks that have none (a million finished tiles made it a scan
    /// of 45 ms per 21,000 of them, every tick).
    public func claim(limit: Int, runner: String) async throws -> [Claim] {
        let rows = try await connection.query("""
            INSERT INTO post_jobs (task_id, tile_id, attempt, command, status, runner)
            SELECT c.task_id, c.tile_id, c.attempt, c.command, 'running', \(runner)
            FROM tasks k
            CROSS JOIN LATERAL (
                SELECT t.task_id, t.tile_id, t.attempt, k.spec->>'postJob' AS command, t.finished_at
                FROM tiles t
                WHERE t.task_id = k.id AND t.status = 'finished'
                  AND NOT EXISTS (SELECT 1 FROM post_jobs p WHERE p.task_id = t.task_id AND p.tile_id = t.tile_id AND p.attempt = t.attempt)
                ORDER BY t.finished_at NULLS LAST, t.tile_id
                LIMIT \(limit)
            ) c
            WHERE k.spec->>'postJob' IS NOT NULL
            ORDER BY c.finished_at NULLS LAST, c.task_id, c.tile_id
            LIMIT \(limit)
            ON CONFLICT DO NOTHING
            RETURNING task_id, tile_id, attempt, command,
                      (SELECT coalesce(jsonb_agg(jsonb_build_object('href', a.href, 'type', a.type, 'roles', to_jsonb(a.roles),
                                                                    'title', a.title, 'size', a.size) ORDER BY a.href), '[]')::text
                       FROM assets a WHERE a.task_id = post_jobs.task_id AND a.tile_id = post_jobs.tile_id AND a.attempt = post_jobs.attempt)
            """)
        return try rows.map { row in
            Claim(task: try row.decode(String.self, at: 0), tile: try row.decode(String.self, at: 1), attempt: try row.decode(Int.self, at: 2),
                  command: try row.decode(String.self, at: 3), assetsJSON: try row.decode(String.self, at: 4))
        }
    }

    /// Records a claimed run's exit code and output tail.
    public func record(_ claim: Claim, exitCode: Int32, output: String) async throws {
        try await connection.execute("""
            UPDATE post_jobs SET status = \(exitCode == 0 ? "succeeded" : "failed"), exit_code = \(Int(exitCode)),
                                 output = \(output), finished_at = now()
            WHERE task_id = \(claim.task) AND tile_id = \(claim.tile) AND attempt = \(claim.attempt)
            """)
    }
}
