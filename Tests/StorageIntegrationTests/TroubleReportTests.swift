import FleetModel
import Foundation
import Storage
import Testing
import TestSupport

/// Tiles waiting on trouble as `status` (``TaskSummary/trouble``), `report` (the `trouble` table)
/// and `export` (``TileResult``) read them, and the jobs that may still run after their cancel.
@Suite struct TroubleReportTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)
    static func at(_ seconds: Double) -> Date { start.addingTimeInterval(seconds) }

    /// Task `rough`: tiles 0–3 queued, 0 and 1 with the same trouble, 2 with another, 3 without;
    /// task `calm`: one queued tile without trouble.
    static func seed(_ db: TestDatabase) async throws {
        try await db.makeTask("rough", tiles: 4)
        try await db.makeTask("calm", tiles: 1)
        let store = EventStore(connection: db.connection)
        try await store.apply((0..<4).map { StatusEvent(task: "rough", tile: TestDatabase.tileID($0), attempt: 1, status: .queued, time: at(1)) }
                              + [StatusEvent(task: "calm", tile: TestDatabase.tileID(0), attempt: 1, status: .queued, time: at(1))])
        try await store.apply([], heartbeats: [
            Heartbeat(task: "rough", tile: TestDatabase.tileID(0), attempt: 1, time: at(10), trouble: "submit failed: 503", tries: 3),
            Heartbeat(task: "rough", tile: TestDatabase.tileID(1), attempt: 1, time: at(20), trouble: "submit failed: 503", tries: 5),
            Heartbeat(task: "rough", tile: TestDatabase.tileID(2), attempt: 1, time: at(30), trouble: "try later: ConcurrentJobLimit", tries: 1),
            Heartbeat(task: "rough", tile: TestDatabase.tileID(3), attempt: 1, time: at(40)),
            Heartbeat(task: "calm", tile: TestDatabase.tileID(0), attempt: 1, time: at(40)),
        ])
    }

    @Test func statusCountsTheTilesInTroubleAndNamesTheMostCommonTrouble() async throws {
        let db = try await TestDatabase.create()
        defer { TestCleanup.later { await db.drop() } }
        try await Self.seed(db)
        let tasks = TaskStore(connection: db.connection)

        #expect(try await tasks.summaries(task: "rough")[0].trouble
                == TaskSummary.Trouble(tiles: 3, text: "submit failed: 503", since: Self.at(10), tries: 5))
        #expect(try await tasks.summaries(task: "calm")[0].trouble == nil)

        // A tile that moves on is out of trouble: one each now, the latest reported wins the tie.
        try await EventStore(connection: db.connection).apply([
            StatusEvent(task: "rough", tile: TestDatabase.tileID(0), attempt: 1, status: .submitted, backendJobID: "j0", time: Self.at(50)),
        ])
        #expect(try await tasks.summaries(task: "rough")[0].trouble
                == TaskSummary.Trouble(tiles: 2, text: "try later: ConcurrentJobLimit", since: Self.at(30), tries: 1))
    }

    @Test func theReportListsTheTilesInTroubleLongestFirst() async throws {
        let db = try await TestDatabase.create()
        defer { TestCleanup.later { await db.drop() } }
        try await Self.seed(db)
        let report = Report(connection: db.connection)

        let table = try #require(try await report.tables(task: "rough").first { $0.name == "trouble" })
        #expect(table.columns == ["task_id", "tile_id", "backend", "status", "attempt", "trouble", "trouble_since", "trouble_tries", "seen_at"])
        let kinds = Dictionary(uniqueKeysWithValues: zip(table.columns, table.kinds))
        #expect(kinds["trouble_since"] == .timestamp && kinds["trouble_tries"] == .integer && kinds["attempt"] == .integer)
        #expect(table.rows.map { $0[1] } == [TestDatabase.tileID(0), TestDatabase.tileID(1), TestDatabase.tileID(2)])
        #expect(table.rows.map { $0[5] } == ["submit failed: 503", "submit failed: 503", "try later: ConcurrentJobLimit"])
        #expect(table.rows.map { $0[7] } == ["3", "5", "1"])
        #expect(try await report.tables(task: "calm").first { $0.name == "trouble" }?.rows.isEmpty == true)
    }

    @Test func jobsWhoseCancelWasSentButWhoseEndWasNotSeenMayStillRun() async throws {
        let db = try await TestDatabase.create()
        defer { TestCleanup.later { await db.drop() } }
        try await db.makeTask("stop", tiles: 3)
        let events = EventStore(connection: db.connection)
        try await events.apply((0..<3).map {
            StatusEvent(task: "stop", tile: TestDatabase.tileID($0), attempt: 1, status: .submitted, backend: "sim", backendJobID: "j\($0)", time: Self.at(1))
        })
        let tasks = TaskStore(connection: db.connection)
        let (_, live) = try await tasks.cancel(task: "stop", tiles: [TestDatabase.tileID(0), TestDatabase.tileID(1)])
        try await tasks.markCancelSent(task: "stop", jobs: live.map { ($0.tile, $0.attempt) })
        #expect(try await tasks.summaries(task: "stop")[0].jobsMayRun == 2, "two cancels sent, no end seen; the third job was not canceled")

        // The platform confirms one cancel: that job has ended.
        try await events.apply([StatusEvent(task: "stop", tile: TestDatabase.tileID(1), attempt: 1, status: .canceled, backend: "sim",
                                            backendJobID: "j1", time: Self.at(5))])
        #expect(try await tasks.summaries(task: "stop")[0].jobsMayRun == 1)
        let table = try #require(try await Report(connection: db.connection).tables(task: "stop").first { $0.name == "jobs_may_run" })
        #expect(table.columns == ["task_id", "tile_id", "attempt", "backend", "job_id", "job_status", "tile_status", "cancel_sent_at"])
        #expect(table.rows.map { [$0[1], $0[4]] } == [[TestDatabase.tileID(0), "j0"]])
        #expect(try await tasks.summaries(task: "stop")[0].trouble == nil)
    }

    @Test func aCancelThePlatformDidNotConfirmEndsTheTileButNotItsJob() async throws {
        let db = try await TestDatabase.create()
        defer { TestCleanup.later { await db.drop() } }
        try await db.makeTask("stop", tiles: 1)
        let tile = TestDatabase.tileID(0)
        let events = EventStore(connection: db.connection)
        try await events.apply([StatusEvent(task: "stop", tile: tile, attempt: 1, status: .running, backend: "sim", backendJobID: "j0", time: Self.at(1))])
        let tasks = TaskStore(connection: db.connection)
        let (_, live) = try await tasks.cancel(task: "stop")
        try await tasks.markCancelSent(task: "stop", jobs: live.map { ($0.tile, $0.attempt) })
        func job() async throws -> (status: String, finished: Date?) {
            let row = try await db.connection.query("SELECT status, finished_at FROM backend_jobs WHERE task_id = 'stop'")[0]
            return (try row.decode(String.self, at: 0), try row.decode(Date?.self, at: 1))
        }

        var unconfirmed = StatusEvent(task: "stop", tile: tile, attempt: 1, status: .canceled, backend: "sim", backendJobID: "j0",
                                      message: "canceled in tilefleet; the platform did not confirm the cancel", time: Self.at(5))
        unconfirmed.cancelUnconfirmed = true
        try await events.apply([unconfirmed])
        var summary = try await tasks.summaries(task: "stop")[0]
        #expect(summary.count("canceled") == 1 && summary.isDone, "the tile has ended in tilefleet")
        var state = try await job()
        #expect(state.status == "running" && state.finished == nil, "its job has not")
        #expect(summary.jobsMayRun == 1)

        // The retried cancel gets through.
        try await events.apply([StatusEvent(task: "stop", tile: tile, attempt: 1, status: .canceled, backend: "sim", backendJobID: "j0", time: Self.at(60))])
        summary = try await tasks.summaries(task: "stop")[0]
        state = try await job()
        #expect(state.status == "canceled" && state.finished == Self.at(60))
        #expect(summary.jobsMayRun == 0 && summary.count("canceled") == 1)
    }

    @Test func resultsCarryEachTilesTrouble() async throws {
        let db = try await TestDatabase.create()
        defer { TestCleanup.later { await db.drop() } }
        try await Self.seed(db)
        let tiles = try await TaskStore(connection: db.connection).results(task: "rough")
        #expect(tiles.map(\.trouble) == ["submit failed: 503", "submit failed: 503", "try later: ConcurrentJobLimit", nil])
        #expect(tiles.map(\.troubleSince) == [Self.at(10), Self.at(20), Self.at(30), nil])
        #expect(tiles.map(\.troubleTries) == [3, 5, 1, nil])
    }
}
