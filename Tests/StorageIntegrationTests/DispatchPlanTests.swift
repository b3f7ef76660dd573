import Foundation
import Postgres
@testable import Storage
import Testing
import TestSupport

/// The statements a dispatch pass runs stay on their indexes when one task holds nearly every
/// tile (a task of a million beside small ones): the statistics then promise a pending tile on any
/// page of `tiles`, and a plan that counted on that read the whole table for every task with none
/// (1.6–2.3 s a statement with a million tiles, on every pass).
@Suite struct DispatchPlanTests {
    @Test func aPassCountsPendingTilesAlongTheIndexesBesideATaskThatHoldsNearlyEveryTile() async throws {
        let db = try await TestDatabase.create()
        defer { TestCleanup.later { await db.drop() } }
        try await db.makeTask("big", tiles: 50_000)
        for task in ["done-1", "done-2"] {
            try await db.makeTask(task, tiles: 3)
            try await db.connection.execute("UPDATE tiles SET status = 'finished' WHERE task_id = \(task)")
        }
        try await db.connection.executeScript("ANALYZE tiles, tasks")

        let statements: [(String, PostgresQuery)] = [1, 20, 1_000].flatMap { cap in
            [("pendingTasks, cap \(cap)", DispatchStore.Transaction.pendingTasksQuery(pendingUpTo: cap)),
             ("taskLoads, cap \(cap)", DispatchStore.Transaction.taskLoadsQuery(backend: "sim", pendingUpTo: cap, ended: []))]
        }
        for (name, statement) in statements {
            let plan = try await db.connection.query(PostgresQuery("EXPLAIN (FORMAT JSON) " + statement.sql, binds: statement.binds))[0]
                .decode(String.self, at: 0)
            #expect(!Self.scansTilesSequentially(plan), "\(name): \(plan)")
        }

        let pending = try await DispatchStore(connection: db.connection).reading { try await $0.pendingTasks(pendingUpTo: 1) }
        #expect(pending.map(\.task) == ["big"])
        #expect(pending.map(\.pending) == [1])
    }

    /// Whether an `EXPLAIN (FORMAT JSON)` plan has a sequential scan of `tiles` anywhere.
    static func scansTilesSequentially(_ plan: String) -> Bool {
        func walk(_ node: Any) -> Bool {
            if let object = node as? [String: Any] {
                if object["Node Type"] as? String == "Seq Scan", object["Relation Name"] as? String == "tiles" { return true }
                return object.values.contains(where: walk)
            }
            if let array = node as? [Any] { return array.contains(where: walk) }
            return false
        }
        return (try? JSONSerialization.jsonObject(with: Data(plan.utf8))).map(walk) ?? true
    }
}
