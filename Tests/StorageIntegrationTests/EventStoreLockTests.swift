import Foundation
import Postgres
@testable import Storage
import Testing
import TestSupport

/// The statement that locks a batch's tiles and judges its events in one pass.
@Suite struct EventStoreLockTests {
    @Test func everyTileOfTheBatchIsLockedAndItsEventsAreJudgedOnTheLockedRows() async throws {
        let db = try await TestDatabase.create()
        defer { TestCleanup.later { await db.drop() } }
        try await db.makeTask("lock", tiles: 4)
        let (inBounds, beyond, unknown) = (UUID(), UUID(), UUID())
        let a = db.connection
        try await a.executeScript("BEGIN")
        try await a.executeScript(EventStore.createIncoming)
        try await a.execute("""
            INSERT INTO incoming (event_id, task_id, tile_id, attempt, status, occurred_at, detail) VALUES
                (\(inBounds), 'lock', \(TestDatabase.tileID(0)), 1, 'running', now(), '{}'),
                (\(beyond), 'lock', \(TestDatabase.tileID(1)), 9, 'running', now(), '{}'),
                (\(unknown), 'lock', 'no-such-tile', 1, 'running', now(), '{}')
            """)
        var reasons: [UUID: String] = [:]
        var unknownTiles: Set<UUID> = []
        for row in try await a.query(EventStore.lockAndJudge(skewSeconds: 30)) {
            let id = try row.decode(UUID.self, at: 0)
            reasons[id] = try row.decode(String.self, at: 1)
            if try row.decode(Bool.self, at: 2) { unknownTiles.insert(id) }
        }
        #expect(Set(reasons.keys) == [beyond, unknown])
        #expect(unknownTiles == [unknown])
        #expect(reasons[unknown] == EventStore.unknownTileReason)
        #expect(reasons[beyond]?.contains("field 'attempt' (9)") == true)
        var left: [UUID] = []
        for row in try await a.query("SELECT event_id FROM incoming") { left.append(try row.decode(UUID.self, at: 0)) }
        #expect(left == [inBounds])

        // While the batch's transaction is open, another connection cannot lock the tiles it
        // has events for (the one out of bounds too), and can lock the others.
        let b = try await PostgresConnection.connect(to: db.url)
        defer { TestCleanup.later { await b.close() } }
        #expect(try await Self.lockable(tile: 0, on: b) == false)
        #expect(try await Self.lockable(tile: 1, on: b) == false)
        #expect(try await Self.lockable(tile: 2, on: b) == true)
        try await a.executeScript("ROLLBACK")
        #expect(try await Self.lockable(tile: 0, on: b) == true)
    }

    /// Whether `connection` can lock the tile at once (false: another transaction holds it).
    private static func lockable(tile: Int, on connection: PostgresConnection) async throws -> Bool {
        do {
            try await connection.executeScript(
                "SELECT 1 FROM tiles WHERE task_id = 'lock' AND tile_id = '\(TestDatabase.tileID(tile))' FOR NO KEY UPDATE NOWAIT")
            return true
        } catch {
            guard error.sqlState == "55P03" else { throw error }
            return false
        }
    }
}
