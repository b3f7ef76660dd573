import FleetModel
import Foundation
import Postgres
import Storage
import Testing
import TestSupport

/// Parked tiles in the database: the recorder parks a tile on a `queued` event marked `parked`
/// (keeping its job), only while it still waits on that attempt; a tile that moves on is no longer
/// parked; the backend monitor counts parked tiles as refused starts and leaves them out of the
/// jobs the platform holds.
@Suite struct ParkingStoreTests {
    static func parked(_ tile: Int, job: String?, at time: Date, attempt: Int = 1) -> StatusEvent {
        var event = StatusEvent(task: "park", tile: TestDatabase.tileID(tile), attempt: attempt, status: .queued, backend: "sim",
                                backendJobID: job, message: "refused for now", time: time)
        event.parked = true
        return event
    }

    @Test func aParkedEventParksAQueuedTileWithItsJobAndATileThatMovesOnIsNoLongerParked() async throws {
        let db = try await TestDatabase.create()
        defer { TestCleanup.later { await db.drop() } }
        try await db.makeTask("park", tiles: 4)
        try await db.connection.execute("UPDATE tiles SET status = 'queued', backend = 'sim', dispatched_at = now(), item_at = now(), status_at = now()")
        let store = EventStore(connection: db.connection)
        let before = try await BackendHealthStore(connection: db.connection).observe(backend: "sim", since: Date(timeIntervalSince1970: 0))
        #expect(before.refused == 0 && before.holding == 4)

        let now = Date()
        // Tile 3 was submitted already: a parked event of the same attempt arriving late leaves it alone.
        try await store.apply([StatusEvent(task: "park", tile: TestDatabase.tileID(3), attempt: 1, status: .submitted, backend: "sim",
                                           backendJobID: "j-3", time: now)])
        try await store.apply([Self.parked(0, job: "j-0", at: now), Self.parked(1, job: nil, at: now), Self.parked(3, job: "j-3", at: now)])
        let rows = try await db.connection.query("""
            SELECT tile_id, status, parked_at IS NOT NULL, backend_job_id FROM tiles ORDER BY tile_id
            """).map { (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1), try $0.decode(Bool.self, at: 2),
                        try $0.decode(String?.self, at: 3)) }
        #expect(rows.map(\.1) == ["queued", "queued", "queued", "submitted"])
        #expect(rows.map(\.2) == [true, true, false, false])
        #expect(rows.map(\.3) == ["j-0", nil, nil, "j-3"])

        // The monitor: two refused starts since the start, the platform holding the other two.
        let seen = try await BackendHealthStore(connection: db.connection).observe(backend: "sim", since: Date(timeIntervalSince1970: 0))
        #expect(seen.refused == 2)
        #expect(seen.holding == 2)
        #expect(seen.failuresInARow == 0, "a refusal is a limit, not a failure")

        // Tile 0 taken up and accepted: no longer parked.
        try await store.apply([StatusEvent(task: "park", tile: TestDatabase.tileID(0), attempt: 1, status: .submitted, backend: "sim",
                                           backendJobID: "j-0", time: now.addingTimeInterval(1))])
        #expect(try await db.connection.query("SELECT count(*) FROM tiles WHERE parked_at IS NOT NULL")[0].decode(Int.self, at: 0) == 1)
        let later = try await BackendHealthStore(connection: db.connection).observe(backend: "sim", since: seen.at)
        #expect(later.refused == 0, "no tile parked since the last observation")
        #expect(later.holding == 3)
    }
}
