extension Migrations {
    /// Parked tiles: a tile whose start the platform refused with "try later" waits `queued`
    /// with `parked_at` set (and its job, if one was created) and no work item, until a dispatch
    /// pass has a slot under the backend's effective limit and starts it again. The index serves
    /// that pass, which looks only at a backend's parked tiles.
    static let v11Parking = """
    ALTER TABLE tiles ADD COLUMN parked_at timestamptz;
    CREATE INDEX tiles_parked ON tiles (backend, parked_at) WHERE parked_at IS NOT NULL;
    """
}
