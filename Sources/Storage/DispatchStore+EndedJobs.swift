import FleetModel
import Foundation
import Postgres

extension DispatchStore {
    /// One attempt of a tile whose job a worker saw end on `backend` (its `finished` event, read
    /// by the coordinator off the events exchange before the recorder stores it).
    public struct EndedAttempt: Sendable, Hashable {
        public var task: String
        public var tile: String
        public var attempt: Int
        public var backend: String

        public init(task: String, tile: String, attempt: Int, backend: String) {
            self.task = task
            self.tile = tile
            self.attempt = attempt
            self.backend = backend
        }
    }
}

extension DispatchStore {
    /// `ended` as the text of four PostgreSQL arrays, for `unnest`.
    struct EndedArrays {
        var tasks: String
        var tiles: String
        var attempts: String
        var backends: String

        init(_ ended: [EndedAttempt]) {
            tasks = TaskStore.textArray(ended.map(\.task))
            tiles = TaskStore.textArray(ended.map(\.tile))
            attempts = "{" + ended.map { String($0.attempt) }.joined(separator: ",") + "}"
            backends = TaskStore.textArray(ended.map(\.backend))
        }
    }
}

extension DispatchStore.Transaction {
    /// Those of `ended` that the database still counts in flight: the tile is on the attempt's
    /// backend, at that attempt, in a status in flight and not parked. The others are stored
    /// already (or their tile moved on) and need no note any more. (The counts that free their
    /// slots take them apart in the counting statement itself: ``taskLoads(in:backend:pendingUpTo:ended:)``.)
    static func stillInFlight(in session: PostgresSession, _ ended: [DispatchStore.EndedAttempt]) throws(PostgresError) -> [DispatchStore.EndedAttempt] {
        guard !ended.isEmpty else { return [] }
        let arrays = DispatchStore.EndedArrays(ended)
        let rows = try session.query("""
            SELECT t.task_id, t.tile_id, t.attempt, t.backend
            FROM unnest(\(arrays.tasks)::text[], \(arrays.tiles)::text[], \(arrays.attempts)::int[], \(arrays.backends)::text[])
                 AS e(task_id, tile_id, attempt, backend)
            JOIN tiles t ON t.task_id = e.task_id AND t.tile_id = e.tile_id
            WHERE t.attempt = e.attempt AND t.backend = e.backend AND t.parked_at IS NULL
              AND t.status IN (\(unescaped: TileStatus.sqlList(TileStatus.inFlight)))
            """)
        return try rows.map { row throws(PostgresError) in
            DispatchStore.EndedAttempt(task: try row.decode(String.self, at: 0), tile: try row.decode(String.self, at: 1),
                                       attempt: try row.decode(Int.self, at: 2), backend: try row.decode(String.self, at: 3))
        }
    }
}
