import FleetModel
import Foundation
import Postgres
import Storage
import Testing
import TestSupport

@Suite struct EventStoreTests {
    @Test func replayingTenThousandEventsTwiceAndShuffledGivesTheSameState() async throws {
        let inOrder = try await TestDatabase.create()
        let shuffled = try await TestDatabase.create()
        defer { TestCleanup.later { await inOrder.drop(); await shuffled.drop() } }
        let tiles = 1_400
        let events = EventFixtures.lifeEvents(task: "replay", tiles: tiles)
        #expect(events.count >= 10_000)
        for db in [inOrder, shuffled] { try await db.makeTask("replay", tiles: tiles) }

        let store = EventStore(connection: inOrder.connection)
        for chunk in events.chunked(500) { try await store.apply(chunk) }
        let once = try await EventFixtures.finalState(inOrder.connection)
        var replayedInserted = 0
        for chunk in events.chunked(500) { replayedInserted += try await store.apply(chunk).inserted }
        #expect(replayedInserted == 0)
        #expect(try await EventFixtures.finalState(inOrder.connection) == once)

        var rng = SeededGenerator(seed: 42)
        let mixed = (events + events).shuffled(using: &rng)
        let other = EventStore(connection: shuffled.connection)
        for chunk in mixed.chunked(333) { try await other.apply(chunk) }
        #expect(try await EventFixtures.finalState(shuffled.connection) == once)

        let summary = try await inOrder.connection.query("""
            SELECT count(*) FILTER (WHERE status = 'finished'), count(*) FILTER (WHERE status = 'failed'),
                   count(*) FILTER (WHERE attempt = 2), (SELECT count(*) FROM assets)
            FROM tiles
            """)[0]
        let failed = (0..<tiles).filter { $0 % 17 == 0 }.count
        #expect(try summary.decode(Int.self, at: 0) == tiles - failed)
        #expect(try summary.decode(Int.self, at: 1) == failed)
        #expect(try summary.decode(Int.self, at: 2) == tiles / 5)
        #expect(try summary.decode(Int.self, at: 3) == 2 * (tiles - failed))
    }

    @Test func twoWritersRacingOnTheSameTilesGiveTheSameStateAsOne() async throws {
        let sequential = try await TestDatabase.create()
        let racing = try await TestDatabase.create()
        defer { TestCleanup.later { await sequential.drop(); await racing.drop() } }
        let tiles = 600
        let events = EventFixtures.lifeEvents(task: "race", tiles: tiles)
        for db in [sequential, racing] { try await db.makeTask("race", tiles: tiles) }
        for chunk in events.chunked(400) { try await EventStore(connection: sequential.connection).apply(chunk) }

        // Every batch of one writer overlaps the other's tiles; a deadlock between them is
        // rerun, as the recorder does.
        var rng = SeededGenerator(seed: 7)
        let halves = events.shuffled(using: &rng).chunked(events.count / 2 + 1)
        let second = try await PostgresConnection.connect(to: racing.url)
        defer { TestCleanup.later { await second.close() } }
        var reruns = 0
        try await withThrowingTaskGroup(of: Int.self) { group in
            for (half, connection) in zip(halves, [racing.connection, second]) {
                group.addTask {
                    let store = EventStore(connection: connection)
                    var conflicts = 0
                    for chunk in Array(half).chunked(200) {
                        while true {
                            do { try await store.apply(chunk); break } catch let error as StorageError where error.isConflict { conflicts += 1 }
                        }
                    }
                    return conflicts
                }
            }
            for try await conflicts in group { reruns += conflicts }
        }
        #expect(try await EventFixtures.finalState(racing.connection) == EventFixtures.finalState(sequential.connection))
        print("racing writers: \(reruns) batch(es) rerun after a deadlock")
    }

