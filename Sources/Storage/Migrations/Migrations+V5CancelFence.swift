extension Migrations {
    /// Cancel that holds: `tiles.canceled_attempt` is the attempt a tile was canceled at, and
    /// events of later attempts no longer move it (a retry the worker started anyway, a job that
    /// failed as it was canceled); `backend_jobs.cancel_sent_at` records that a cancel item went
    /// out for a job, so jobs still running for a canceled tile or an old attempt are canceled
    /// once, by the coordinator.
    static let v5CancelFence = """
    ALTER TABLE tiles ADD COLUMN canceled_attempt int;
    ALTER TABLE backend_jobs ADD COLUMN cancel_sent_at timestamptz;
    CREATE INDEX tiles_cancel_fence ON tiles (task_id, tile_id) WHERE canceled_attempt IS NOT NULL;
    -- Jobs not ended and not yet sent a cancel. The predicate uses only columns whose change
    -- already costs an index update (`finished_at` is in backend_jobs_by_backend), so progress
    -- and status changes stay heap-only.
    CREATE INDEX backend_jobs_live ON backend_jobs (task_id, tile_id, attempt)
        WHERE finished_at IS NULL AND cancel_sent_at IS NULL;
    """
}
