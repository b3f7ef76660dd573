import FleetModel
import Foundation
import Storage
import Testing
import TestSupport

/// Tiles waiting on trouble as `status`, `report` and `export` show them: the executable against a
/// real database whose tiles got their trouble from heartbeats, as the recorder stores them.
@Suite struct TroubleCommandTests {
    static var binary: String { TestEnvironment.tilefleetBinary }
    static let since = Date(timeIntervalSince1970: 1_800_000_000)

    /// A tile whose start the platform refused for its concurrency limit is parked: `status`
    /// counts it in the backend's `in_flight` and says how many of those are `parked`.
    @Test func statusShowsEachBackendsParkedTiles() async throws {
        let db = try await TestDatabase.create()
        defer { TestCleanup.later { await db.drop() } }
        try await db.makeTask("limited", tiles: 3)
        try await db.connection.execute("UPDATE tiles SET status = 'queued', backend = 'sim', dispatched_at = now(), item_at = now(), status_at = now()")
        var parked = StatusEvent(task: "limited", tile: TestDatabase.tileID(1), attempt: 1, status: .queued, backend: "sim",
                                 backendJobID: "j-1", message: "ConcurrentJobLimit", time: Date())
        parked.parked = true
        try await EventStore(connection: db.connection).apply([parked])
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-\(UUID().uuidString).yaml")
        try Data("backends:\n  - {name: sim, kind: openeo, url: \"http://127.0.0.1:1/openeo\", max_active: 5}\n".utf8).write(to: config)
        defer { try? FileManager.default.removeItem(at: config) }
        let (code, json) = try TestEnvironment.run([Self.binary, "status", "--format", "json", "--config", config.path,
                                                    "--database-url", db.url.unredactedString])
        #expect(code == 0, "\(json)")
        let backend = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))["backends"]?.arrayValue?.first
        #expect(backend?["backend"] == .string("sim"), "\(json)")
        #expect(backend?["in_flight"] == .number(3), "\(json)")
        #expect(backend?["parked"] == .number(1), "\(json)")
    }

    @Test func statusReportAndExportShowTheTilesInTrouble() async throws {
        let db = try await TestDatabase.create()
        defer { TestCleanup.later { await db.drop() } }
        try await db.makeTask("rough", tiles: 3)
        let store = EventStore(connection: db.connection)
        try await store.apply((0..<3).map { StatusEvent(task: "rough", tile: TestDatabase.tileID($0), attempt: 1, status: .queued, time: Self.since) })
        try await store.apply([], heartbeats: (0..<2).map {
            Heartbeat(task: "rough", tile: TestDatabase.tileID($0), attempt: 1, time: Self.since.addingTimeInterval(Double($0)),
                      trouble: "submit failed: 503\nService Unavailable", tries: 4 + $0)
        })
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-\(UUID().uuidString).yaml")
        try Data("backends:\n  - {name: sim, kind: openeo, url: \"http://127.0.0.1:1/openeo\", max_active: 2}\n".utf8).write(to: config)
        defer { try? FileManager.default.removeItem(at: config) }
        func run(_ arguments: [String]) throws -> (Int32, String) {
            try TestEnvironment.run([Self.binary] + arguments + ["--config", config.path, "--database-url", db.url.unredactedString])
        }

        let (statusCode, statusJSON) = try run(["status", "rough", "--format", "json"])
        #expect(statusCode == 0, "\(statusJSON)")
        let task = try JSONDecoder().decode(JSONValue.self, from: Data(statusJSON.utf8))["tasks"]?.arrayValue?.first
        #expect(task?["in_trouble"] == .number(2), "\(statusJSON)")
        #expect(task?["trouble"] == .string("submit failed: 503\nService Unavailable"), "\(statusJSON)")
        #expect(task?["trouble_since"] == .string("2027-01-15T08:00:00Z"), "\(statusJSON)")
        #expect(task?["trouble_tries"] == .number(5), "\(statusJSON)")
        #expect(task?["jobs_may_run"] == .number(0), "\(statusJSON)")

        let (tableCode, table) = try run(["status", "rough"])
        #expect(tableCode == 0, "\(table)")
        // The tasks table first, then the backends.
        #expect(table.components(separatedBy: "\n\n")[0].split(separator: "\n").count == 4, "one line per task: \(table)")
        #expect(table.contains("submit failed: 503 Service Unavailable"), "\(table)")

        let (reportCode, report) = try run(["report", "rough", "--table", "trouble", "--format", "csv"])
        #expect(reportCode == 0, "\(report)")
        let lines = report.split(separator: "\n")
        #expect(lines.first == "task_id,tile_id,backend,status,attempt,trouble,trouble_since,trouble_tries,seen_at", "\(report)")
        #expect(lines.count == 1 + 2 + 2, "two tiles, each trouble quoted over two lines in CSV: \(report)")
        let (reportTableCode, reportTable) = try run(["report", "rough", "--table", "trouble"])
        #expect(reportTableCode == 0, "\(reportTable)")
        #expect(reportTable.split(separator: "\n").filter { $0.hasPrefix("rough") }.count == 2, "one line per tile: \(reportTable)")

        let (exportCode, export) = try run(["export", "rough", "--geojson", "-"])
        #expect(exportCode == 0, "\(export)")
        let features = try JSONDecoder().decode(JSONValue.self, from: Data(export.utf8))["features"]?.arrayValue ?? []
        #expect(features.map { $0["properties"]?["trouble_tries"] } == [.number(4), .number(5), nil], "\(export)")
        #expect(features.first?["properties"]?["trouble_since"] == .string("2027-01-15T08:00:00Z"), "\(export)")
    }

    @Test func aCancelThePlatformDidNotConfirmShowsTheJobThatMayStillRun() async throws {
        let db = try await TestDatabase.create()
        defer { TestCleanup.later { await db.drop() } }
        try await db.makeTask("stop", tiles: 1)
        let tile = TestDatabase.tileID(0)
        let events = EventStore(connection: db.connection)
        try await events.apply([StatusEvent(task: "stop", tile: tile, attempt: 1, status: .running, backend: "sim", backendJobID: "j0", time: Self.since)])
        let tasks = TaskStore(connection: db.connection)
        let (_, live) = try await tasks.cancel(task: "stop")
        try await tasks.markCancelSent(task: "stop", jobs: live.map { ($0.tile, $0.attempt) })
        var unconfirmed = StatusEvent(task: "stop", tile: tile, attempt: 1, status: .canceled, backend: "sim", backendJobID: "j0",
                                      message: "canceled in tilefleet; the platform did not confirm the cancel", time: Self.since.addingTimeInterval(5))
        unconfirmed.cancelUnconfirmed = true
        try await events.apply([unconfirmed])
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-\(UUID().uuidString).yaml")
        try Data("backends:\n  - {name: sim, kind: openeo, url: \"http://127.0.0.1:1/openeo\", max_active: 2}\n".utf8).write(to: config)
        defer { try? FileManager.default.removeItem(at: config) }
        func run(_ arguments: [String]) throws -> (Int32, String) {
            try TestEnvironment.run([Self.binary] + arguments + ["--config", config.path, "--database-url", db.url.unredactedString])
        }

        let (statusCode, statusJSON) = try run(["status", "stop", "--format", "json"])
        #expect(statusCode == 0, "\(statusJSON)")
        let task = try JSONDecoder().decode(JSONValue.self, from: Data(statusJSON.utf8))["tasks"]?.arrayValue?.first
        #expect(task?["status"] == .string("done") && task?["canceled"] == .number(1), "\(statusJSON)")
        #expect(task?["jobs_may_run"] == .number(1), "\(statusJSON)")

        let (reportCode, report) = try run(["report", "stop", "--table", "jobs_may_run", "--format", "json"])
        #expect(reportCode == 0, "\(report)")
        let jobs = try JSONDecoder().decode(JSONValue.self, from: Data(report.utf8))["jobs_may_run"]?.arrayValue ?? []
        #expect(jobs.map { $0["job_id"] } == [.string("j0")], "\(report)")
        #expect(jobs.first?["job_status"] == .string("running") && jobs.first?["tile_status"] == .string("canceled"), "\(report)")

        let (cancelCode, cancel) = try run(["cancel", "stop"])
        #expect(cancelCode == 0, "\(cancel)")
        #expect(cancel.contains("task stop is already canceled: nothing sent; 1 platform jobs may still run"), "\(cancel)")
    }
}
