extension Migrations {
    /// Costs and usage as the platforms report them, per attempt: `backend_jobs.costs` (credits)
    /// and `usage` (the platform's metrics, `{name: {value, unit}}`) hold the attempt's latest
    /// reading, taken at `usage_at`. `tasks.budget` caps a task's credits (see ``TaskBudget``).
    /// The views gain credits per tile (`tile_costs`), per task (`task_progress.credits`) and
    /// per backend (`backend_stats.credits`).
    static let v8Costs = """
    ALTER TABLE backend_jobs ADD COLUMN costs float8;
    ALTER TABLE backend_jobs ADD COLUMN usage_at timestamptz;
    ALTER TABLE tasks ADD COLUMN budget float8 CHECK (budget > 0);

    CREATE VIEW tile_costs AS
    SELECT x.task_id, x.tile_id, x.backend, x.status, x.attempt, x.area_km2,
           sum(j.costs) AS credits,
           count(j.costs) AS attempts_costed,
           (array_agg(j.usage ORDER BY j.attempt DESC) FILTER (WHERE j.usage IS NOT NULL))[1] AS usage
    FROM tiles x LEFT JOIN backend_jobs j USING (task_id, tile_id)
    GROUP BY x.task_id, x.tile_id;

    CREATE OR REPLACE VIEW task_progress AS
    WITH counts AS (
        SELECT t.id AS task_id, t.title, t.backend, t.priority, t.status AS task_status, t.created_at, t.budget,
               count(x.tile_id) AS tiles,
               count(x.tile_id) FILTER (WHERE x.status = 'pending') AS pending,
               count(x.tile_id) FILTER (WHERE x.status = 'queued') AS queued,
               count(x.tile_id) FILTER (WHERE x.status = 'submitted') AS submitted,
               count(x.tile_id) FILTER (WHERE x.status = 'running') AS running,
               count(x.tile_id) FILTER (WHERE x.status = 'finished') AS finished,
               count(x.tile_id) FILTER (WHERE x.status = 'failed') AS failed,
               count(x.tile_id) FILTER (WHERE x.status = 'canceled') AS canceled,
               count(x.tile_id) FILTER (WHERE x.finished_at > now() - interval '10 minutes'
                                        AND x.status IN ('finished', 'failed', 'canceled')) AS done_last_10_min
        FROM tasks t LEFT JOIN tiles x ON x.task_id = t.id
        GROUP BY t.id
    )
    SELECT task_id, title, backend, priority, task_status, created_at, tiles,
           pending, queued, submitted, running, finished, failed, canceled,
           round(100.0 * (finished + failed + canceled) / NULLIF(tiles, 0), 1) AS percent_done,
           done_last_10_min * 6 AS tiles_per_hour,
           CASE WHEN done_last_10_min > 0
                THEN (tiles - finished - failed - canceled) * interval '10 minutes' / done_last_10_min
           END AS eta,
           (SELECT sum(j.costs) FROM backend_jobs j WHERE j.task_id = counts.task_id) AS credits,
           budget
    FROM counts;

    CREATE OR REPLACE VIEW backend_stats AS
    SELECT j.backend,
           count(*) AS jobs,
           count(*) FILTER (WHERE j.status = 'finished') AS finished,
           count(*) FILTER (WHERE j.status = 'failed') AS failed,
           round(100.0 * count(*) FILTER (WHERE j.status = 'finished')
                 / NULLIF(count(*) FILTER (WHERE j.status IN ('finished', 'failed')), 0), 1) AS success_rate,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM j.started_at - j.submitted_at))
               AS queue_wait_p50_s,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM j.started_at - j.submitted_at))
               AS queue_wait_p95_s,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM j.finished_at - j.started_at))
               AS run_time_p50_s,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM j.finished_at - j.started_at))
               AS run_time_p95_s,
           count(*) FILTER (WHERE j.attempt > 1) AS retries,
           count(*) FILTER (WHERE j.status = 'failed' AND j.finished_at > now() - interval '1 hour')
               AS errors_last_hour,
           sum(j.costs) AS credits
    FROM backend_jobs j
    GROUP BY j.backend;
    """
}
