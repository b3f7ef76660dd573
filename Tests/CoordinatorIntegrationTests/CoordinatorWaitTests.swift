import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `tilefleet coordinator` started while PostgreSQL is down: it waits, and SIGTERM meanwhile ends
/// it with status 0.
@Suite struct CoordinatorWaitTests {
    @Test(.timeLimit(.minutes(2))) func aCoordinatorWaitsForPostgreSQLAndSigtermEndsItWithZero() async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("tilefleet-coordinator-wait-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try """
        topology:
          prefix: test-\(UUID().uuidString.prefix(8))
        backends:
          - name: sim
            kind: openeo
            url: http://127.0.0.1:9/openeo
            max_active: 5
        """.write(toFile: directory + "/fleet.yaml", atomically: true, encoding: .utf8)
        let log = directory + "/coordinator.log"
        // Nothing listens on this port: PostgreSQL is down for as long as the test runs.
        let coordinator = try TestEnvironment.spawn([
            TestEnvironment.tilefleetBinary, "coordinator", "--config", directory + "/fleet.yaml",
            "--database-url", "postgresql://tilefleet:not-this-one@127.0.0.1:5447/tilefleet",
            "--amqp-url", TestEnvironment.amqpURL,
        ], logPath: log)
        let output = { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
        #expect(try await eventually { output().contains("waiting for PostgreSQL") }, "log: \(output())")
        #expect(TestEnvironment.exitStatusIfEnded(coordinator) == nil, "still running while it waits")
        let status = TestEnvironment.stop(coordinator, signal: SIGTERM)
        #expect(status == 0, "exit status \(status); log: \(output())")
        #expect(!output().contains("not-this-one"), "the password is never logged")
    }
}
