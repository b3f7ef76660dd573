import Backends
import Foundation
import Geo
import Messaging
import Yams

/// The fleet configuration file (`tilefleet.yaml`): broker, database, message topology, task
/// defaults and backends. URLs are overridden by `TILEFLEET_AMQP_URL` / `TILEFLEET_DATABASE_URL`,
/// and those by command-line flags. Secrets are referenced (`password_env`), never written here.
public struct FleetConfiguration: Sendable {
    /// The file this was read from (nil: no file, built-in defaults).
    public var file: String?
    public var brokerURL: String?
    public var databaseURL: String?
    public var topology: Topology
    public var defaults: TaskDefaults
    public var backends: BackendsConfiguration
    /// How often the coordinator looks for work without a notification.
    public var dispatchIntervalSeconds: Int

    public init(file: String? = nil, brokerURL: String? = nil, databaseURL: String? = nil, topology: Topology = Topology(),
                defaults: TaskDefaults = TaskDefaults(), backends: BackendsConfiguration = BackendsConfiguration(backends: []),
                dispatchIntervalSeconds: Int = 5) {
        self.file = file
        self.brokerURL = brokerURL
        self.databaseURL = databaseURL
        self.topology = topology
        self.defaults = defaults
        self.backends = backends
        self.dispatchIntervalSeconds = dispatchIntervalSeconds
    }

    /// The configuration file to use: `explicit` (`--config`), else `$TILEFLEET_CONFIG`, else
    /// `./tilefleet.yaml` when it exists.
    public static func locate(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let explicit { return explicit }
        if let path = environment["TILEFLEET_CONFIG"], !path.isEmpty { return path }
        return FileManager.default.fileExists(atPath: "tilefleet.yaml") ? "tilefleet.yaml" : nil
    }

    /// Loads the located file, or the built-in defaults when there is none.
    public static func load(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws(SpecValidationError) -> FleetConfiguration {
        guard let path = locate(explicit: explicit, environment: environment) else { return FleetConfiguration() }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SpecValidationError(file: path, problems: [SpecProblem(path: "", message: "cannot read the fleet configuration")])
        }
        return try parse(yaml: String(decoding: data, as: UTF8.self), file: path, environment: environment)
    }

    static let topKeys: Set<String> = ["broker", "database", "topology", "defaults", "backends", "coordinator"]

