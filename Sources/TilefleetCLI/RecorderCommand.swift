import AMQP
import ArgumentParser
import Logging
import Messaging
import Postgres
import Recorder
import ServiceLifecycle

/// `tilefleet recorder`: persist status events from the broker to PostgreSQL.
struct RecorderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recorder",
        abstract: "Consume status events and write them to PostgreSQL in batches (stops cleanly on SIGTERM/SIGINT)."
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Events per transaction.")
    var batchSize = 500

    @Option(help: "Milliseconds to wait for a batch to fill.")
    var maxWaitMs = 50

    @Option(help: "Name prefix of the fleet's exchanges and queues (default: topology.prefix in the config, else tilefleet).")
    var prefix: String?

    func run() async throws {
        let logger = Logger(label: "tilefleet.recorder")
        let database = try await PostgresConnection.connect(to: connection.resolvedDatabaseURL(), logger: logger)
        let amqp = try await AMQPConnection.connect(url: connection.resolvedAMQPURL(), logger: logger)
        var topology = try connection.fleetConfiguration().topology
        if let prefix { topology.prefix = prefix }
        let recorder = RecorderService(
            amqp: amqp, database: database, topology: topology,
            configuration: RecorderConfiguration(batchSize: batchSize, maxWait: .milliseconds(maxWaitMs)),
            logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: recorder)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
        await amqp.close()
        await database.close()
    }
}