    /// Events of one attempt stamped with the same millisecond, differing only where a NULL or a
    /// tie could let the first one win: applied one way, the other way and in one batch.
    @Test func tiesAtTheSameTimeMergeTheSameWhateverTheOrder() async throws {
        let db = try await TestDatabase.create()
        defer { TestCleanup.later { await db.drop() } }
        let t = EventFixtures.recentTime()
        let tile = TestDatabase.tileID(0)
        let pairs: [(StatusEvent, StatusEvent)] = [
            (StatusEvent(task: "x", tile: tile, attempt: 1, status: .failed, rawStatus: nil, error: "boom", time: t),
             StatusEvent(task: "x", tile: tile, attempt: 1, status: .failed, rawStatus: "error", error: "boom", time: t)),
            (StatusEvent(task: "x", tile: tile, attempt: 1, status: .failed, rawStatus: "x", time: t),
             StatusEvent(task: "x", tile: tile, attempt: 1, status: .canceled, rawStatus: "x", time: t)),
            (StatusEvent(task: "x", tile: tile, attempt: 1, status: .failed, time: t),
             StatusEvent(task: "x", tile: tile, attempt: 1, status: .retrying, error: "boom", time: t)),
            (StatusEvent(task: "x", tile: tile, attempt: 1, status: .running, backend: nil, backendJobID: "j-1", time: t),
             StatusEvent(task: "x", tile: tile, attempt: 1, status: .running, backend: "sim", backendJobID: "j-1", time: t)),
        ]
        let store = EventStore(connection: db.connection)
        for (index, (first, second)) in pairs.enumerated() {
            var states: [[String]] = []
            for order in ["ab", "ba", "one"] {
                let task = "\(order)-\(index)"
                try await db.makeTask(task, tiles: 1)
                // Fresh ids for each copy, in the same relative order: the tile's last tie-break.
                let serial = String(format: "%012d", index * 10 + states.count)
                func copy(_ event: StatusEvent, _ prefix: String) -> StatusEvent {
                    var copy = event
                    copy.id = UUID(uuidString: "\(prefix)0000000-0000-0000-0000-\(serial)")!
                    copy.task = task
                    return copy
                }
                let (a, b) = (copy(first, "1"), copy(second, "2"))
                switch order {
                case "ab": try await store.apply([a]); try await store.apply([b])
                case "ba": try await store.apply([b]); try await store.apply([a])
                default: try await store.apply([a, b])
                }
                let rows = try await db.connection.query("""
                    SELECT t.status, t.attempt, t.raw_status, t.last_error, j.status, j.raw_status, j.status_at, j.error, j.error_at,
                           j.backend, j.job_id
                    FROM tiles t LEFT JOIN backend_jobs j USING (task_id, tile_id) WHERE t.task_id = \(task) ORDER BY j.attempt
                    """)
                states.append(rows.map { row in (0..<row.columnCount).map { row[$0] ?? "∅" }.joined(separator: "|") })
            }
            #expect(states[0] == states[1], "pair \(index): \(states[0]) vs \(states[1])")
            #expect(states[0] == states[2], "pair \(index): \(states[0]) vs \(states[2]) (one batch)")
        }
    }

    @Test func aStaleRunningAfterFinishedChangesNothing() async throws {
        let db = try await TestDatabase.create()
        defer { TestCleanup.later { await db.drop() } }
        try await db.makeTask("stale", tiles: 1)
        let store = EventStore(connection: db.connection)
        let t = EventFixtures.recentTime()
        let tile = TestDatabase.tileID(0)
        try await store.apply([
            StatusEvent(task: "stale", tile: tile, attempt: 1, status: .submitted, backendJobID: "j1", time: t),
            StatusEvent(task: "stale", tile: tile, attempt: 1, status: .finished, backendJobID: "j1", time: t.addingTimeInterval(10)),
        ])
        let position: PostgresQuery = "SELECT status, attempt, progress, status_at, last_event_id, finished_at FROM tiles"
        let before = try await db.connection.query(position).map { row in (0..<row.columnCount).map { row[$0] } }
        // A late `running`, even one stamped after `finished` by a worker with a fast clock.
        try await store.apply([
            StatusEvent(task: "stale", tile: tile, attempt: 1, status: .running, progress: 0.4, time: t.addingTimeInterval(5)),
            StatusEvent(task: "stale", tile: tile, attempt: 1, status: .running, progress: 0.8, time: t.addingTimeInterval(60)),
        ])
        let after = try await db.connection.query(position).map { row in (0..<row.columnCount).map { row[$0] } }
        #expect(after == before)
        let tileRow = try await db.connection.query("SELECT status, started_at FROM tiles")[0]
        #expect(try tileRow.decode(String.self, at: 0) == "finished")
        // Its time still counts: it is the earliest `running` seen for the attempt.
        #expect(try tileRow.decode(Date.self, at: 1) == t.addingTimeInterval(5))
    }

