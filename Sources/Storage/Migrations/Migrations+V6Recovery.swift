extension Migrations {
    /// Self-healing after lost items: `tiles.item_at` is when the coordinator last published an
    /// item for the tile (dispatch or recovery), `seen_at` the last heartbeat of its attempt, and
    /// `trouble` / `trouble_since` / `trouble_tries` what keeps it waiting (a "try later", a failing
    /// call); `recorder_watermark` holds the coordinator tick the recorder applied last, so the
    /// coordinator judges silence against what the recorder has really caught up with. Columns
    /// that no index covers, so heartbeats stay heap-only updates.
    static let v6Recovery = """
    ALTER TABLE tiles ADD COLUMN item_at timestamptz;
    ALTER TABLE tiles ADD COLUMN seen_at timestamptz;
    ALTER TABLE tiles ADD COLUMN trouble text;
    ALTER TABLE tiles ADD COLUMN trouble_since timestamptz;
    ALTER TABLE tiles ADD COLUMN trouble_tries int;
    UPDATE tiles SET item_at = dispatched_at WHERE dispatched_at IS NOT NULL;
    CREATE TABLE recorder_watermark (
        id int PRIMARY KEY CHECK (id = 1),
        tick_at timestamptz NOT NULL
    );
    """
}
