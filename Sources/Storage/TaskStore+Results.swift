import FleetModel
import Foundation
import Postgres

extension TaskStore {
    /// Every tile of `task` (or only `tile`) with its current attempt's assets, its trouble, the
    /// credits of all its attempts and its latest usage, in tile order; with `after` and `limit`,
    /// a page: at most `limit` tiles whose id sorts after `after` (so a million tiles are read a
    /// page at a time).
    public func results(task: String, tile: String? = nil, after: String? = nil, limit: Int? = nil) async throws -> [TileResult] {
        try await requireTask(task)
        let rows = try await connection.query("""
            SELECT t.tile_id, t.cell_id, t.window_start::text, t.window_end::text, t.geometry, t.area_km2, t.status, t.attempt,
                   t.backend_job_id, t.last_error, t.dispatched_at, t.submitted_at, t.started_at, t.finished_at,
                   coalesce((SELECT jsonb_agg(jsonb_build_object('href', a.href, 'key', a.key, 'type', a.type, 'roles', to_jsonb(a.roles),
                                                                 'title', a.title, 'size', a.size) ORDER BY a.href)
                             FROM assets a WHERE a.task_id = t.task_id AND a.tile_id = t.tile_id AND a.attempt = t.attempt), '[]'),
                   t.trouble, t.trouble_since, t.trouble_tries, c.credits, c.usage, t.backend,
                   array_to_string(c.backends, ',')
            FROM tiles t
            LEFT JOIN LATERAL (SELECT sum(j.costs) AS credits,
                                      (array_agg(j.usage ORDER BY j.attempt DESC) FILTER (WHERE j.usage IS NOT NULL))[1] AS usage,
                                      array_agg(j.backend ORDER BY j.attempt) FILTER (WHERE j.backend IS NOT NULL) AS backends
                               FROM backend_jobs j WHERE j.task_id = t.task_id AND j.tile_id = t.tile_id) c ON true
            WHERE t.task_id = \(task) AND (\(tile)::text IS NULL OR t.tile_id = \(tile))
              AND (\(after)::text IS NULL OR t.tile_id > \(after))
            ORDER BY t.tile_id LIMIT \(limit)
            """)
        return try rows.map { row in
            let assets = try row.decode(PostgresJSON.self, at: 14).decode([StoredAsset].self).map {
                TileResult.Asset(href: $0.href, key: $0.key, type: $0.type, roles: $0.roles ?? [], title: $0.title, size: $0.size)
            }
            var result = TileResult(
                task: task, tile: try row.decode(String.self, at: 0), cellID: try row.decode(String?.self, at: 1),
                windowStart: try row.decode(String?.self, at: 2), windowEnd: try row.decode(String?.self, at: 3),
                geometry: try row.decode(String?.self, at: 4), areaKm2: try row.decode(Double?.self, at: 5),
                status: try row.decode(String.self, at: 6), attempt: try row.decode(Int.self, at: 7),
                backendJobID: try row.decode(String?.self, at: 8), lastError: try row.decode(String?.self, at: 9),
                dispatchedAt: try row.decode(Date?.self, at: 10), submittedAt: try row.decode(Date?.self, at: 11),
                startedAt: try row.decode(Date?.self, at: 12), finishedAt: try row.decode(Date?.self, at: 13), assets: assets)
            result.trouble = try row.decode(String?.self, at: 15)
            result.troubleSince = try row.decode(Date?.self, at: 16)
            result.troubleTries = try row.decode(Int?.self, at: 17)
            result.credits = try row.decode(Double?.self, at: 18)
            result.usage = try row.decode(PostgresJSON?.self, at: 19).flatMap { try? $0.decode([String: UsageQuantity].self) }
            result.backend = try row.decode(String.self, at: 20)
            result.attemptBackends = try row.decode(String?.self, at: 21).map { $0.split(separator: ",").map(String.init) } ?? []
            return result
        }
    }

    private struct StoredAsset: Decodable {
        var href: String
        var key: String?
        var type: String?
        var roles: [String]?
        var title: String?
        var size: Int64?
    }
}
