extension Migrations {
    /// Estimate samples: a task stored with `sampling` dispatches only its `sample` tiles; the
    /// rest wait until `tilefleet estimate TASK --run` clears `sampling`. The sample's results
    /// stay the tiles' results, so the real run reuses them.
    static let v10Samples = """
    ALTER TABLE tasks ADD COLUMN sampling boolean NOT NULL DEFAULT false;
    ALTER TABLE tiles ADD COLUMN sample boolean NOT NULL DEFAULT false;
    """
}
