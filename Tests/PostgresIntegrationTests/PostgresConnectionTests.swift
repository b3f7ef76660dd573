import Foundation
import Testing
import TestSupport
@testable import Postgres

/// Against the real PostgreSQL started by deploy/local/services.sh.
@Suite struct PostgresConnectionTests {
    func connect() async throws -> PostgresConnection {
        try await PostgresConnection.connect(to: TestEnvironment.databaseURL)
    }

    func uniqueTable() -> String { "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased() }

    @Test func roundTripsEveryTypeTheFleetUses() async throws {
        let db = try await connect()
        defer { TestCleanup.later { await db.close() } }
        let now = Date(timeIntervalSince1970: 1_732_190_400.123456)
        let json = try PostgresJSON(["status": "finished", "tile": "32633-E400-N5320"])
        let noText: String? = nil
        let rows = try await db.query("""
            SELECT \("Wien ☀️ 'quoted'")::text, \(Int64(9_007_199_254_740_993))::bigint, \(0.1 + 0.2)::float8,
                   \(now)::timestamptz, \(json)::jsonb, \(true)::bool, \(noText)::text, \(false)
            """)
        #expect(rows.count == 1)
        let row = rows[0]
        #expect(try row.decode(String.self, at: 0) == "Wien ☀️ 'quoted'")
        #expect(try row.decode(Int64.self, at: 1) == 9_007_199_254_740_993)
        #expect(try row.decode(Double.self, at: 2) == 0.1 + 0.2)
        #expect(abs(try row.decode(Date.self, at: 3).timeIntervalSince1970 - now.timeIntervalSince1970) < 1e-6)
        let back = try row.decode(PostgresJSON.self, at: 4).decode([String: String].self)
        #expect(back == ["status": "finished", "tile": "32633-E400-N5320"])
        #expect(try row.decode(Bool.self, at: 5) == true)
        #expect(try row.decode(String?.self, at: 6) == nil)
        #expect(try row.decode(Bool.self, at: 7) == false)
        #expect(rows.columns[3].type == .timestamptz)
        #expect(throws: PostgresError.self) { try row.decode(String.self, at: 6) }
    }

    @Test func copiesAHundredThousandRows() async throws {
        let db = try await connect()
        defer { TestCleanup.later { await db.close() } }
        let table = uniqueTable()
        try await db.executeScript("CREATE TABLE \(table) (id bigint PRIMARY KEY, name text, score float8, note text)")
        var buffer = PostgresCopyBuffer()
        for i in 0..<100_000 {
            buffer.append([i, "tile-\(i)\twith tab", Double(i) / 2, i % 10 == 0 ? nil : "n\\\(i)"])
        }
        let copied = try await db.copyIn("COPY \(table) (id, name, score, note) FROM STDIN", buffer)
        #expect(copied == 100_000)
        let rows = try await db.query(
            "SELECT count(*), sum(id), count(note), max(name) FILTER (WHERE id = 7), max(note) FILTER (WHERE id = 7) FROM \(unescaped: table)")
        #expect(try rows[0].decode(Int.self, at: 0) == 100_000)
        #expect(try rows[0].decode(Int.self, at: 1) == 99_999 * 100_000 / 2)
        #expect(try rows[0].decode(Int.self, at: 2) == 90_000)
        #expect(try rows[0].decode(String.self, at: 3) == "tile-7\twith tab")
        #expect(try rows[0].decode(String.self, at: 4) == "n\\7")
        try await db.executeScript("DROP TABLE \(table)")
    }

    @Test func aStreamedCopySendsEachChunkAsItIsFilledAndAFailureStoresNothing() async throws {
        let db = try await connect()
        defer { TestCleanup.later { await db.close() } }
        let table = uniqueTable()
        try await db.executeScript("CREATE TABLE \(table) (id bigint PRIMARY KEY, name text)")
        let (copied, calls, mostHeld) = try await db.transaction { session throws(PostgresError) in
            var next = 0
            var calls = 0
            var mostHeld = 0
            let copied = try session.copyIn("COPY \(table) (id, name) FROM STDIN", chunkSize: 1024) { buffer in
                // What an earlier call filled has been sent: at most the partly filled chunk is left.
                mostHeld = max(mostHeld, buffer.chunks.count)
                calls += 1
                for _ in 0..<100 where next < 50_000 {
                    buffer.append([next, "tile-\(next)\twith tab"])
                    next += 1
                }
                return next < 50_000
            }
            return (copied, calls, mostHeld)
        }
        #expect(copied == 50_000)
        #expect(calls == 500)
        #expect(mostHeld == 0)
        let rows = try await db.query("SELECT count(*), sum(id), max(name) FILTER (WHERE id = 7) FROM \(unescaped: table)")
        #expect(try rows[0].decode(Int.self, at: 0) == 50_000)
        #expect(try rows[0].decode(Int.self, at: 1) == 49_999 * 50_000 / 2)
        #expect(try rows[0].decode(String.self, at: 2) == "tile-7\twith tab")
        // A duplicate key in the last chunk fails the COPY and the transaction: nothing is kept.
        try await db.executeScript("TRUNCATE \(table)")
        await #expect {
            try await db.transaction { session throws(PostgresError) in
                var next = 0
                try session.copyIn("COPY \(table) (id, name) FROM STDIN", chunkSize: 1024) { buffer in
                    for _ in 0..<100 where next <= 20_000 {
                        buffer.append([next == 20_000 ? 0 : next, "x"])
                        next += 1
                    }
                    return next <= 20_000
                }
            }
        } throws: { ($0 as? PostgresError)?.sqlState == "23505" }
        #expect(try await db.query("SELECT count(*) FROM \(unescaped: table)")[0].decode(Int.self, at: 0) == 0)
        try await db.executeScript("DROP TABLE \(table)")
    }

