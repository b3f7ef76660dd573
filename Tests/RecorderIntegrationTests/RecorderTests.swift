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
    static func withRecorder(database: PostgresURL, topology: Topology, batchSize: Int = 200, signing: MessageSigning = .unsigned,
                             _ body: () async throws -> Void) async throws {
        let amqp = try await AMQPConnection.connect(url: TestEnvironment.amqpURL)
        // Two writers, so batches commit out of order as they do in production.
        let databases = [try await PostgresConnection.connect(to: database), try await PostgresConnection.connect(to: database)]
        let recorder = RecorderService(amqp: amqp, databases: databases, topology: topology,
                                       configuration: RecorderConfiguration(batchSize: batchSize, retryDelay: .milliseconds(200),
                                                                            signing: signing))
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

    @Test func forgedAndAbsurdEventsAreRejectedWithTheirReasonAndTheTileIsUntouched() async throws {
        let db = try await TestDatabase.create()
        let topology = Topology(prefix: "test-\(UUID().uuidString.prefix(8))")
        defer { TestCleanup.later { await db.drop(); await Self.cleanUp(topology) } }
        let tile = TestDatabase.tileID(0)
        try await TaskStore(connection: db.connection).insert(
            TaskStore.NewTask(id: "bounds", title: "bounds", backend: "sim", spec: PostgresJSON(text: "{}"), maxAttempts: 2),
            tiles: [TaskStore.NewTile(tileID: tile)])
        let now = EventFixtures.recentTime()
        let honest = StatusEvent(task: "bounds", tile: tile, attempt: 1, status: .running, rawStatus: "running", time: now)
        let forged = StatusEvent(task: "bounds", tile: tile, attempt: 999, status: .finished,
                                 assets: [.init(href: "https://evil.example/planted.tif")], time: now)
        let lastRetry = StatusEvent(task: "bounds", tile: tile, attempt: 2, status: .retrying, error: "again", time: now)
        let farFuture = StatusEvent(task: "bounds", tile: tile, attempt: 1, status: .finished,
                                    time: Date(timeIntervalSince1970: 253_402_214_400)) // 9999-12-31
        let beforeTask = StatusEvent(task: "bounds", tile: tile, attempt: 1, status: .finished, time: Date(timeIntervalSince1970: 1_600_000_000))
        let huge = StatusEvent(task: "bounds", tile: tile, attempt: 1, status: .failed, message: String(repeating: "x", count: 10 * 1024 * 1024),
                               time: now)
        try await Self.publish([honest, forged, lastRetry, farFuture, beforeTask, huge], topology: topology)
        try await Self.withRecorder(database: db.url, topology: topology) {
            try await eventually(timeout: .seconds(30)) {
                try await db.connection.query("SELECT count(*) FROM rejected_events")[0].decode(Int.self, at: 0) == 5
            }
        }
        let rejected = try await db.connection.query("SELECT reason, convert_from(body, 'UTF8') FROM rejected_events")
        var reasons: [UUID: String] = [:]
        for row in rejected {
            let body = try row.decode(String.self, at: 1)
            for event in [forged, lastRetry, farFuture, beforeTask, huge] where body.contains(event.id.uuidString) {
                reasons[event.id] = try row.decode(String.self, at: 0)
            }
        }
        #expect(reasons[forged.id] == "field 'attempt' (999) is beyond what the tile can have (max_attempts 2, current attempt 1)")
        #expect(reasons[lastRetry.id] == "field 'attempt' (2, retrying: starts the next) is beyond what the tile can have (max_attempts 2, current attempt 1)")
        #expect(reasons[farFuture.id]?.hasPrefix("field 'time' (9999-12-31T00:00:00Z) is more than the clock skew") == true)
        #expect(reasons[beforeTask.id]?.hasPrefix("field 'time' (2020-09-13T12:26:40Z) is before the task was created") == true)
        #expect(reasons[huge.id] == "field 'message' is 10485760 bytes, more than the limit of \(MessageLimits.message)")

        let amqp = try await AMQPConnection.connect(url: TestEnvironment.amqpURL)
        let channel = try await amqp.openChannel()
        let consumer = try await channel.consume(queue: topology.deadQueue)
        var dead: [String] = []
        for await delivery in consumer {
            dead.append(delivery.headers[Topology.reasonHeader]?.stringValue ?? "")
            try channel.ack(delivery)
            if dead.count == 5 { break }
        }
        await amqp.close()
        #expect(Set(dead) == Set(reasons.values))

        let row = try await db.connection.query("SELECT status, attempt, status_at, message FROM tiles WHERE task_id = 'bounds'")[0]
        #expect(try row.decode(String.self, at: 0) == "running")
        #expect(try row.decode(Int.self, at: 1) == 1)
        #expect(try row.decode(Date.self, at: 2) == now)
        #expect(try row.decode(String?.self, at: 3) == nil)
        #expect(try await db.connection.query("SELECT count(*) FROM events")[0].decode(Int.self, at: 0) == 1)
        #expect(try await db.connection.query("SELECT count(*) FROM assets")[0].decode(Int.self, at: 0) == 0)
    }

    @Test func theBrokerRefusesABodyBeyondTheFleetsLimitAndTakesOneAtIt() async throws {
        let topology = Topology(prefix: "test-\(UUID().uuidString.prefix(8))")
        defer { TestCleanup.later { await Self.cleanUp(topology) } }
        let amqp = try await AMQPConnection.connect(url: TestEnvironment.amqpURL)
        let channel = try await amqp.openChannel()
        try await topology.declare(on: channel)
        try await channel.enablePublisherConfirms()
        // max_message_size in deploy/local/services.sh is MessageLimits.body.
        try await channel.publishConfirmed(Array(repeating: UInt8(ascii: " "), count: MessageLimits.body),
                                           exchange: topology.eventsExchange, routingKey: "t.a.running")
        do {
            try await channel.publishConfirmed(Array(repeating: UInt8(ascii: " "), count: MessageLimits.body + 1),
                                               exchange: topology.eventsExchange, routingKey: "t.a.running")
            Issue.record("the broker took a body beyond MessageLimits.body")
        } catch let error as AMQPError {
            guard case .publishUnconfirmed(let reason) = error else { throw error }
            #expect(reason.contains("406 PRECONDITION_FAILED - message size \(MessageLimits.body + 1) is larger than configured max size"))
        }
        // The channel closed with the refusal; on the reopened one, the same declaration counts what the queue holds.
        let info = try await channel.declareQueue(topology.recorderQueue, arguments: ["x-dead-letter-exchange": .string(topology.deadExchange)])
        #expect(info.messageCount == 1)
        await amqp.close()
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
