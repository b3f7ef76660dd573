import AMQP
import ArgumentParser
import Backends
import FleetConfig
import FleetModel
import Foundation
import HTTP
import Logging
import Messaging
import ServiceLifecycle
import Worker

/// `tilefleet worker`: one stateless member of the fleet; start as many as you like on any hosts.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Submit and poll backend jobs from the work queues (stateless; stops cleanly on SIGTERM/SIGINT)."
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Comma-separated backend names to serve (default: every configured backend).")
    var backends: String?

    @Option(help: "Deliveries handled at once per backend queue.")
    var prefetch = 200

    @Option(help: "Name prefix of the fleet's exchanges and queues (default: topology.prefix in the config).")
    var prefix: String?

    @Option(help: "The delay tiers in seconds, comma-separated (default: topology.wait_tiers in the config).")
    var waitTiers: String?

    @OptionGroup var metrics: MetricsOptions

    @Option(help: "The base URL OGC API – Processes servers call back (http://this-host:9480): each job gets <url>/callbacks/<token>. Default: no callbacks, polling only.")
    var callbackURL: String?

    @Option(help: "Port of the callback receiver (with --callback-url).")
    var callbackPort = 9480

    @Option(help: "IP address the callback receiver listens on (with --callback-url).")
    var callbackAddress = "0.0.0.0"

    @Option(help: "Seconds in-flight items may take to finish after SIGTERM.")
    var shutdownDeadline: Double = 20

    @Option(help: "Log format: text or json.")
    var logFormat = "text"

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func validate() throws {
        guard ["text", "json"].contains(logFormat) else { throw ValidationError("--log-format must be text or json") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level '\(logLevel)' is not a level") }
        guard prefetch >= 1, prefetch <= Int(UInt16.max) else { throw ValidationError("--prefetch must be within 1…65535") }
        try OptionRange.requirePort(callbackPort, "--callback-port")
        try OptionRange.requireAddress(callbackAddress, "--callback-address")
        if let callbackURL, URL(string: callbackURL)?.host == nil || !["http", "https"].contains(URL(string: callbackURL)?.scheme ?? "") {
            throw ValidationError("--callback-url must be an absolute http(s) URL the servers can reach, not '\(callbackURL)'")
        }
        try OptionRange.requireFinite(shutdownDeadline, "--shutdown-deadline", atLeast: 0)
        try OptionRange.requirePrefix(prefix, "--prefix")
        if let waitTiers {
            let tiers = waitTiers.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !tiers.isEmpty, tiers.allSatisfy({ ($0 ?? 0) > 0 }) else {
                throw ValidationError("--wait-tiers must be positive whole seconds, e.g. 5,15,60,300")
            }
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        let json = logFormat == "json"
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "tilefleet.worker")
        let metricsEndpoint = metrics.bootstrap(defaultPort: 9464, help: WorkerMetrics.help, serverName: "tilefleet-worker", logger: logger)

        let configuration = try connection.fleetConfiguration()
        let signing = try MessageSigning(configuration.signing)
        let fleet = configuration.backends
        var topology = configuration.topology
        if let prefix { topology.prefix = prefix }
        if let waitTiers { topology.waitTiers = waitTiers.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.sorted() }
        let tiers = topology.waitTiers
        let names = backends.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? fleet.backends.map(\.name)
        guard !names.isEmpty else { throw ValidationError("no backends to serve: the config has none and --backends names none") }
        let client = HTTPClient(logger: logger)
        var served: [String: WorkerBackend] = [:]
        for name in names {
            if let configured = fleet.backends.first(where: { $0.name == name }), let shortest = tiers.first,
               FleetConfiguration.tier(serving: configured.poll.minimum) < shortest {
                let needed = FleetConfiguration.tier(serving: configured.poll.minimum)
                throw ValidationError("backend \(name): poll.min_interval \(needed)s is shorter than the shortest wait tier, \(shortest)s (--wait-tiers); add \(needed) to the tiers or raise min_interval")
            }
            do {
                let configured = try fleet.backend(named: name)
                served[name] = WorkerBackend(backend: try configured.makeBackend(client: client, logger: logger),
                                             policy: WorkerPolicy(backend: configured, waitTiers: tiers, lease: configuration.recovery.lease))
            } catch {
                throw ValidationError("\(error)")
            }
        }

        let amqp = try await DependencyWait(logger: logger).broker(connection.resolvedAMQPURL())
        let callbacks = callbackURL.map { CallbackRegistry(baseURL: $0) }
        let worker = WorkerService(
            amqp: amqp, topology: Topology(prefix: topology.prefix, backends: names, waitTiers: tiers,
                                           quorumQueues: topology.quorumQueues, declaredBy: topology.declaredBy), backends: served,
            configuration: WorkerConfiguration(prefetch: prefetch, shutdownDeadline: .milliseconds(Int64(shutdownDeadline * 1000)),
                                               signing: signing),
            callbacks: callbacks, logger: logger)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: worker, successTerminationBehavior: .gracefullyShutdownGroup)]
        if let callbacks {
            services.append(.init(service: CallbackReceiver(registry: callbacks, host: callbackAddress, port: callbackPort, logger: logger)))
        }
        if let metricsEndpoint { services.append(.init(service: metricsEndpoint)) }
        let group = ServiceGroup(configuration: .init(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
        await amqp.close()
        await client.shutdown()
    }
}
