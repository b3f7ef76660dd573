import Foundation
import Postgres
import Testing
import TestSupport

/// A connection given both servers of a primary/standby pair (`deploy/local/pgpair.sh`) with
/// `target_session_attrs=read-write` follows the primary when the standby is promoted and the old
/// primary dies.
@Suite(.serialized) struct PostgresFailoverTests {
    static let firstPort = 5755
    static var environment: [String: String] {
        ["TILEFLEET_SERVICES_DIR": FileManager.default.temporaryDirectory.appendingPathComponent("tilefleet-pgpair-conn-\(firstPort)").path,
         "TILEFLEET_PGPAIR_PORT": "\(firstPort)"]
    }
    static let script = TestEnvironment.projectRoot.appendingPathComponent("deploy/local/pgpair.sh").path

    static func pair(_ arguments: [String]) async throws {
        let (status, output) = try await TestEnvironment.runOnThread(["/bin/bash", script] + arguments, environment: environment)
        #expect(status == 0, "pgpair.sh \(arguments.joined(separator: " ")): \(output)")
    }

    @Test func aConnectionFollowsThePrimaryToThePromotedStandby() async throws {
        _ = try? TestEnvironment.run(["/bin/bash", Self.script, "wipe"], environment: Self.environment)
        try await Self.pair(["start"])
        defer {
            _ = try? TestEnvironment.run(["/bin/bash", Self.script, "wipe"], environment: Self.environment)
            try? FileManager.default.removeItem(atPath: Self.environment["TILEFLEET_SERVICES_DIR"]!)
        }
        let url = "postgresql://tilefleet:tilefleet-local@127.0.0.1:\(Self.firstPort),127.0.0.1:\(Self.firstPort + 1)/tilefleet"
            + "?target_session_attrs=read-write"
        let db = try await PostgresConnection.connect(to: url, reconnectTimeout: .seconds(30))
        defer { TestCleanup.later { await db.close() } }
        #expect(try await db.query("SELECT inet_server_port()")[0].decode(Int.self, at: 0) == Self.firstPort)
        try await db.executeScript("CREATE TABLE marks (n int); INSERT INTO marks VALUES (1)")

        try await Self.pair(["promote"])
        try await Self.pair(["kill", "1"])

        // Lost while idle: the next statement reconnects, to the only server that takes writes.
        #expect(try await db.query("SELECT inet_server_port()")[0].decode(Int.self, at: 0) == Self.firstPort + 1)
        #expect(try await db.query("SELECT pg_is_in_recovery()")[0].decode(Bool.self, at: 0) == false)
        try await db.execute("INSERT INTO marks VALUES (2)")
        // The row committed before the failover is there: the standby was synchronous.
        #expect(try await db.query("SELECT count(*) FROM marks")[0].decode(Int.self, at: 0) == 2)
    }
}
