import FleetModel
import Foundation
import Postgres
import Storage
import Testing
import TestSupport

/// Heartbeats and ticks as the recorder stores them: a tile's last sign of life and trouble, and
/// the watermark, never event rows.
@Suite struct HeartbeatStoreTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    static func tile(_ db: TestDatabase, _ tile: String) async throws -> (seen: Date?, trouble: String?, since: Date?, tries: Int?) {
        let row = try await db.connection.query("""
            SELECT seen_at, trouble, trouble_since, trouble_tries FROM tiles WHERE task_id = 'beat' AND tile_id = \(tile)
            """)[0]
        return (try row.decode(Date?.self, at: 0), try row.decode(String?.self, at: 1), try row.decode(Date?.self, at: 2),
                try row.decode(Int?.self, at: 3))
    }

    @Test func heartbeatsKeepTheLatestSignOfLifeAndTheTroubleOfTheCurrentAttempt() async throws {
        let db = try await TestDatabase.create()
        defer { TestCleanup.later { await db.drop() } }
        try await db.makeTask("beat", tiles: 2)
        let store = EventStore(connection: db.connection)
        let tile = try await db.connection.query("SELECT tile_id FROM tiles WHERE task_id = 'beat' ORDER BY tile_id LIMIT 1")[0]
            .decode(String.self, at: 0)
        func beat(_ seconds: Double, trouble: String? = nil, tries: Int? = nil, attempt: Int = 1) -> Heartbeat {
            Heartbeat(task: "beat", tile: tile, attempt: attempt, time: Self.start.addingTimeInterval(seconds), trouble: trouble, tries: tries)
        }

        try await store.apply([], heartbeats: [beat(10, trouble: "submit failed: 503", tries: 1), beat(5)])
        var state = try await Self.tile(db, tile)
        #expect(state.seen == Self.start.addingTimeInterval(10), "the latest of the batch wins")
        #expect(state.trouble == "submit failed: 503" && state.tries == 1 && state.since == Self.start.addingTimeInterval(10))

        try await store.apply([], heartbeats: [beat(20, trouble: "submit failed: 429", tries: 2)])
        state = try await Self.tile(db, tile)
        #expect(state.trouble == "submit failed: 429" && state.tries == 2)
        #expect(state.since == Self.start.addingTimeInterval(10), "trouble keeps the time it began")

        try await store.apply([], heartbeats: [beat(15, trouble: "old news", tries: 9)])
        #expect(try await Self.tile(db, tile).trouble == "submit failed: 429", "an older heartbeat changes nothing")

        try await store.apply([], heartbeats: [beat(25, trouble: "from another attempt", tries: 1, attempt: 2)])
        state = try await Self.tile(db, tile)
        #expect(state.seen == Self.start.addingTimeInterval(25))
        #expect(state.trouble == "submit failed: 429", "trouble of an attempt the tile is not at is not its trouble")

        // The tile moves on: its trouble is over.
        try await store.apply([StatusEvent(task: "beat", tile: tile, attempt: 1, status: .submitted, backendJobID: "j",
                                           time: Self.start.addingTimeInterval(30))])
        state = try await Self.tile(db, tile)
        #expect(state.trouble == nil && state.since == nil && state.tries == nil)

        // Heartbeats are no events, and one for an unknown tile is dropped without a rejection.
        try await store.apply([], heartbeats: [Heartbeat(task: "beat", tile: "nope", attempt: 1, time: Self.start)])
        #expect(try await db.connection.query("SELECT count(*) FROM events")[0].decode(Int.self, at: 0) == 1)
        #expect(try await db.connection.query("SELECT count(*) FROM rejected_events")[0].decode(Int.self, at: 0) == 0)
    }

    @Test func theWatermarkOnlyMovesForward() async throws {
        let db = try await TestDatabase.create()
        defer { TestCleanup.later { await db.drop() } }
        let store = EventStore(connection: db.connection)
        func watermark() async throws -> Date? {
            try await db.connection.query("SELECT tick_at FROM recorder_watermark")
                .first?.decode(Date.self, at: 0)
        }
        #expect(try await watermark() == nil)
        try await store.apply([], tick: Self.start.addingTimeInterval(60))
        try await store.apply([], tick: Self.start)
        #expect(try await watermark() == Self.start.addingTimeInterval(60))
        try await store.apply([], tick: Self.start.addingTimeInterval(90))
        #expect(try await watermark() == Self.start.addingTimeInterval(90))
    }
}
