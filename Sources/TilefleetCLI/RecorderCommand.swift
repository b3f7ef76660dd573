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

    @OptionGroup var metrics: MetricsOptions

    @Option(help: "Events per transaction.")
    var batchSize = 500

    @Option(help: "Milliseconds a free writer waits for its batch to fill (0: write what has arrived at once).")
    var maxWaitMs = 0

    @Option(help: "Batches written at the same time, each on its own database connection.")
    var writers = 2

    @Option(help: "Name prefix of the fleet's exchanges and queues (default: topology.prefix in the config, else tilefleet).")
    var prefix: String?

    func validate() throws {
        try OptionRange.require(batchSize, "--batch-size", atLeast: 1)
        try OptionRange.require(maxWaitMs, "--max-wait-ms", atLeast: 0)
        try OptionRange.require(writers, "--writers", atLeast: 1)
        try OptionRange.requirePrefix(prefix, "--prefix")
    }

    func run() async throws {
        let logger = Logger(label: "tilefleet.recorder")
        let metricsEndpoint = metrics.bootstrap(defaultPort: nil, help: RecorderMetrics.help, serverName: "tilefleet-recorder", logger: logger)
        guard writers >= 1 else { throw ValidationError("--writers must be at least 1, got \(writers)") }
        let fleet = try connection.fleetConfiguration()
        let signing = try MessageSigning(fleet.signing)
        let databaseURL = try connection.resolvedDatabaseURL()
        let dependencies = DependencyWait(logger: logger)
        var databases: [PostgresConnection] = []
        for _ in 0..<writers { databases.append(try await dependencies.database(databaseURL)) }
        let amqp = try await dependencies.broker(connection.resolvedAMQPURL())
        var topology = fleet.topology
        if let prefix { topology.prefix = prefix }
        let recorder = RecorderService(
            amqp: amqp, databases: databases, topology: topology,
            configuration: RecorderConfiguration(batchSize: batchSize, maxWait: .milliseconds(maxWaitMs),
                                                 clockSkew: fleet.recovery.clockSkew, signing: signing),
            logger: logger)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: recorder)]
        if let metricsEndpoint { services.append(.init(service: metricsEndpoint)) }
        let group = ServiceGroup(configuration: .init(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
        await amqp.close()
        for database in databases { await database.close() }
    }
}