    @Test func aFailingStatementReportsItsSQLState() async throws {
        let db = try await connect()
        defer { TestCleanup.later { await db.close() } }
        let table = uniqueTable()
        try await db.executeScript("CREATE TABLE \(table) (id int PRIMARY KEY)")
        try await db.execute("INSERT INTO \(unescaped: table) VALUES (\(Int32(1)))")
        await #expect {
            try await db.execute("INSERT INTO \(unescaped: table) VALUES (\(Int32(1)))")
        } throws: { error in
            (error as? PostgresError)?.sqlState == "23505" && (error as? PostgresError)?.kind == .server
        }
        await #expect {
            try await db.execute("SELECT * FROM no_such_table_\(unescaped: table)")
        } throws: { ($0 as? PostgresError)?.sqlState == "42P01" }
        await #expect {
            try await db.execute("SELEC 1")
        } throws: { ($0 as? PostgresError)?.sqlState == "42601" }
        // The connection is still usable after errors.
        #expect(try await db.query("SELECT 1")[0].decode(Int.self, at: 0) == 1)
        try await db.executeScript("DROP TABLE \(table)")
    }

    @Test func aTransactionRollsBackOnError() async throws {
        let db = try await connect()
        defer { TestCleanup.later { await db.close() } }
        let table = uniqueTable()
        try await db.executeScript("CREATE TABLE \(table) (id int PRIMARY KEY)")
        await #expect(throws: PostgresError.self) {
            try await db.transaction { session throws(PostgresError) in
                try session.execute("INSERT INTO \(unescaped: table) VALUES (\(Int32(1)))")
                try session.execute("INSERT INTO \(unescaped: table) VALUES (\(Int32(1)))")
            }
        }
        #expect(try await db.query("SELECT count(*) FROM \(unescaped: table)")[0].decode(Int.self, at: 0) == 0)
        let inserted = try await db.transaction { session throws(PostgresError) in
            try session.execute("INSERT INTO \(unescaped: table) SELECT generate_series(1, 10)")
        }
        #expect(inserted == 10)
        try await db.executeScript("DROP TABLE \(table)")
    }

    @Test func preparedStatementsRunWithParameters() async throws {
        let db = try await connect()
        defer { TestCleanup.later { await db.close() } }
        let sum = try await db.withSession { session throws(PostgresError) in
            try session.prepare(name: "add", sql: "SELECT $1::bigint + $2::bigint", types: [.int8, .int8])
            var total = 0
            for i in 0..<100 {
                total += try session.execute(prepared: "add", [PostgresBind(i), PostgresBind(1)])[0].decode(Int.self, at: 0)
            }
            return total
        }
        #expect(sum == 4950 + 100)
    }

    @Test func aStatementPreparedOnceRunsAgainOnANewConnectionAndAfterARollback() async throws {
        let db = try await connect()
        let admin = try await connect()
        defer { TestCleanup.later { await db.close(); await admin.close() } }
        let add: PostgresQuery = "SELECT \(Int64(40))::bigint + \(Int64(2))::bigint"
        let first = try await db.withSession { session throws(PostgresError) in
            (try session.query(prepared: add)[0].decode(Int.self, at: 0),
             try session.query("SELECT pg_backend_pid()")[0].decode(Int.self, at: 0))
        }
        #expect(first.0 == 42)
        #expect(try await db.query(Self.preparedCount)[0].decode(Int.self, at: 0) == 1)

        // The server ends the connection: the next call reconnects and prepares the statement again.
        try await admin.execute("SELECT pg_terminate_backend(\(first.1)::int)")
        for _ in 0..<100 where try await admin.query("SELECT 1 FROM pg_stat_activity WHERE pid = \(first.1)::int").count > 0 {
            try await Task.sleep(for: .milliseconds(20))
        }
        let second = try await db.withSession { session throws(PostgresError) in
            (try session.query(prepared: add)[0].decode(Int.self, at: 0),
             try session.query("SELECT pg_backend_pid()")[0].decode(Int.self, at: 0))
        }
        #expect(second.0 == 42)
        #expect(second.1 != first.1)
        #expect(try await db.query(Self.preparedCount)[0].decode(Int.self, at: 0) == 1)

        // Prepared inside a transaction that rolls back (with the temporary table it reads), it
        // still runs once the table is there again.
        let read: PostgresQuery = "SELECT count(*) FROM prepared_scratch"
        await #expect(throws: PostgresError.self) {
            try await db.transaction { session throws(PostgresError) in
                try session.executeScript("CREATE TEMP TABLE IF NOT EXISTS prepared_scratch (n int) ON COMMIT DELETE ROWS")
                _ = try session.query(prepared: read)
                try session.execute("SELECT 1 / 0")
            }
        }
        let counted = try await db.transaction { session throws(PostgresError) in
            try session.executeScript("CREATE TEMP TABLE IF NOT EXISTS prepared_scratch (n int) ON COMMIT DELETE ROWS")
            try session.execute("INSERT INTO prepared_scratch VALUES (1), (2)")
            return try session.query(prepared: read)[0].decode(Int.self, at: 0)
        }
        #expect(counted == 2)
    }

    /// The statements `query(prepared:)` holds prepared on the connection asking.
    static let preparedCount: PostgresQuery = "SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'tilefleet\\_%'"

    @Test func aStatementTheServerForgotIsPreparedAgain() async throws {
        let db = try await connect()
        defer { TestCleanup.later { await db.close() } }
        let add: PostgresQuery = "SELECT \(Int64(40))::bigint + \(Int64(2))::bigint"
        #expect(try await db.query(prepared: add)[0].decode(Int.self, at: 0) == 42)
        // What a pooler's DISCARD ALL does: outside a transaction the call prepares it again at once.
        try await db.executeScript("DEALLOCATE ALL")
        #expect(try await db.query(prepared: add)[0].decode(Int.self, at: 0) == 42)
        #expect(try await db.query(Self.preparedCount)[0].decode(Int.self, at: 0) == 1)
        // Inside a transaction the error has aborted it: that call fails, the caller's retry works.
        try await db.executeScript("DEALLOCATE ALL")
        await #expect(throws: PostgresError.self) {
            try await db.transaction { session throws(PostgresError) in try session.query(prepared: add) }
        }
        let retried = try await db.transaction { session throws(PostgresError) in
            try session.query(prepared: add)[0].decode(Int.self, at: 0)
        }
        #expect(retried == 42)
    }

    @Test func statementsBeyondTheLimitRunUnprepared() async throws {
        let db = try await connect()
        defer { TestCleanup.later { await db.close() } }
        let limit = PostgresSession.preparedLimit
        let (sums, prepared) = try await db.withSession { session throws(PostgresError) in
            var sums: [Int] = []
            // SQL that differs by more than its parameters: one statement per text.
            for i in 0..<(limit + 6) {
                sums.append(try session.query(prepared: "SELECT \(Int64(i))::bigint + \(unescaped: String(i))")[0].decode(Int.self, at: 0))
            }
            let prepared = try session.query(Self.preparedCount)[0].decode(Int.self, at: 0)
            return (sums, prepared)
        }
        #expect(sums == (0..<(limit + 6)).map { 2 * $0 })
        #expect(prepared == limit)
    }

    @Test func listenReceivesNotify() async throws {
        let listener = try await connect()
        let sender = try await connect()
        defer { TestCleanup.later { await listener.close(); await sender.close() } }
        let channel = "tilefleet_test_\(UInt32.random(in: 0...UInt32.max))"
        let stream = try await listener.listen(channel)
        try await sender.notify(channel: channel, payload: "task-1 openeo")
        try await sender.notify(channel: channel, payload: "task-2 ogc")
        var received: [PostgresNotification] = []
        for await n in stream {
            received.append(n)
            if received.count == 2 { break }
        }
        #expect(received.map(\.payload) == ["task-1 openeo", "task-2 ogc"])
        #expect(received.allSatisfy { $0.channel == channel })
    }

    @Test func aWrongPasswordNamesTheProblemButNotThePassword() async throws {
        let good = try PostgresURL(TestEnvironment.databaseURL)
        var bad = good
        bad.password = "definitely-wrong-pw-123"
        await #expect {
            _ = try await PostgresConnection.connect(to: bad, reconnectTimeout: .seconds(1))
        } throws: { error in
            let text = String(describing: error)
            return (error as? PostgresError)?.kind == .connectionFailed
                && text.contains("password authentication failed") && !text.contains("definitely-wrong-pw-123")
        }
    }
}

