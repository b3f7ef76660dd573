import AMQP
import ArgumentParser
import Coordinator
import Logging
import Messaging
import Metrics
import Postgres
import Prometheus
import ServiceLifecycle
import Worker

/// `tilefleet coordinator`: the dispatch service for all tasks.
struct CoordinatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Dispatch pending tiles within each backend's max_active (wakes on finished tiles and on a timer; stops cleanly on SIGTERM/SIGINT)."
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Seconds between passes without a notification (default: coordinator.interval in the config, else 5).")
    var interval: Int?

    @Option(help: "Port of a Prometheus /metrics endpoint with each backend's health and effective limit (default: none).")
    var metricsPort: Int?

    @Option(help: "IP address the /metrics endpoint listens on (0.0.0.0 or :: for every interface).")
    var metricsAddress = "127.0.0.1"

    func validate() throws {
        if let interval { try OptionRange.require(interval, "--interval", atLeast: 1) }
        if let metricsPort { try OptionRange.requirePort(metricsPort, "--metrics-port") }
        try OptionRange.requireAddress(metricsAddress, "--metrics-address")
    }

    func run() async throws {
        let logger = Logger(label: "tilefleet.coordinator")
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
        if let metricsPort {
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            services.append(.init(service: MetricsEndpoint(registry: registry, host: metricsAddress, port: metricsPort,
                                                           help: BackendMonitor.help, logger: logger)))
        }
        let group = ServiceGroup(configuration: .init(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
        await amqp.close()
        await database.close()
    }
}
