import FleetModel
import Foundation
import Storage
import Testing
import TestSupport

@Suite struct ReportTests {
    @Test func aTaskReportShowsTheTaskAndOnlyItsOwnBackend() async throws {
        let db = try await TestDatabase.create()
        defer { TestCleanup.later { await db.drop() } }
        try await db.makeTask("alpha", tiles: 3, backend: "openeo-a")
        try await db.makeTask("beta", tiles: 2, backend: "ogc-b")
        let t = EventFixtures.recentTime()
        try await EventStore(connection: db.connection).apply([
            StatusEvent(task: "alpha", tile: TestDatabase.tileID(0), attempt: 1, status: .finished, backend: "openeo-a", time: t),
            StatusEvent(task: "beta", tile: TestDatabase.tileID(0), attempt: 1, status: .failed, backend: "ogc-b", error: "boom", time: t),
        ])
        let report = Report(connection: db.connection)

        let alpha = try await report.tables(task: "alpha")
        #expect(alpha.map(\.title) == ["task progress", "backends of the task (all tasks on them)", "failures", "slowest tiles", "tiles in trouble", "platform jobs that may still run (cancel sent, end not seen)"])
        #expect(alpha[0].rows.map { $0[0] } == ["alpha"])
        #expect(alpha[1].rows.map { $0[0] } == ["openeo-a"])
        #expect(alpha[2].rows.isEmpty, "beta's failure is not alpha's")

        let all = try await report.tables(task: nil)
        #expect(all[0].rows.map { $0[0] } == ["alpha", "beta"])
        #expect(all[1].title == "backends")
        // Names and kinds are stable whatever the arguments; kinds follow the columns' types.
        #expect(alpha.map(\.name) == Report.tableNames && all.map(\.name) == Report.tableNames)
        let kinds = Dictionary(uniqueKeysWithValues: zip(all[0].columns, all[0].kinds))
        #expect(kinds["task_id"] == .text && kinds["tiles"] == .integer && kinds["percent_done"] == .number && kinds["eta"] == .interval)
        #expect(all[1].rows.map { $0[0] } == ["ogc-b", "openeo-a"])
        #expect(all[2].rows.map { $0[0] } == ["beta"])
    }
}
