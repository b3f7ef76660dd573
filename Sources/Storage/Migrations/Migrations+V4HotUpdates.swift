extension Migrations {
    /// Leaves room in each page of the two tables the recorder updates on every event, so a
    /// progress report is a heap-only update that touches no index.
    static let v4HotUpdates = """
    ALTER TABLE tiles SET (fillfactor = 70);
    ALTER TABLE backend_jobs SET (fillfactor = 80);
    """
}
