import FleetModel
import Foundation
import Postgres

extension TaskStore {
    /// A sample tile's figures for an estimate. Its size is its area in km² times its window's
    /// days (1 where either is unknown): what a job's work grows with.
    public struct SampleTile: Sendable, Hashable {
        public var tile: String
        public var status: TileStatus
        public var size: Double
        /// Credits of all its attempts, as the platform reported them.
        public var credits: Double?
        /// From its dispatch to its end: what one of the backend's slots spent on it.
        public var turnaroundSeconds: Double?

        public init(tile: String, status: TileStatus, size: Double, credits: Double?, turnaroundSeconds: Double?) {
            self.tile = tile
            self.status = status
            self.size = size
            self.credits = credits
            self.turnaroundSeconds = turnaroundSeconds
        }
    }

    /// A task's estimate sample and the population it stands for.
    public struct SampleFigures: Sendable {
        public var backend: String
        /// True until the rest is released (``releaseSample(task:)``).
        public var sampling: Bool
        public var tiles: Int
        /// The sum of every tile's size (see ``SampleTile/size``).
        public var totalSize: Double
        public var totalAreaKm2: Double
        /// Whether its tiles have time windows (sizes are then km²·days, else km²).
        public var windowed: Bool
        public var sample: [SampleTile]
    }

    /// The size of a tile row `x` in SQL (see ``SampleTile/size``).
    private static let sizeSQL = "coalesce(x.area_km2, 1) * greatest(coalesce(x.window_end - x.window_start, 1), 1)::float8"

    /// The figures ``SampleFigures`` names; throws ``TaskStoreError/unknownTask(_:)`` for an unknown task.
    public func sampleFigures(task: String) async throws -> SampleFigures {
        let head = try await connection.query("""
            SELECT k.backend, k.sampling, count(x.tile_id), coalesce(sum(\(unescaped: Self.sizeSQL)), 0), coalesce(sum(x.area_km2), 0),
                   coalesce(bool_or(x.window_start IS NOT NULL), false)
            FROM tasks k LEFT JOIN tiles x ON x.task_id = k.id WHERE k.id = \(task) GROUP BY k.id
            """)
        guard let row = head.first else { throw TaskStoreError.unknownTask(task) }
        let rows = try await connection.query("""
            SELECT x.tile_id, x.status, \(unescaped: Self.sizeSQL),
                   (SELECT sum(j.costs) FROM backend_jobs j WHERE j.task_id = x.task_id AND j.tile_id = x.tile_id),
                   extract(epoch FROM x.finished_at - x.dispatched_at)::float8
            FROM tiles x WHERE x.task_id = \(task) AND x.sample ORDER BY x.tile_id
            """)
        let sample = try rows.map { row in
            SampleTile(tile: try row.decode(String.self, at: 0), status: TileStatus(rawValue: try row.decode(String.self, at: 1)) ?? .pending,
                       size: try row.decode(Double.self, at: 2), credits: try row.decode(Double?.self, at: 3),
                       turnaroundSeconds: try row.decode(Double?.self, at: 4))
        }
        return SampleFigures(backend: try row.decode(String.self, at: 0), sampling: try row.decode(Bool.self, at: 1),
                             tiles: try row.decode(Int.self, at: 2), totalSize: try row.decode(Double.self, at: 3),
                             totalAreaKm2: try row.decode(Double.self, at: 4), windowed: try row.decode(Bool.self, at: 5), sample: sample)
    }

    /// Ends `task`'s sampling: the rest of its tiles become dispatchable, and the coordinators are
    /// woken (`NOTIFY tilefleet_tiles`). Returns false when it was not sampling.
    @discardableResult
    public func releaseSample(task: String) async throws -> Bool {
        try await requireTask(task)
        let rows = try await connection.query("""
            WITH changed AS (UPDATE tasks SET sampling = false, updated_at = now() WHERE id = \(task) AND sampling RETURNING id, backend)
            SELECT pg_notify('tilefleet_tiles', id || ' ' || backend) FROM changed
            """)
        return !rows.isEmpty
    }
}
