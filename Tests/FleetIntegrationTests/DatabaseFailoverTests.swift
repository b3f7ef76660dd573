import Foundation
import Postgres
import Simulator
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The fleet on a PostgreSQL primary with a synchronous streaming standby (`deploy/local/pgpair.sh`):
/// every role is given both servers in one URL with `target_session_attrs=read-write`; mid-run the
/// standby is promoted and the old primary killed with SIGKILL.
@Suite(.serialized) struct DatabaseFailoverTests {
    struct PairError: Error, CustomStringConvertible { let description: String }

    /// The pair's first port (`TILEFLEET_PGPAIR_PORT`, the standby's is the next one).
    static let firstPort = ProcessInfo.processInfo.environment["TILEFLEET_PGPAIR_PORT"].flatMap { Int($0) } ?? 5750
    static var environment: [String: String] {
        ["TILEFLEET_SERVICES_DIR": FileManager.default.temporaryDirectory.appendingPathComponent("tilefleet-pgpair-test-\(firstPort)").path,
         "TILEFLEET_PGPAIR_PORT": "\(firstPort)"]
    }
    static let script = TestEnvironment.projectRoot.appendingPathComponent("deploy/local/pgpair.sh").path

    static func pair(_ arguments: [String]) async throws -> String {
        let (status, output) = try await TestEnvironment.runOnThread(["/bin/bash", script] + arguments, environment: environment)
        guard status == 0 else { throw PairError(description: "pgpair.sh \(arguments.joined(separator: " ")) failed:\n\(output)") }
        return output
    }

    @Test(.timeLimit(.minutes(10))) func promotingTheStandbyMidRunLosesAndDoublesNothing() async throws {
        // A fresh pair: node 1 primary, node 2 its standby.
        _ = try? TestEnvironment.run(["/bin/bash", Self.script, "wipe"], environment: Self.environment)
        _ = try await Self.pair(["start"])
        defer {
            _ = try? TestEnvironment.run(["/bin/bash", Self.script, "wipe"], environment: Self.environment)
            try? FileManager.default.removeItem(atPath: Self.environment["TILEFLEET_SERVICES_DIR"]!)
        }
        let url = "postgresql://tilefleet:tilefleet-local@127.0.0.1:\(Self.firstPort),127.0.0.1:\(Self.firstPort + 1)/tilefleet"
            + "?target_session_attrs=read-write&connect_timeout=5"
        let maxActive = 40
        let fleet = try await ProcessFleet.start(maxActive: maxActive, simulator: SimulatorConfiguration(
            duration: .init(distribution: "fixed", seconds: 1), queueSeconds: 0, failureRate: 0), databaseURL: url,
            // A dispatch whose commit was lost at the switch is republished after lease + skew.
            extra: "recovery: { lease: 20s, heal_interval: 2s, clock_skew: 2s }")
        defer { TestCleanup.later { await fleet.stop() } }
        let task = fleet.directory + "/task.yaml"
        try """
        id: failover
        title: the database fails over mid-run
        backend: sim
        service: { udp: "https://example.org/udp/ndvi.json", id: ndvi }
        split: { aoi: "16.1482,48.0326,16.4,48.3081", grid: km:1 }
        """.write(toFile: task, atomically: true, encoding: .utf8)
        var pids = try fleet.spawnRoles()
        defer { for pid in pids { TestEnvironment.stop(pid, signal: SIGKILL) } }
        let (status, output) = try fleet.run(["submit", "--offline", "--yes", task])
        #expect(status == 0, "\(output)")
        let tiles = try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = 'failover'")
        #expect(tiles >= 500)

        func terminal() async throws -> Int {
            try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = 'failover' AND status IN ('finished', 'failed', 'canceled')")
        }
        try await eventually(timeout: .seconds(120)) { try await terminal() >= tiles / 5 }
        // The standby becomes the primary while the old one still runs: commits there now wait for
        // a standby that left (synchronous replication) until the old primary is killed.
        _ = try await Self.pair(["promote"])
        let promoted = Date()
        try await Task.sleep(for: .seconds(2))
        _ = try await Self.pair(["kill", "1"])
        let killed = Date()
        let atKill = try await terminal()
        #expect(atKill < tiles, "the run ended before the failover")

        // Each role is back when it first writes to the new primary: the recorder an event, the
        // coordinator a dispatch.
        func secondsToFirstWrite(_ sql: PostgresQuery) async throws -> Double? {
            try await fleet.db.connection.query(sql)[0].decode(Double?.self, at: 0)
        }
        var recorderBack: Double?
        var coordinatorBack: Double?
        try await eventually(timeout: .seconds(120), every: .milliseconds(200)) {
            recorderBack = try await secondsToFirstWrite(
                "SELECT extract(epoch FROM min(recorded_at) - \(killed)::timestamptz)::float8 FROM events WHERE recorded_at > \(killed)")
            coordinatorBack = try await secondsToFirstWrite(
                "SELECT extract(epoch FROM min(dispatched_at) - \(killed)::timestamptz)::float8 FROM tiles WHERE dispatched_at > \(killed)")
            return recorderBack != nil && coordinatorBack != nil
        }
        #expect(recorderBack != nil, "the recorder wrote nothing to the new primary")
        #expect(coordinatorBack != nil, "the coordinator dispatched nothing on the new primary")
        print("failover figures: promote→kill \(String(format: "%.1f", killed.timeIntervalSince(promoted))) s; "
              + "after the kill: recorder's first event \(recorderBack.map { String(format: "%.2f s", $0) } ?? "none"), "
              + "coordinator's first dispatch \(coordinatorBack.map { String(format: "%.2f s", $0) } ?? "none"); "
              + "\(atKill) of \(tiles) tiles terminal at the kill")

        var done = 0
        try await eventually(timeout: .seconds(240)) {
            done = try await terminal()
            return done == tiles
        }
        let logs = ["recorder", "coordinator"].map { name in
            "\(name):\n" + String(((try? String(contentsOfFile: "\(fleet.directory)/\(name).log", encoding: .utf8)) ?? "").suffix(1500))
        }.joined(separator: "\n")
        #expect(done == tiles, "\(logs)")
        // The test's own connection followed the primary too.
        #expect(try await fleet.count("SELECT inet_server_port()") == Self.firstPort + 1)
        #expect(try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = 'failover' AND status = 'finished'") == tiles)
        // Nothing doubled: one job per idempotency key at the backend and in the database.
        let stats = fleet.simulator.stats()
        #expect(stats.duplicateKeys.isEmpty, "a second job for \(stats.duplicateKeys.prefix(5))")
        #expect(stats.jobsCreated == tiles)
        #expect(try await fleet.count("""
            SELECT count(*) FROM (SELECT idempotency_key FROM backend_jobs WHERE task_id = 'failover' AND status <> 'failed'
                                  GROUP BY idempotency_key HAVING count(*) > 1) doubled
            """) == 0)
        // Nothing refused: the batch in flight at the switch was written again, not rejected.
        #expect(try await fleet.count("SELECT count(*) FROM rejected_events") == 0, "\(logs)")
        #expect(stats.peakActiveByUser.values.max() ?? 0 <= maxActive)
        // Every role rode out the failover: all still running.
        for pid in pids { #expect(TestEnvironment.exitStatusIfEnded(pid) == nil) }
        for pid in pids { #expect(TestEnvironment.stop(pid, signal: SIGTERM) == 0) }
        pids = []
    }
}
