extension Migrations {
    static let v2Views = """
    CREATE VIEW task_progress AS
    WITH counts AS (
        SELECT t.id AS task_id, t.title, t.backend, t.priority, t.status AS task_status, t.created_at,
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
           END AS eta
    FROM counts;

    CREATE VIEW backend_stats AS
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
               AS errors_last_hour
    FROM backend_jobs j
    GROUP BY j.backend;

    CREATE VIEW failures AS
    SELECT regexp_replace(coalesce(x.last_error, '(no message)'),
                          '[0-9a-fA-F]{8}-[0-9a-fA-F-]{27}|[0-9]+', '#', 'g') AS pattern,
           x.task_id,
           count(*) AS tiles,
           (array_agg(x.tile_id ORDER BY x.tile_id))[1:5] AS example_tiles,
           min(x.last_error) AS example_error
    FROM tiles x
    WHERE x.status = 'failed' OR (x.last_error IS NOT NULL AND x.status <> 'finished')
    GROUP BY 1, 2;

    CREATE VIEW slowest_tiles AS
    SELECT x.task_id, x.tile_id, x.status, x.attempt, x.backend_job_id,
           coalesce(x.finished_at, now()) - x.started_at AS run_time,
           x.started_at - x.submitted_at AS queue_wait,
           x.started_at, x.finished_at
    FROM tiles x
    WHERE x.started_at IS NOT NULL;

    CREATE VIEW tile_timeline AS
    SELECT e.task_id, e.tile_id, e.attempt, e.status, e.raw_status, e.backend_job_id, e.progress,
           e.message, e.error, e.worker_id, e.occurred_at, e.recorded_at,
           e.occurred_at - lag(e.occurred_at) OVER (PARTITION BY e.task_id, e.tile_id
                                                    ORDER BY e.occurred_at, e.event_id) AS since_previous
    FROM events e;
    """
}
