import AMQP
import ArgumentParser
import Coordinator
import FleetConfig
import FleetModel
import Foundation
import Logging
import Messaging
import Postgres
import Storage
import TilefleetCLI
import Timing

/// `tilefleet bench submit`: a large task from spec to stored tiles and first dispatch.
struct BenchSubmit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Measure submit of a large task: tiling, storing every tile in one transaction (COPY), first dispatch."
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "The area: a bbox west,south,east,north.")
    var aoi = "10.0,47.0,14.2,49.9"

    @Option(help: "The grid.")
    var grid = "km:1"

    @Option(help: "max_active of the benchmark backend (the first dispatch publishes this many).")
    var maxActive = 100

    @Flag(help: "Keep the task and the topology afterwards.")
    var keep = false

    func run() async throws {
        var logger = Logger(label: "tilefleet.bench")
        logger.logLevel = .warning
        let id = "bench-submit-\(UUID().uuidString.prefix(8).lowercased())"
        var configuration = try FleetConfiguration.parse(yaml: """
            topology: {prefix: bench-\(UUID().uuidString.prefix(8))}
            backends:
              - {name: bench, kind: openeo, url: "http://127.0.0.1:9/openeo", max_active: \(maxActive)}
            """, file: "bench")
        configuration.topology.backends = ["bench"]
        let text = """
            id: \(id)
            title: submit benchmark
            backend: bench
            service: {process: bench}
            split: {aoi: "\(aoi)", grid: "\(grid)"}
            """
        let db = try await PostgresConnection.connect(to: connection.resolvedDatabaseURL(), logger: logger)
        try await Migrator().migrate(db)
        let amqp = try await AMQPConnection.connect(url: connection.resolvedAMQPURL(), logger: logger)
        let channel = try await amqp.openChannel()
        try await configuration.topology.declare(on: channel)
        try await channel.enablePublisherConfirms()
        let dispatchDB = try await PostgresConnection.connect(to: db.url, logger: logger)

        let clock = ContinuousClock()
        let start = clock.now
        let spec = try TaskSpecParser(configuration: configuration).parse(text, file: "bench")
        let plan = try TaskPlan(spec: spec)
        let tiled = clock.now
        try await TaskStore(connection: db).insert(plan)
        let stored = clock.now
        let outcome = try await Dispatcher(connection: dispatchDB, channel: channel, topology: configuration.topology, signing: .unsigned,
                                               lease: configuration.recovery.lease)
            .dispatch(backend: "bench", maxActive: maxActive)
        let dispatched = clock.now

        let count = plan.records.count
        print("submit of \(count) tiles (\(grid) over \(aoi)):")
        print("  tiling          \(String(format: "%.2f", (tiled - start).inSeconds)) s")
        print("  stored          \(String(format: "%.2f", (stored - start).inSeconds)) s after start (insert \(String(format: "%.2f", (stored - tiled).inSeconds)) s, \(BenchReport.format(Double(count) / (stored - tiled).inSeconds)) tiles/s)")
        print("  first dispatch  \(String(format: "%.2f", (dispatched - start).inSeconds)) s after start (\(outcome.total) items published with confirms in \(String(format: "%.3f", (dispatched - stored).inSeconds)) s)")
        if !keep {
            try await TaskStore(connection: db).delete(task: id)
            try await configuration.topology.delete(on: channel)
        }
        await dispatchDB.close()
        await amqp.close()
        await db.close()
    }
}
