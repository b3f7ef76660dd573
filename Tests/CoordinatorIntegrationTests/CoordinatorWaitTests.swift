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
        let scratch = try ScratchFleet("coordinator-wait", fleetYAML: """
            topology:
              prefix: test-\(UUID().uuidString.prefix(8))
            backends:
              - name: sim
                kind: openeo
                url: http://127.0.0.1:9/openeo
                max_active: 5
            """)
        defer { scratch.remove() }
        // Nothing listens on this port: PostgreSQL is down for as long as the test runs.
        let coordinator = try TestEnvironment.spawn([
            TestEnvironment.tilefleetBinary, "coordinator", "--config", scratch.configPath,
            "--database-url", "postgresql://tilefleet:not-this-one@127.0.0.1:5447/tilefleet",
            "--amqp-url", TestEnvironment.amqpURL,
        ], logPath: scratch.logPath("coordinator.log"))
        let output = { scratch.contents(ofLog: "coordinator.log") }
        #expect(try await eventually { output().contains("waiting for PostgreSQL") }, "log: \(output())")
        #expect(TestEnvironment.exitStatusIfEnded(coordinator) == nil, "still running while it waits")
        let status = TestEnvironment.stop(coordinator, signal: SIGTERM)
        #expect(status == 0, "exit status \(status); log: \(output())")
        #expect(!output().contains("not-this-one"), "the password is never logged")
    }
}
