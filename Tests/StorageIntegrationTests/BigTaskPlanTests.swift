import Foundation
import Postgres
@testable import Storage
import Testing
import TestSupport

/// Statements stay on their indexes when one task holds nearly every tile (a task of a million
/// beside small ones): the statistics then promise a pending tile on any page of `tiles`, and size
/// any task read through a correlated subquery as an average one. Plans that trusted that read
/// the whole table for every small task: 1.6–2.3 s a dispatch pass's count, 1.9 s one small
/// task's `status`, with a million tiles.
@Suite struct BigTaskPlanTests {
    /// A database with `big` (50,000 pending tiles) beside two finished tasks of three tiles, analysed.
    static func database() async throws -> TestDatabase {
        let db = try await TestDatabase.create()
        try await db.makeTask("big", tiles: 50_000)
        for task in ["done-1", "done-2"] {
            try await db.makeTask(task, tiles: 3)
            try await db.connection.execute("UPDATE tiles SET status = 'finished' WHERE task_id = \(task)")
        }
        try await db.connection.executeScript("ANALYZE tiles, tasks")
        return db
    }

    @Test func aPassCountsPendingTilesAlongTheIndexes() async throws {
        let db = try await Self.database()
        defer { TestCleanup.later { await db.drop() } }
        let statements: [(String, PostgresQuery)] = [1, 20, 1_000].flatMap { cap in
            [("pendingTasks, cap \(cap)", DispatchStore.Transaction.pendingTasksQuery(pendingUpTo: cap)),
             ("taskLoads, cap \(cap)", DispatchStore.Transaction.taskLoadsQuery(backend: "sim", pendingUpTo: cap, ended: []))]
        }
        for (name, statement) in statements {
            #expect(try await !Self.scansTilesSequentially(statement, on: db.connection), "\(name)")
        }
        // The loads run on their generic plan (startPass): that plan too.
        #expect(try await !Self.scansTilesSequentially(DispatchStore.Transaction.taskLoadsQuery(backend: "sim", pendingUpTo: 20, ended: []),
                                                        on: db.connection, generic: true))
        // …and the setting ends with the loads: the claim after them is planned for its values.
        let mode = try await DispatchStore(connection: db.connection).fencedTransaction("a test pass") { transaction in
            _ = try await transaction.startPass(backend: "sim", pendingUpTo: 20, ended: [])
            return try await db.connection.query("SHOW plan_cache_mode")[0].decode(String.self, at: 0)
        }
        #expect(mode == "auto")
        let pending = try await DispatchStore(connection: db.connection).reading { try await $0.pendingTasks(pendingUpTo: 1) }
        #expect(pending.map(\.task) == ["big"])
        #expect(pending.map(\.pending) == [1])
    }

    @Test func aSmallTasksSummaryReadsOnlyItsOwnTiles() async throws {
        let db = try await Self.database()
        defer { TestCleanup.later { await db.drop() } }
        #expect(try await !Self.scansTilesSequentially(TaskStore.summaryQuery(task: "done-1", requestedBy: nil), on: db.connection))
        let all = try await TaskStore(connection: db.connection).summaries()
        #expect(all.map(\.id) == ["done-2", "done-1", "big"], "newest first")
        #expect(all.first { $0.id == "done-1" }?.counts == ["finished": 3])
        #expect(all.first { $0.id == "big" }?.counts == ["pending": 50_000])
    }

    /// Whether the plan of `statement` (for its values, or `generic`: for any) has a sequential
    /// scan of `tiles` anywhere.
    static func scansTilesSequentially(_ statement: PostgresQuery, on connection: PostgresConnection, generic: Bool = false) async throws -> Bool {
        let plan: String
        if generic {
            try await connection.executeScript("SET plan_cache_mode = force_generic_plan")
            try await connection.executeScript("PREPARE checked AS " + statement.sql)
            // A utility statement takes no parameters: the test's own values, as literals.
            let arguments = statement.binds.map { $0.text.map { "'" + $0.replacingOccurrences(of: "'", with: "''") + "'" } ?? "NULL" }
            let explain: String = "EXPLAIN (FORMAT JSON) EXECUTE checked(" + arguments.joined(separator: ", ") + ")"
            plan = try await connection.query(PostgresQuery(explain))[0].decode(String.self, at: 0)
            try await connection.executeScript("DEALLOCATE checked; RESET plan_cache_mode")
        } else {
            plan = try await connection.query(PostgresQuery("EXPLAIN (FORMAT JSON) " + statement.sql, binds: statement.binds))[0]
                .decode(String.self, at: 0)
        }
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
