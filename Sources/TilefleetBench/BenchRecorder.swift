import AMQP
import ArgumentParser
import FleetModel
import Foundation
import Logging
import Messaging
import Postgres
import Recorder
import ServiceLifecycle
import Storage
import TilefleetCLI
import Timing

/// `tilefleet bench recorder`: events persisted per second, publish → recorder → committed.
struct BenchRecorder: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recorder",
        abstract: "Measure end-to-end event persistence: publish to the broker, record, commit."
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Events per run.")
    var events = 50_000

    @Option(parsing: .upToNextOption, help: "Recorder batch sizes to measure.")
    var batchSizes: [Int] = [1, 100, 1_000]

    @Option(help: "Recorder database connections, each writing one batch at a time.")
    var writers = 2

    @Flag(help: "Also write the same batches straight through the event store, without the broker, to separate the database's share.")
    var direct = false

    @Flag(help: "Also measure draining a backlog: publish every event first, then time the recorder alone from its start to the last commit.")
    var backlog = false

    func run() async throws {
        let databaseURL = try connection.resolvedDatabaseURL()
        let amqpURL = try connection.resolvedAMQPURL()
        var logger = Logger(label: "tilefleet.bench")
        logger.logLevel = .warning
        let db = try await PostgresConnection.connect(to: databaseURL, logger: logger)
        try await Migrator().migrate(db)
        for batchSize in batchSizes {
            let rate = try await measure(batchSize: batchSize, db: db, databaseURL: databaseURL, amqpURL: amqpURL, logger: logger)
            print("recorder, batch \(batchSize), \(writers) writer(s): \(BenchReport.format(rate)) events/s (\(events) events, publish → committed)")
            if backlog {
                let drain = try await measure(batchSize: batchSize, db: db, databaseURL: databaseURL, amqpURL: amqpURL,
                                              logger: logger, backlog: true)
                print("recorder draining a backlog, batch \(batchSize), \(writers) writer(s): \(BenchReport.format(drain)) events/s (consume → committed)")
            }
            if direct {
                let storeRate = try await measureStore(batchSize: batchSize, db: db)
                print("event store alone, batch \(batchSize): \(BenchReport.format(storeRate)) events/s")
            }
        }
        await db.close()
    }

    private func makeTask(_ db: PostgresConnection) async throws -> (String, [StatusEvent]) {
        let task = "bench-recorder-\(UUID().uuidString.prefix(8))"
        let tiles = max(1, events / 10)
        try await TaskStore(connection: db).insert(
            TaskStore.NewTask(id: task, title: "recorder benchmark", backend: "bench", spec: PostgresJSON(text: "{}")),
            tiles: (0..<tiles).lazy.map { TaskStore.NewTile(tileID: "tile-\($0)") })
        let statuses: [EventStatus] = [.queued, .submitted, .running, .running, .running, .running, .running, .running, .running, .finished]
        // Just before now and 10 µs apart: within the recorder's bounds (not before the task, not
        // beyond the clock skew ahead) however many events.
        let start = Date().addingTimeInterval(-10)
        let bodies = (0..<events).map { i in
            StatusEvent(task: task, tile: "tile-\(i % tiles)", attempt: 1, status: statuses[min(i / tiles, statuses.count - 1)],
                        backend: "bench", backendJobID: "job-\(i % tiles)", progress: Double(i / tiles) / 10,
                        worker: "bench", time: start.addingTimeInterval(Double(i) / 100_000))
        }
        return (task, bodies)
    }

    private func measureStore(batchSize: Int, db: PostgresConnection) async throws -> Double {
        let (task, bodies) = try await makeTask(db)
        let store = EventStore(connection: db)
        let clock = ContinuousClock()
        let began = clock.now
        for start in stride(from: 0, to: bodies.count, by: batchSize) {
            try await store.apply(bodies[start..<min(start + batchSize, bodies.count)])
        }
        let elapsed = clock.now - began
        try await removeTask(task, db: db)
        return Double(bodies.count) / elapsed.inSeconds
    }

    /// Deletes the run's task and vacuums, so the next run does not scan this one's dead rows.
    private func removeTask(_ task: String, db: PostgresConnection) async throws {
        try await TaskStore(connection: db).delete(task: task)
        try await db.executeScript("VACUUM events, tiles, backend_jobs, assets")
    }

    /// Waits for the last event: every tile finished (a cheap index count), then every event stored.
    private func waitUntilStored(task: String, tiles: Int, db: PostgresConnection) async throws {
        while true {
            try await Task.sleep(for: .milliseconds(10))
            let finished = try await db.query("SELECT count(*) FROM tiles WHERE task_id = \(task) AND status = 'finished'")[0]
                .decode(Int.self, at: 0)
            guard finished == tiles else { continue }
            let stored = try await db.query("SELECT count(*) FROM events WHERE task_id = \(task)")[0].decode(Int.self, at: 0)
            if stored == events { return }
        }
    }

    private func measure(batchSize: Int, db: PostgresConnection, databaseURL: String, amqpURL: String,
                         logger: Logger, backlog: Bool = false) async throws -> Double {
        let (task, bodies) = try await makeTask(db)
        let topology = Topology(prefix: "bench-\(UUID().uuidString.prefix(8))")
        // The publisher has a connection of its own, as workers do.
        let amqp = try await AMQPConnection.connect(url: amqpURL, logger: logger)
        let publisher = try await AMQPConnection.connect(url: amqpURL, logger: logger)
        var recorderDBs: [PostgresConnection] = []
        for _ in 0..<writers { recorderDBs.append(try await PostgresConnection.connect(to: databaseURL, logger: logger)) }
        let channel = try await publisher.openChannel()
        try await topology.declare(on: channel)
        try await channel.enablePublisherConfirms(window: 1_000)
        let recorder = RecorderService(amqp: amqp, databases: recorderDBs, topology: topology,
                                       configuration: RecorderConfiguration(batchSize: batchSize), logger: logger)
        let group = ServiceGroup(configuration: .init(services: [.init(service: recorder)], logger: logger))
        let clock = ContinuousClock()
        var began = clock.now
        let publishing = Task {
            for event in bodies {
                try await channel.publish(event.encoded(), exchange: topology.eventsExchange, routingKey: event.routingKey)
            }
            try await channel.waitForConfirms()
        }
        if backlog {
            try await publishing.value
            began = clock.now
        }
        let running = Task { try await group.run() }
        try await waitUntilStored(task: task, tiles: max(1, events / 10), db: db)
        let elapsed = clock.now - began
        try await publishing.value
        await group.triggerGracefulShutdown()
        try await running.value
        try await topology.delete(on: channel)
        await amqp.close()
        await publisher.close()
        for connection in recorderDBs { await connection.close() }
        try await removeTask(task, db: db)
        return Double(events) / elapsed.inSeconds
    }
}
