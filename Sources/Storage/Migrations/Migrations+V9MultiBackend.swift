extension Migrations {
    /// Tasks over several backends. `tasks.backends` lists the backends a task may run on, in
    /// order of preference (one for a task on one backend); a pending tile has no backend of its
    /// own yet in effect — the dispatch pass that claims it sets `tiles.backend` to the backend
    /// with the free slot, and `backend_jobs.backend` keeps the backend of every attempt
    /// (`tile_backends` lists them per tile). `backend_health` holds each backend's health as the
    /// coordinators judge it (see docs/backends.md), `backend_health_events` its changes, and
    /// `effective_limit` the concurrency the platform lets the fleet use (never above
    /// `max_active`). `task_progress.backend` shows every backend of the task, comma-separated.
    static let v9MultiBackend = """
    ALTER TABLE tasks ADD COLUMN backends text[];
    UPDATE tasks SET backends = ARRAY[backend];
    ALTER TABLE tasks ALTER COLUMN backends SET NOT NULL;
    ALTER TABLE tasks ADD CONSTRAINT tasks_backends_nonempty CHECK (cardinality(backends) >= 1);
    -- A task stored with its one backend only (SQL written before this version) runs on it.
    CREATE FUNCTION tilefleet_task_backends() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.backends IS NULL THEN NEW.backends := ARRAY[NEW.backend]; END IF;
        RETURN NEW;
    END $$;
    CREATE TRIGGER tasks_default_backends BEFORE INSERT ON tasks FOR EACH ROW EXECUTE FUNCTION tilefleet_task_backends();
    CREATE INDEX tiles_pending ON tiles (task_id, tile_id) WHERE status = 'pending';
    -- The health pass reads each backend's latest accepted submit and those since its last look.
    CREATE INDEX backend_jobs_by_backend_submitted ON backend_jobs (backend, submitted_at);

    CREATE VIEW tile_backends AS
    SELECT x.task_id, x.tile_id, x.backend,
           array_agg(j.backend ORDER BY j.attempt) FILTER (WHERE j.backend IS NOT NULL) AS attempt_backends
    FROM tiles x LEFT JOIN backend_jobs j USING (task_id, tile_id)
    GROUP BY x.task_id, x.tile_id;

    CREATE TABLE backend_health (
        backend text PRIMARY KEY,
        healthy boolean NOT NULL DEFAULT true,
        reason text,
        consecutive_failures int NOT NULL DEFAULT 0,
        since timestamptz NOT NULL DEFAULT now(),
        probed_at timestamptz,
        effective_limit int CHECK (effective_limit >= 1),
        updated_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE backend_health_events (
        id bigserial PRIMARY KEY,
        backend text NOT NULL,
        healthy boolean NOT NULL,
        reason text,
        occurred_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX backend_health_events_by_backend ON backend_health_events (backend, occurred_at);

    CREATE OR REPLACE VIEW task_progress AS
    WITH counts AS (
        SELECT t.id AS task_id, t.title, array_to_string(t.backends, ',') AS backend, t.priority, t.status AS task_status,
               t.created_at, t.budget,
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
    """
}
