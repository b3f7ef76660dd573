import AMQP
import FleetModel
import Foundation
import Logging
import Messaging
import Postgres
import Recorder
import ServiceLifecycle
import Storage
import Testing
import TestSupport

/// The recorder against the real broker and database: each test has its own topology prefix
/// and its own database, so tests do not see each other's events.
@Suite(.serialized) struct RecorderTests {
    static func publish(_ events: [StatusEvent], topology: Topology, extra: [[UInt8]] = []) async throws {
        let amqp = try await AMQPConnection.connect(url: TestEnvironment.amqpURL)
        let channel = try await amqp.openChannel()
        try await topology.declare(on: channel)
        try await channel.enablePublisherConfirms()
        for event in events {
            try await channel.publish(event.encoded(), exchange: topology.eventsExchange, routingKey: event.routingKey)
        }
        for body in extra {
            try await channel.publish(body, exchange: topology.eventsExchange, routingKey: "poison.x.running")
        }
        try await channel.waitForConfirms()
        await amqp.close()
    }

    static func cleanUp(_ topology: Topology) async {
        guard let amqp = try? await AMQPConnection.connect(url: TestEnvironment.amqpURL),
              let channel = try? await amqp.openChannel() else { return }
        try? await topology.delete(on: channel)
        await amqp.close()
    }

    /// Waits until `SELECT count(*) FROM events` reaches `count` (at most 90 s); returns the count.
    static func waitForEvents(_ db: PostgresConnection, count: Int) async throws -> Int {
        var seen = 0
        try await eventually(timeout: .seconds(90)) {
            seen = try await db.query("SELECT count(*) FROM events")[0].decode(Int.self, at: 0)
            return seen >= count
        }
        return seen
    }

    /// Runs the recorder in-process until `body` returns, then shuts it down gracefully.
    static func withRecorder(database: PostgresURL, topology: Topology, batchSize: Int = 200,
                             _ body: () async throws -> Void) async throws {
        let amqp = try await AMQPConnection.connect(url: TestEnvironment.amqpURL)
        // Two writers, so batches commit out of order as they do in production.
        let databases = [try await PostgresConnection.connect(to: database), try await PostgresConnection.connect(to: database)]
        let recorder = RecorderService(amqp: amqp, databases: databases, topology: topology,
                                       configuration: RecorderConfiguration(batchSize: batchSize, retryDelay: .milliseconds(200)))
        let group = ServiceGroup(configuration: .init(services: [.init(service: recorder)], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        do {
            try await body()
        } catch {
            await group.triggerGracefulShutdown()
            _ = try? await running.value
            throw error
        }
        await group.triggerGracefulShutdown()
        try await running.value
        await amqp.close()
        for db in databases { await db.close() }
    }

    @Test func aPoisonMessageIsKeptWhileItsNeighboursAreApplied() async throws {
        let db = try await TestDatabase.create()
        let topology = Topology(prefix: "test-\(UUID().uuidString.prefix(8))")
        defer { TestCleanup.later { await db.drop(); await Self.cleanUp(topology) } }
        try await db.makeTask("poison", tiles: 10)
        let events = EventFixtures.lifeEvents(task: "poison", tiles: 10)
        let ghost = StatusEvent(task: "no-such-task", tile: "x", attempt: 1, status: .running)
        try await Self.publish(Array(events.prefix(20)) + [ghost] + Array(events.dropFirst(20)), topology: topology,
                               extra: [Array("{\"schema\":\"tilefleet.status-event/7\"}".utf8), Array("garbage".utf8)])
        try await Self.withRecorder(database: db.url, topology: topology) {
            #expect(try await Self.waitForEvents(db.connection, count: events.count) == events.count)
            var rejected = 0
            try await eventually(timeout: .seconds(10)) {
                rejected = try await db.connection.query("SELECT count(*) FROM rejected_events")[0].decode(Int.self, at: 0)
                return rejected == 3
            }
            #expect(rejected == 3)
        }
        let reasons = try await db.connection.query("SELECT reason FROM rejected_events ORDER BY reason").map { try $0.decode(String.self, at: 0) }
        #expect(reasons == ["not a JSON object", "unknown tile (no such task or tile)",
                            "unsupported schema 'tilefleet.status-event/7' (this recorder reads 'tilefleet.status-event/1')"])

        let amqp = try await AMQPConnection.connect(url: TestEnvironment.amqpURL)
        let channel = try await amqp.openChannel()
        let consumer = try await channel.consume(queue: topology.deadQueue)
        var dead: [String: String] = [:]
        for await delivery in consumer {
            dead[String(decoding: delivery.body, as: UTF8.self)] = delivery.headers[Topology.reasonHeader]?.stringValue
            try channel.ack(delivery)
            if dead.count == 3 { break }
        }
        await amqp.close()
        #expect(dead["garbage"] == "not a JSON object")
        #expect(dead.values.contains("unknown tile (no such task or tile)"))
        let statuses = try await db.connection.query("SELECT count(*) FROM tiles WHERE status IN ('finished', 'failed')")
        #expect(try statuses[0].decode(Int.self, at: 0) == 10)
    }

