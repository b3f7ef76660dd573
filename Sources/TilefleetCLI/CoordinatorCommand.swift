import AMQP
import ArgumentParser
import Coordinator
import Logging
import Messaging
import Postgres
import ServiceLifecycle

/// `tilefleet coordinator`: the dispatch service for all tasks.
struct CoordinatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Dispatch pending tiles within each backend's max_active (wakes on finished tiles and on a timer; stops cleanly on SIGTERM/SIGINT)."
    )

    @OptionGroup var connection: ConnectionOptions

    @OptionGroup var metrics: MetricsOptions

    @Option(help: "Seconds between passes without a notification (default: coordinator.interval in the config, else 5).")
    var interval: Int?

    func validate() throws {
        if let interval { try OptionRange.require(interval, "--interval", atLeast: 1) }
    }

    func run() async throws {
        let logger = Logger(label: "tilefleet.coordinator")
        let metricsEndpoint = metrics.bootstrap(defaultPort: nil, help: CoordinatorMetrics.help, serverName: "tilefleet-coordinator", logger: logger)
        let configuration = try connection.fleetConfiguration()
        guard !configuration.backends.backends.isEmpty else {
            throw ValidationError("the fleet configuration has no backends: pass --config or set TILEFLEET_CONFIG")
        }
        let signing = try MessageSigning(configuration.signing)
        let dependencies = DependencyWait(logger: logger)
        let database = try await dependencies.database(connection.resolvedDatabaseURL())
        let amqp = try await dependencies.broker(connection.resolvedAMQPURL())
        let service = CoordinatorService(database: database, amqp: amqp, configuration: configuration, signing: signing,
                                         interval: interval.map { .seconds($0) }, logger: logger)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: service)]
        if let metricsEndpoint { services.append(.init(service: metricsEndpoint)) }
        let group = ServiceGroup(configuration: .init(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
        await amqp.close()
        await database.close()
    }
}