    /// Parses a configuration document; every problem is reported with its key.
    public static func parse(yaml: String, file: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(SpecValidationError) -> FleetConfiguration {
        let reader = SpecReader()
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw SpecValidationError(file: file, problems: [SpecProblem(path: "", message: "not valid YAML: \(error)")])
        }
        var configuration = FleetConfiguration(file: file)
        guard let root, let top = reader.mapping(root, "", allowed: topKeys) else {
            throw SpecValidationError(file: file, problems: reader.problems.isEmpty ? [SpecProblem(path: "", message: "expected a mapping")] : reader.problems)
        }
        configuration.brokerURL = connectionURL(reader, top["broker"], "broker", environment: environment)
        configuration.databaseURL = connectionURL(reader, top["database"], "database", environment: environment)
        if let topology = reader.mapping(top["topology"], "topology", allowed: ["prefix", "wait_tiers", "quorum_queues"]) {
            let prefix = reader.string(topology["prefix"], "topology.prefix") ?? "tilefleet"
            var tiers = [5, 15, 60, 300]
            if let node = topology["wait_tiers"] {
                if let list = node.sequence {
                    tiers = list.enumerated().compactMap { reader.int($1, "topology.wait_tiers[\($0)]", minimum: 1) }
                } else {
                    reader.report("topology.wait_tiers", "expected a list of seconds", node)
                }
            }
            var quorum = false
            if let node = topology["quorum_queues"] {
                if let value = node.bool { quorum = value } else { reader.report("topology.quorum_queues", "expected true or false", node) }
            }
            configuration.topology = Topology(prefix: prefix, waitTiers: tiers, quorumQueues: quorum)
        }
        if let defaults = reader.mapping(top["defaults"], "defaults", allowed: ["backend", "grid", "tile_input", "max_attempts", "max_runtime", "priority", "output_format"]) {
            var value = TaskDefaults()
            value.backend = reader.string(defaults["backend"], "defaults.backend")
            if let grid = reader.string(defaults["grid"], "defaults.grid") {
                if let problem = TaskSpecParser.gridProblem(grid) { reader.report("defaults.grid", problem, defaults["grid"]) } else { value.grid = grid }
            }
            if let input = reader.string(defaults["tile_input"], "defaults.tile_input") {
                if let parsed = TileInput(rawValue: input) { value.tileInput = parsed } else {
                    reader.report("defaults.tile_input", "unknown tile input '\(input)' (expected one of: \(TileInput.allCases.map(\.rawValue).joined(separator: ", ")))", defaults["tile_input"])
                }
            }
            value.maxAttempts = reader.int(defaults["max_attempts"], "defaults.max_attempts", minimum: 1) ?? value.maxAttempts
            value.maxRuntimeSeconds = reader.seconds(defaults["max_runtime"], "defaults.max_runtime")
            value.priority = reader.int(defaults["priority"], "defaults.priority") ?? 0
            value.outputFormat = reader.string(defaults["output_format"], "defaults.output_format")
            configuration.defaults = value
        }
        if let coordinator = reader.mapping(top["coordinator"], "coordinator", allowed: ["interval"]) {
            configuration.dispatchIntervalSeconds = reader.seconds(coordinator["interval"], "coordinator.interval") ?? 5
        }
        if top["backends"] != nil {
            do {
                configuration.backends = try BackendsConfiguration.parse(yaml: yaml)
            } catch let error as ConfigurationError {
                reader.report(error.path, error.message)
            } catch {
                reader.report("backends", "\(error)")
            }
        }
        if let name = configuration.defaults.backend, !configuration.backends.backends.isEmpty,
           !configuration.backends.backends.contains(where: { $0.name == name }) {
            reader.report("defaults.backend", "no backend named '\(name)' (configured: \(configuration.backends.backends.map(\.name).joined(separator: ", ")))", top["defaults"])
        }
        guard reader.problems.isEmpty else { throw SpecValidationError(file: file, problems: reader.problems) }
        configuration.topology.backends = configuration.backends.backends.map(\.name)
        return configuration
    }

    /// `broker:` / `database:` — `url` with an optional `password_env` naming the variable that
    /// holds the password (inserted into the URL when set).
    private static func connectionURL(_ reader: SpecReader, _ node: Node?, _ path: String, environment: [String: String]) -> String? {
        guard let members = reader.mapping(node, path, allowed: ["url", "password_env"]) else { return nil }
        guard var url = reader.string(members["url"], "\(path).url", required: true) else { return nil }
        if let variable = reader.string(members["password_env"], "\(path).password_env") {
            // Unset: the URL is used as written (libpq may still find a password in ~/.pgpass).
            guard let password = environment[variable] else { return url }
            if var components = URLComponents(string: url) {
                components.password = password
                url = components.string ?? url
            }
        }
        return url
    }

    /// The broker URL: `flag`, else `TILEFLEET_AMQP_URL`, else the file's `broker.url`.
    public func resolvedBrokerURL(flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        flag ?? environment["TILEFLEET_AMQP_URL"] ?? brokerURL
    }

    /// The database URL: `flag`, else `TILEFLEET_DATABASE_URL`, else the file's `database.url`.
    public func resolvedDatabaseURL(flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        flag ?? environment["TILEFLEET_DATABASE_URL"] ?? databaseURL
    }

    /// `max_active` of a backend (nil when it is not configured).
    public func maxActive(backend: String) -> Int? {
        backends.backends.first { $0.name == backend }?.maxActive
    }
}