/// Stops and starts a private PostgreSQL, so the shared one stays up for the other tests.
@Suite(.serialized) struct PostgresReconnectTests {
    @Test func reconnectsAfterTheServerRestartsAndListensAgain() async throws {
        let server = TestEnvironment.PrivateService("postgres", port: 5443)
        try await server.start()
        defer { try? server.stop() }
        let db = try await PostgresConnection.connect(to: server.databaseURL)
        let listener = try await PostgresConnection.connect(to: server.databaseURL)
        defer { TestCleanup.later { await db.close(); await listener.close() } }
        let stream = try await listener.listen("tilefleet_restart")
        let before = try await db.query("SELECT pg_backend_pid()")[0].decode(Int.self, at: 0)

        try await server.restart()

        // The loss happened while idle, so the next statement reconnects first and succeeds.
        let after = try await db.query("SELECT pg_backend_pid()")[0].decode(Int.self, at: 0)
        #expect(after != before)
        // The listener re-subscribed by itself: notify until it hears one; give up (closing the
        // listener, which ends the stream) after 30 s.
        let notifier = Task {
            for _ in 0..<300 where !Task.isCancelled {
                try? await db.notify(channel: "tilefleet_restart", payload: "back")
                try? await Task.sleep(for: .milliseconds(100))
            }
            await listener.close()
        }
        var iterator = stream.makeAsyncIterator()
        let got = await iterator.next()
        notifier.cancel()
        #expect(got?.payload == "back")
    }

