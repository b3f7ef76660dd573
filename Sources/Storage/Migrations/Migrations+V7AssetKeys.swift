extension Migrations {
    /// The platform's own name of each asset (`openEO.tif`, an OGC output id), which APEx clients
    /// look results up by (`assets["openEO.tif"].href`); null for assets recorded before it was kept.
    /// The requester of a task is looked up by it when `serve` lists a user's tasks.
    static let v7AssetKeys = """
    ALTER TABLE assets ADD COLUMN key text;
    CREATE INDEX tasks_by_requester ON tasks (requested_by, created_at DESC);
    """
}
