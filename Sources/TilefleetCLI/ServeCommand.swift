import AMQP
import ArgumentParser
import Foundation
import Logging
import Messaging
import Postgres
import Prometheus
import Serve
import ServiceLifecycle

/// `tilefleet serve`: the APEx Dispatch API-compatible HTTP API, tilefleet's own routes and the
/// live map (docs/serve.md).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the APEx Dispatch API-compatible HTTP API, tilefleet's own routes and the live map (stops cleanly on SIGTERM/SIGINT).",
        discussion: """
        Users and their bearer tokens come from serve.users in the fleet configuration, each token \
        by reference (token_env or token_file). Stateless: several can run behind a load balancer.
        """
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on.")
    var port = 8000

    @Option(name: .customLong("leaflet-dir"), help: "Where Debian's libjs-leaflet keeps Leaflet (for the map page).")
    var leafletDirectory = MapRoutes.defaultLeafletDirectory

    func validate() throws {
        try OptionRange.require(port, "--port", atLeast: 0)
        guard port <= 65535 else { throw ValidationError("--port must be at most 65535, got \(port)") }
    }

    func run() async throws {
        let logger = Logger(label: "tilefleet.serve")
        let configuration = try connection.fleetConfiguration()
        let tokens: BearerTokens
        do {
            tokens = try BearerTokens(configuration.serve.users, environment: ProcessInfo.processInfo.environment)
        } catch {
            CoordinatorSupport.printError("\(configuration.file ?? "fleet configuration"): \(error)")
            throw ExitCode(2)
        }
        if tokens.isEmpty {
            logger.warning("no serve.users in the fleet configuration: every authenticated route answers 401")
        }
        let dependencies = DependencyWait(logger: logger)
        let database = try await dependencies.database(connection.resolvedDatabaseURL())
        let amqp = try await dependencies.broker(connection.resolvedAMQPURL())
        let channel = try await amqp.openChannel()
        try await configuration.topology.declare(on: channel)
        try await channel.enablePublisherConfirms()
        let fleet = ServeFleet(configuration: configuration, database: database, channel: channel,
                               signing: try MessageSigning(configuration.signing), logger: logger)
        let service = ServeService(fleet: fleet, tokens: tokens, host: host, port: port, registry: PrometheusCollectorRegistry(),
                                   leafletDirectory: leafletDirectory, logger: logger) { port in
            logger.info("serving", metadata: ["host": "\(host)", "port": "\(port)", "users": "\(tokens.userNames.joined(separator: ","))"])
        }
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: service)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
        await amqp.close()
        await database.close()
    }
}