    @Test func aStatementWaitsForAServerThatComesBack() async throws {
        let server = TestEnvironment.PrivateService("postgres", port: 5444)
        try await server.start()
        defer { try? server.stop() }
        let db = try await PostgresConnection.connect(to: server.databaseURL, reconnectTimeout: .seconds(60))
        defer { TestCleanup.later { await db.close() } }
        try server.stop()
        let restarter = Task.detached { try await Task.sleep(for: .seconds(2)); try await server.start() }
        // Issued while the server is down: reconnects with backoff until it is back.
        let one = try await db.query("SELECT 1")[0].decode(Int.self, at: 0)
        #expect(one == 1)
        try await restarter.value
    }

    /// A server shutting down (the old primary at a failover) ends the sessions: for the caller the
    /// connection is lost (the statement's fate unknown, retry after a reconnect), not a refusal of
    /// the statement, which the recorder would answer by rejecting events.
    @Test func aStatementEndedByAShutdownIsAConnectionLost() async throws {
        let server = TestEnvironment.PrivateService("postgres", port: 5445)
        try await server.start()
        defer { try? server.stop() }
        let db = try await PostgresConnection.connect(to: server.databaseURL, reconnectTimeout: .seconds(1))
        let watcher = try await PostgresConnection.connect(to: server.databaseURL)
        defer { TestCleanup.later { await db.close(); await watcher.close() } }
        let sleeper = Task { try await db.query("SELECT pg_sleep(60)") }
        try await eventually(timeout: .seconds(30)) {
            try await watcher.query("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)'")[0].decode(Int.self, at: 0) == 1
        }
        try await TestEnvironment.stopService(server)
        let result = await sleeper.result
        #expect(throws: PostgresError.self) { try result.get() }
        guard case .failure(let error as PostgresError) = result else { return }
        #expect(error.kind == .connectionLost, "\(error)")
    }
}
