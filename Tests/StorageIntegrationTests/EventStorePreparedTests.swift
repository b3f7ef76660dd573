import FleetModel
import Foundation
import Postgres
@testable import Storage
import Testing
import TestSupport

/// The recorder's merge runs as prepared statements on small batches and planned afresh (with
/// `fresh` analysed) on large ones: both must give the state one large batch at a time gives.
@Suite struct EventStorePreparedTests {
    @Test func smallBatchesRunPreparedAndLargeOnesPlannedAfreshToTheSameState() async throws {
        let reference = try await TestDatabase.create()
        let mixed = try await TestDatabase.create()
        defer { TestCleanup.later { await reference.drop(); await mixed.drop() } }
        let tiles = 300
        let events = EventFixtures.lifeEvents(task: "sizes", tiles: tiles)
        for db in [reference, mixed] { try await db.makeTask("sizes", tiles: tiles) }
        for chunk in events.chunked(1_000) { try await EventStore(connection: reference.connection).apply(chunk) }

        // Batches on both sides of the limit, alternately, on one connection.
        let limit = EventStore.preparedBatchLimit
        let sizes = [1, limit, limit + 1, 7, 400, 60]
        let store = EventStore(connection: mixed.connection)
        var inserted = 0
        var start = 0
        for size in sizes.cycled() {
            guard start < events.count else { break }
            inserted += try await store.apply(events[start..<min(start + size, events.count)]).inserted
            start += size
        }
        #expect(inserted == Set(events.map(\.id)).count)
        #expect(try await EventFixtures.finalState(mixed.connection) == EventFixtures.finalState(reference.connection))
        // The lock-and-judge statement and the merge's steps, each prepared once on this connection.
        let prepared = try await mixed.connection.query("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'tilefleet\\_%'")
        #expect(try prepared[0].decode(Int.self, at: 0) == EventStore.mergeSteps.count + 1)
    }
}

private extension Array {
    /// The elements over and over.
    func cycled() -> some Sequence<Element> {
        sequence(state: 0) { index in
            defer { index = (index + 1) % count }
            return self[index]
        }
    }
}