    @Test func killingTheRecorderMidStreamLosesAndDoublesNothing() async throws {
        let db = try await TestDatabase.create()
        let reference = try await TestDatabase.create()
        let topology = Topology(prefix: "test-\(UUID().uuidString.prefix(8))")
        defer { TestCleanup.later { await db.drop(); await reference.drop(); await Self.cleanUp(topology) } }
        let tiles = 1_400
        for d in [db, reference] { try await d.makeTask("kill", tiles: tiles) }
        let events = EventFixtures.lifeEvents(task: "kill", tiles: tiles)
        try await EventStore(connection: reference.connection).apply(events)
        try await Self.publish(events, topology: topology)

        let log = FileManager.default.temporaryDirectory.appendingPathComponent("recorder-\(topology.prefix).log").path
        let arguments = [TestEnvironment.tilefleetBinary, "recorder", "--prefix", topology.prefix,
                         "--database-url", db.url.unredactedString,
                         "--amqp-url", TestEnvironment.amqpURL, "--batch-size", "50"]
        let first = try TestEnvironment.spawn(arguments, logPath: log)
        let before = try await Self.waitForEvents(db.connection, count: 1_000)
        TestEnvironment.stop(first, signal: SIGKILL)
        let atKill = try await db.connection.query("SELECT count(*) FROM events")[0].decode(Int.self, at: 0)
        #expect(before >= 1_000)
        #expect(atKill < events.count, "the recorder finished before it was killed; the test proves nothing")

        let second = try TestEnvironment.spawn(arguments, logPath: log)
        let total = try await Self.waitForEvents(db.connection, count: events.count)
        #expect(TestEnvironment.stop(second, signal: SIGTERM) == 0)
        #expect(total == events.count)
        #expect(try await EventFixtures.finalState(db.connection) == EventFixtures.finalState(reference.connection))
    }

    @Test func restartingPostgreSQLMidStreamLosesAndDoublesNothing() async throws {
        let server = TestEnvironment.PrivateService("postgres", port: 5445)
        try await server.start()
        defer { try? server.stop() }
        let db = try await TestDatabase.create(serverURL: server.databaseURL)
        let reference = try await TestDatabase.create()
        let topology = Topology(prefix: "test-\(UUID().uuidString.prefix(8))")
        defer { TestCleanup.later { await reference.drop(); await Self.cleanUp(topology) } }
        let tiles = 1_400
        for d in [db, reference] { try await d.makeTask("pgrestart", tiles: tiles) }
        let events = EventFixtures.lifeEvents(task: "pgrestart", tiles: tiles)
        try await EventStore(connection: reference.connection).apply(events)
        try await Self.publish(events, topology: topology)

        try await Self.withRecorder(database: db.url, topology: topology, batchSize: 50) {
            _ = try await Self.waitForEvents(db.connection, count: 1_000)
            try await server.restart()
            #expect(try await Self.waitForEvents(db.connection, count: events.count) == events.count)
        }
        #expect(try await EventFixtures.finalState(db.connection) == EventFixtures.finalState(reference.connection))
    }
}
