extension Migrations {
    /// Dispatch passes independent of a task's size. A pass counts a sampling task's pending
    /// sample tiles only up to what it can release; once the sample is dispatched there are none,
    /// and without `tiles_pending_sample` finding that out walks every pending tile of the task
    /// (a million for a million-tile task) on every pass. A task over several backends claims the
    /// tiles whose last attempt ran on the backend last; `tiles_pending_retried` finds those
    /// without a walk over all pending tiles. Both hold a few percent of a task at most.
    /// `tiles_pending_by_task` duplicated the leading column of `tiles_pending`; right after a
    /// large submit, before statistics catch up, the planner took it for the claim and sorted
    /// every pending tile to find the first ones in tile order (1.6 s on a million).
    static let v12PendingIndexes = """
    CREATE INDEX tiles_pending_sample ON tiles (task_id, tile_id) WHERE status = 'pending' AND sample;
    CREATE INDEX tiles_pending_retried ON tiles (task_id, backend, tile_id) WHERE status = 'pending' AND attempt > 1;
    DROP INDEX tiles_pending_by_task;
    """
}