    @Test func attemptsAreBoundedByMaxAttemptsTheTilesAttemptAndTheLead() async throws {
        let db = try await TestDatabase.create()
        defer { TestCleanup.later { await db.drop() } }
        try await TaskStore(connection: db.connection).insert(
            TaskStore.NewTask(id: "many", title: "many", backend: "sim", spec: PostgresJSON(text: "{}"), maxAttempts: 10),
            tiles: (0..<3).map { TaskStore.NewTile(tileID: TestDatabase.tileID($0)) })
        let store = EventStore(connection: db.connection)
        let t = EventFixtures.recentTime()
        let (a, b, c) = (TestDatabase.tileID(0), TestDatabase.tileID(1), TestDatabase.tileID(2))
        let farAhead = StatusEvent(task: "many", tile: a, attempt: 1 + EventStore.attemptLead + 1, status: .running, time: t)
        let withinLead = StatusEvent(task: "many", tile: b, attempt: 1 + EventStore.attemptLead, status: .running, time: t)
        // A batch holding a retry chain: each retrying event lets the next attempt through.
        let chain = (1...6).map { StatusEvent(task: "many", tile: c, attempt: $0, status: .retrying, time: t.addingTimeInterval(Double($0))) }
            + [StatusEvent(task: "many", tile: c, attempt: 7 + EventStore.attemptLead, status: .submitted, time: t.addingTimeInterval(10))]
        let outcome = try await store.apply([farAhead, withinLead] + chain)
        #expect(outcome.outOfBounds == [farAhead.id: "field 'attempt' (5) is more than 3 ahead of the tile's attempt 1"])
        let attempts = try await db.connection.query("SELECT attempt FROM tiles ORDER BY tile_id").map { try $0.decode(Int.self, at: 0) }
        #expect(attempts == [1, 1 + EventStore.attemptLead, 7 + EventStore.attemptLead])

        // `retry` past max_attempts: the tile's own attempt is then what it can have.
        try await db.connection.execute("UPDATE tiles SET status = 'failed', attempt = 12 WHERE tile_id = \(a)")
        _ = try await TaskStore(connection: db.connection).startNextAttempt(task: "many", tiles: [a])
        let late = StatusEvent(task: "many", tile: a, attempt: 13, status: .running, time: t)
        let beyond = StatusEvent(task: "many", tile: a, attempt: 13, status: .retrying, time: t)
        let second = try await store.apply([late, beyond])
        #expect(second.outOfBounds == [beyond.id: "field 'attempt' (13, retrying: starts the next) is beyond what the tile can have (max_attempts 10, current attempt 13)"])
        let row = try await db.connection.query("SELECT status, attempt FROM tiles WHERE tile_id = \(a)")[0]
        #expect(try row.decode(String.self, at: 0) == "running")
        #expect(try row.decode(Int.self, at: 1) == 13)
        #expect(try await db.connection.query("SELECT count(*) FROM rejected_events")[0].decode(Int.self, at: 0) == 2)
    }

    @Test func anOlderAttemptNeverOverridesARetry() async throws {
        let db = try await TestDatabase.create()
        defer { TestCleanup.later { await db.drop() } }
        try await db.makeTask("retry", tiles: 1)
        let store = EventStore(connection: db.connection)
        let tile = TestDatabase.tileID(0)
        let t = EventFixtures.recentTime()
        try await store.apply([
            StatusEvent(task: "retry", tile: tile, attempt: 1, status: .retrying, error: "boom", time: t),
        ])
        var row = try await db.connection.query("SELECT status, attempt, last_error FROM tiles")[0]
        #expect(try row.decode(String.self, at: 0) == "queued")
        #expect(try row.decode(Int.self, at: 1) == 2)
        #expect(try row.decode(String.self, at: 2) == "boom")
        try await store.apply([
            StatusEvent(task: "retry", tile: tile, attempt: 1, status: .running, time: t.addingTimeInterval(100)),
        ])
        row = try await db.connection.query("SELECT status, attempt FROM tiles")[0]
        #expect(try row.decode(String.self, at: 0) == "queued")
        #expect(try row.decode(Int.self, at: 1) == 2)
    }

