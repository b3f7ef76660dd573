extension Migrations {
    static let v1Tables = """
    CREATE FUNCTION tilefleet_status_rank(status text) RETURNS int
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        RETURN CASE status
            WHEN 'pending' THEN 0 WHEN 'queued' THEN 1 WHEN 'submitted' THEN 2 WHEN 'running' THEN 3
            ELSE 4 END;

    CREATE TABLE tasks (
        id text PRIMARY KEY,
        title text NOT NULL,
        backend text NOT NULL,
        spec jsonb NOT NULL,
        priority int NOT NULL DEFAULT 0,
        max_attempts int NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
        max_runtime_seconds int,
        requested_by text,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'canceled', 'done')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE tiles (
        task_id text NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
        tile_id text NOT NULL,
        cell_id text,
        window_label text,
        window_start date,
        window_end date,
        parameters jsonb NOT NULL DEFAULT '{}',
        geometry text,
        area_km2 float8,
        backend text NOT NULL,
        status text NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'queued', 'submitted', 'running', 'finished', 'failed', 'canceled')),
        attempt int NOT NULL DEFAULT 1 CHECK (attempt >= 1),
        backend_job_id text,
        raw_status text,
        progress float8,
        message text,
        last_error text,
        last_error_attempt int,
        last_error_at timestamptz,
        status_at timestamptz,
        last_event_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        dispatched_at timestamptz,
        submitted_at timestamptz,
        started_at timestamptz,
        finished_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (task_id, tile_id)
    );
    CREATE INDEX tiles_active_by_backend ON tiles (backend) WHERE status IN ('queued', 'submitted', 'running');
    CREATE INDEX tiles_pending_by_task ON tiles (task_id) WHERE status = 'pending';
    CREATE INDEX tiles_by_status ON tiles (task_id, status);

    CREATE TABLE backend_jobs (
        task_id text NOT NULL,
        tile_id text NOT NULL,
        attempt int NOT NULL,
        backend text,
        job_id text,
        idempotency_key text NOT NULL,
        status text NOT NULL,
        raw_status text,
        status_at timestamptz,
        submitted_at timestamptz,
        started_at timestamptz,
        finished_at timestamptz,
        error text,
        error_at timestamptz,
        usage jsonb,
        PRIMARY KEY (task_id, tile_id, attempt),
        FOREIGN KEY (task_id, tile_id) REFERENCES tiles (task_id, tile_id) ON DELETE CASCADE
    );
    CREATE INDEX backend_jobs_by_backend ON backend_jobs (backend, finished_at);

    CREATE TABLE events (
        event_id uuid PRIMARY KEY,
        task_id text NOT NULL,
        tile_id text NOT NULL,
        attempt int NOT NULL,
        status text NOT NULL
            CHECK (status IN ('queued', 'submitted', 'running', 'finished', 'failed', 'canceled', 'retrying')),
        raw_status text,
        backend text,
        backend_job_id text,
        progress float8,
        message text,
        error text,
        worker_id text,
        occurred_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        detail jsonb NOT NULL DEFAULT '{}'
    );
    -- No foreign key: the recorder checks each batch's tiles once, and this append-only table is
    -- the hottest write path. Deleting a task deletes its events explicitly.
    CREATE INDEX events_by_tile ON events (task_id, tile_id, attempt);

    CREATE TABLE assets (
        task_id text NOT NULL,
        tile_id text NOT NULL,
        attempt int NOT NULL,
        href text NOT NULL,
        type text,
        roles text[],
        title text,
        size bigint,
        PRIMARY KEY (task_id, tile_id, attempt, href),
        FOREIGN KEY (task_id, tile_id) REFERENCES tiles (task_id, tile_id) ON DELETE CASCADE
    );

    CREATE TABLE rejected_events (
        id bigserial PRIMARY KEY,
        received_at timestamptz NOT NULL DEFAULT now(),
        reason text NOT NULL,
        routing_key text,
        body bytea NOT NULL
    );
    """
}
