import AMQP
import FleetModel
import Foundation
import Messaging
import Postgres
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `tilefleet recorder` processes that lose their queue or start before PostgreSQL: they keep
/// running, heal by themselves, and store what is published afterwards.
@Suite(.serialized) struct RecorderHealingTests {
    static func logPath(_ topology: Topology) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("recorder-\(topology.prefix).log").path
    }

    static func output(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    @Test(.timeLimit(.minutes(3))) func aRecorderWhoseQueueIsDeletedDeclaresItAgainAndStoresLaterEvents() async throws {
        let db = try await TestDatabase.create()
        let topology = Topology(prefix: "test-\(UUID().uuidString.prefix(8))")
        defer { TestCleanup.later { await db.drop(); await RecorderTests.cleanUp(topology) } }
        try await db.makeTask("before", tiles: 40)
        try await db.makeTask("after", tiles: 40)
        let before = EventFixtures.lifeEvents(task: "before", tiles: 40)
        let after = EventFixtures.lifeEvents(task: "after", tiles: 40)
        let log = Self.logPath(topology)
        let recorder = try TestEnvironment.spawn([
            TestEnvironment.tilefleetBinary, "recorder", "--prefix", topology.prefix,
            "--database-url", db.url.unredactedString, "--amqp-url", TestEnvironment.amqpURL, "--batch-size", "20",
        ], logPath: log, truncate: true)
        defer { TestEnvironment.stop(recorder, signal: SIGKILL) }
        try await RecorderTests.publish(before, topology: topology)
        #expect(try await RecorderTests.waitForEvents(db.connection, count: before.count) == before.count)

        // Deleted from a second connection, as an operator or a broker losing its queues would.
        let other = try await AMQPConnection.connect(url: TestEnvironment.amqpURL)
        _ = try await other.openChannel().deleteQueue(topology.recorderQueue)
        await other.close()
        #expect(try await eventually { Self.output(log).contains("consumer restored") }, "log: \(Self.output(log).suffix(3000))")
        #expect(TestEnvironment.exitStatusIfEnded(recorder) == nil, "the recorder outlived its queue")

        try await RecorderTests.publish(after, topology: topology)
        let total = before.count + after.count
        #expect(try await RecorderTests.waitForEvents(db.connection, count: total) == total, "log: \(Self.output(log).suffix(3000))")
        #expect(TestEnvironment.stop(recorder, signal: SIGTERM) == 0)
    }

    @Test(.timeLimit(.minutes(4))) func aRecorderStartedWhilePostgreSQLIsDownWaitsAndThenStores() async throws {
        let server = TestEnvironment.PrivateService("postgres", port: 5446)
        try await server.start()
        defer { try? server.stop() }
        let db = try await TestDatabase.create(serverURL: server.databaseURL)
        let topology = Topology(prefix: "test-\(UUID().uuidString.prefix(8))")
        defer { TestCleanup.later { await RecorderTests.cleanUp(topology) } }
        try await db.makeTask("late", tiles: 40)
        let events = EventFixtures.lifeEvents(task: "late", tiles: 40)
        try await TestEnvironment.stopService(server)

        let log = Self.logPath(topology)
        let recorder = try TestEnvironment.spawn([
            TestEnvironment.tilefleetBinary, "recorder", "--prefix", topology.prefix,
            "--database-url", db.url.unredactedString, "--amqp-url", TestEnvironment.amqpURL,
        ], logPath: log, truncate: true)
        defer { TestEnvironment.stop(recorder, signal: SIGKILL) }
        #expect(try await eventually { Self.output(log).contains("waiting for PostgreSQL") }, "log: \(Self.output(log).suffix(3000))")
        #expect(!Self.output(log).contains("tilefleet-local"), "the password is never logged")
        #expect(TestEnvironment.exitStatusIfEnded(recorder) == nil, "still running while it waits")

        try await server.start()
        #expect(try await eventually(timeout: .seconds(90)) { Self.output(log).contains("recorder consuming") },
                "log: \(Self.output(log).suffix(3000))")
        try await RecorderTests.publish(events, topology: topology)
        #expect(try await RecorderTests.waitForEvents(db.connection, count: events.count) == events.count)
        #expect(TestEnvironment.stop(recorder, signal: SIGTERM) == 0)
    }
}
