import FleetModel
import Foundation
import Postgres
import Storage
import TestSupport
import Testing

/// What `serve` reads: a tile's details and attempts, results with the platform's asset keys, and
/// tasks by who asked for them.
@Suite struct TileDetailsTests {
    @Test func aFinishedTileShowsItsAttemptsAndItsAssetsUnderThePlatformsKeys() async throws {
        let db = try await TestDatabase.create()
        defer { TestCleanup.later { await db.drop() } }
        let store = TaskStore(connection: db.connection)
        try await store.insert(TaskStore.NewTask(id: "t1", title: "one", backend: "sim", spec: PostgresJSON(text: "{}"), requestedBy: "alice"),
                               tiles: [TaskStore.NewTile(tileID: "a", parametersJSON: #"{"year":2020}"#), TaskStore.NewTile(tileID: "b")])
        let events = [
            StatusEvent(task: "t1", tile: "a", attempt: 1, status: .submitted, backend: "sim", backendJobID: "j-1"),
            StatusEvent(task: "t1", tile: "a", attempt: 1, status: .finished, backend: "sim", backendJobID: "j-1", assets: [
                StatusEvent.Asset(key: "openEO.tif", href: "https://sim/a/openEO.tif", type: "image/tiff", roles: ["data"], title: "result"),
                StatusEvent.Asset(href: "https://sim/a/old.json"),
            ]),
        ]
        try await EventStore(connection: db.connection).apply(events)

        let result = try #require(try await store.results(task: "t1", tile: "a").first)
        #expect(result.tile == "a")
        #expect(result.assets.map(\.key) == [nil, "openEO.tif"])
        #expect(try await store.results(task: "t1").count == 2)

        let details = try await store.tileDetails(task: "t1")
        #expect(details.map(\.tile) == ["a", "b"])
        #expect(details[0].status == "finished")
        #expect(details[0].backendJobID == "j-1")
        #expect(details[0].parametersJSON == #"{"year": 2020}"#)
        #expect(details[1].status == "pending")
        let attempts = try await store.attempts(task: "t1", tile: "a")
        #expect(attempts.map(\.attempt) == [1])
        #expect(attempts.first?.jobID == "j-1")
        #expect(attempts.first?.status == "finished")
        await #expect(throws: TaskStoreError.self) { try await store.attempts(task: "t1", tile: "zz") }
    }

    @Test func tasksAreListedForWhoAskedForThem() async throws {
        let db = try await TestDatabase.create()
        defer { TestCleanup.later { await db.drop() } }
        let store = TaskStore(connection: db.connection)
        for (id, user) in [("a1", "alice"), ("b1", "bob"), ("a2", "alice")] {
            try await store.insert(TaskStore.NewTask(id: id, title: id, backend: "sim", spec: PostgresJSON(text: "{}"), requestedBy: user),
                                   tiles: [TaskStore.NewTile(tileID: "x")])
        }
        #expect(Set(try await store.summaries(requestedBy: "alice").map(\.id)) == ["a1", "a2"])
        #expect(try await store.summaries(requestedBy: "alice").allSatisfy { $0.requestedBy == "alice" })
        // Another user's task is as unknown as one that does not exist.
        await #expect(throws: TaskStoreError.self) { try await store.summaries(task: "b1", requestedBy: "alice") }
        #expect(try await store.requester(of: "b1") == "bob")
        #expect(Set(try await store.tiles(requestedBy: "bob", limit: 10, offset: 0).map(\.task)) == ["b1"])
        #expect(try await store.tiles(requestedBy: "alice", limit: 1, offset: 1).count == 1)
    }
}
