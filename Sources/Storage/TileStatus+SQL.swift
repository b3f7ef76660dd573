import FleetModel

extension TileStatus {
    /// `'queued', 'submitted', 'running'`: an SQL list of `statuses` for `status IN (…)`, made from
    /// the model so that no query spells the vocabulary out. Written into the SQL text (the values
    /// are the model's own), so the planner can match partial indexes on these lists.
    package static func sqlList(_ statuses: [TileStatus]) -> String {
        statuses.map { "'\($0.rawValue)'" }.joined(separator: ", ")
    }
}