    @Test func unknownTilesAndRejectionsAreKeptNotLost() async throws {
        let db = try await TestDatabase.create()
        defer { TestCleanup.later { await db.drop() } }
        try await db.makeTask("known", tiles: 2)
        let store = EventStore(connection: db.connection)
        let ghost = StatusEvent(task: "nope", tile: "x", attempt: 1, status: .running)
        let outcome = try await store.apply(
            [StatusEvent(task: "known", tile: TestDatabase.tileID(0), attempt: 1, status: .submitted), ghost,
             StatusEvent(task: "known", tile: TestDatabase.tileID(1), attempt: 1, status: .running)],
            rejections: [EventStore.Rejection(body: Array("{not json".utf8), reason: "not a JSON object", routingKey: "a.b.c")])
        #expect(outcome.inserted == 2)
        #expect(outcome.unknownTile == [ghost.id])
        let rejected = try await db.connection.query("SELECT reason, routing_key, convert_from(body, 'UTF8') FROM rejected_events ORDER BY id")
        #expect(rejected.count == 2)
        #expect(try rejected[0].decode(String.self, at: 0).contains("unknown tile"))
        #expect(try rejected[0].decode(String.self, at: 2).contains(ghost.id.uuidString))
        #expect(try rejected[1].decode(String.self, at: 0) == "not a JSON object")
        #expect(try rejected[1].decode(String.self, at: 2) == "{not json")
        let statuses = try await db.connection.query("SELECT status FROM tiles ORDER BY tile_id").map { try $0.decode(String.self, at: 0) }
        #expect(statuses == ["submitted", "running"])
    }

    @Test func terminalTilesAreAnnouncedOnTilefleetTiles() async throws {
        let db = try await TestDatabase.create()
        defer { TestCleanup.later { await db.drop() } }
        try await db.makeTask("notify", tiles: 3, backend: "openeo-sim")
        let listener = try await PostgresConnection.connect(to: db.url)
        defer { TestCleanup.later { await listener.close() } }
        let stream = try await listener.listen("tilefleet_tiles")
        let store = EventStore(connection: db.connection)
        try await store.apply([
            StatusEvent(task: "notify", tile: TestDatabase.tileID(0), attempt: 1, status: .running),
            StatusEvent(task: "notify", tile: TestDatabase.tileID(1), attempt: 1, status: .finished),
            StatusEvent(task: "notify", tile: TestDatabase.tileID(2), attempt: 1, status: .failed),
        ])
        var iterator = stream.makeAsyncIterator()
        let first = await iterator.next()
        #expect(first?.payload == "notify openeo-sim")
    }

    @Test func reportViewsAnswer() async throws {
        let db = try await TestDatabase.create()
        defer { TestCleanup.later { await db.drop() } }
        try await db.makeTask("report", tiles: 100)
        try await EventStore(connection: db.connection).apply(EventFixtures.lifeEvents(task: "report", tiles: 100))
        let progress = try await db.connection.query(
            "SELECT tiles, finished, failed, percent_done::float8 FROM task_progress WHERE task_id = 'report'")[0]
        #expect(try progress.decode(Int.self, at: 0) == 100)
        #expect(try progress.decode(Int.self, at: 1) + progress.decode(Int.self, at: 2) == 100)
        #expect(try progress.decode(Double.self, at: 3) == 100)
        let stats = try await db.connection.query("SELECT jobs, retries, run_time_p50_s FROM backend_stats WHERE backend = 'sim'")[0]
        #expect(try stats.decode(Int.self, at: 0) == 120)
        #expect(try stats.decode(Int.self, at: 1) == 20)
        #expect(try stats.decode(Double.self, at: 2) == 4.5)
        let failures = try await db.connection.query("SELECT pattern, tiles FROM failures WHERE task_id = 'report'")
        #expect(failures.count == 1)
        #expect(try failures[0].decode(String.self, at: 0) == "Process graph rejected for tile #")
        let timeline = try await db.connection.query("SELECT count(*) FROM tile_timeline WHERE tile_id = 'tile-0000'")
        #expect(try timeline[0].decode(Int.self, at: 0) == 12)
    }

