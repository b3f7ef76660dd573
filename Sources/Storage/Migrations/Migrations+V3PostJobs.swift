extension Migrations {
    /// Runs of a task's post-job command, one per finished tile attempt: claimed by inserting the
    /// row (so one coordinator runs it), completed with the exit code and the output's tail — a
    /// failure is kept here, never lost.
    static let v3PostJobs = """
    CREATE TABLE post_jobs (
        task_id text NOT NULL,
        tile_id text NOT NULL,
        attempt int NOT NULL,
        command text NOT NULL,
        status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
        exit_code int,
        output text,
        runner text,
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        PRIMARY KEY (task_id, tile_id, attempt),
        FOREIGN KEY (task_id, tile_id) REFERENCES tiles (task_id, tile_id) ON DELETE CASCADE
    );
    CREATE INDEX post_jobs_failed ON post_jobs (task_id) WHERE status = 'failed';
    """
}