    @Test func eachAttemptKeepsItsLatestCostsAndUsageAndTheViewsSumThem() async throws {
        let db = try await TestDatabase.create()
        defer { TestCleanup.later { await db.drop() } }
        let tiles = 40
        try await db.makeTask("costs", tiles: tiles)
        // Delivered backwards: a stale running reading must not override the final one.
        try await EventStore(connection: db.connection).apply(EventFixtures.lifeEvents(task: "costs", tiles: tiles).reversed())
        let rows = try await db.connection.query("SELECT tile_id, attempt, costs, usage -> 'duration' ->> 'value' FROM backend_jobs ORDER BY 1, 2")
        #expect(rows.count == tiles + tiles / 5)
        var expectedTotal = 0.0
        for row in rows {
            let tile = Int(try row.decode(String.self, at: 0).dropFirst("tile-".count))!
            let attempt = try row.decode(Int.self, at: 1)
            #expect(try row.decode(Double?.self, at: 2) == EventFixtures.finalCosts(tile: tile, attempt: attempt))
            #expect(try row.decode(String?.self, at: 3) == String(tile % 7 + 1))
            expectedTotal += EventFixtures.finalCosts(tile: tile, attempt: attempt)
        }
        // Per tile (all attempts), per task and per backend.
        let tile0 = try await db.connection.query("SELECT credits, attempts_costed FROM tile_costs WHERE task_id = 'costs' AND tile_id = 'tile-0000'")[0]
        #expect(try tile0.decode(Double.self, at: 0) == EventFixtures.finalCosts(tile: 0, attempt: 1) + EventFixtures.finalCosts(tile: 0, attempt: 2))
        #expect(try tile0.decode(Int.self, at: 1) == 2)
        let task = try await db.connection.query("SELECT credits FROM task_progress WHERE task_id = 'costs'")[0]
        #expect(abs(try task.decode(Double.self, at: 0) - expectedTotal) < 1e-9)
        let backend = try await db.connection.query("SELECT credits FROM backend_stats WHERE backend = 'sim'")[0]
        #expect(abs(try backend.decode(Double.self, at: 0) - expectedTotal) < 1e-9)
        let summary = try #require(try await TaskStore(connection: db.connection).summaries(task: "costs").first)
        #expect(abs((summary.credits ?? 0) - expectedTotal) < 1e-9)
        let results = try await TaskStore(connection: db.connection).results(task: "costs")
        #expect(results.first { $0.tile == "tile-0001" }?.credits == EventFixtures.finalCosts(tile: 1, attempt: 1))
        #expect(results.first { $0.tile == "tile-0001" }?.usage?["duration"] == UsageQuantity(value: 2, unit: "seconds"))
    }

    @Test func aTasksBudgetCountsTheCreditsOfEndedAttemptsAndIsRaisedByNumber() async throws {
        let db = try await TestDatabase.create()
        defer { TestCleanup.later { await db.drop() } }
        try await TaskStore(connection: db.connection).insert(
            TaskStore.NewTask(id: "capped", title: "capped", backend: "sim", spec: PostgresJSON(text: "{}"), budget: 20),
            tiles: (0..<5).map { TaskStore.NewTile(tileID: TestDatabase.tileID($0)) })
        let t = EventFixtures.recentTime()
        var finished = StatusEvent(task: "capped", tile: TestDatabase.tileID(0), attempt: 1, status: .finished, backend: "sim", time: t)
        finished.costs = 8
        var running = StatusEvent(task: "capped", tile: TestDatabase.tileID(1), attempt: 1, status: .running, backend: "sim", time: t)
        running.costs = 3
        try await EventStore(connection: db.connection).apply([finished, running])
        let store = TaskStore(connection: db.connection)
        let budget = try #require(try await store.summaries(task: "capped").first?.budget)
        // Only the ended attempt counts as spent; the running one is expected at the mean (8).
        #expect(budget == TaskBudget(budget: 20, spent: 8, costedAttempts: 1, finishedAttempts: 1, inFlight: 1))
        #expect(budget.tilesAllowed(pending: 3) == 0)
        #expect(try await store.summaries(task: "capped").first?.budgetState == .paused)
        try await store.setBudget(task: "capped", to: 40)
        #expect(try await store.summaries(task: "capped").first?.budget?.tilesAllowed(pending: 3) == 3)
        #expect(try await store.summaries(task: "capped").first?.budgetState == .open)
        await #expect(throws: TaskStoreError.self) { try await store.setBudget(task: "capped", to: 0) }
        await #expect(throws: TaskStoreError.self) { try await store.setBudget(task: "nope", to: 10) }
        #expect(try await db.connection.query("SELECT budget FROM tasks")[0].decode(Double.self, at: 0) == 40)
    }
}
