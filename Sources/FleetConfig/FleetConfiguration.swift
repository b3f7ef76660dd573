import FleetModel
import Foundation
import Timing
import Yams

/// The fleet configuration file (`tilefleet.yaml`): broker, database, message topology, task
/// defaults and backends. URLs are overridden by `TILEFLEET_AMQP_URL` / `TILEFLEET_DATABASE_URL`,
/// and those by command-line flags. Secrets are referenced (`password_env`), never written here.
///
/// Every role reads it through this one type; the file is parsed once, and every problem is
/// reported at once with its key path and line.
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
    /// Leases, heartbeats and the coordinator's recovery pass.
    public var recovery: RecoveryConfiguration
    /// How many jobs a task may have before it needs `--yes`, and at most.
    public var limits: JobLimits
    /// The key files that tag work items and events (`signing:`).
    public var signing: SigningConfiguration = SigningConfiguration()
    /// `tilefleet serve`: API users and their token references, the map's base layer.
    public var serve: ServeConfiguration = ServeConfiguration()
    /// `broker` / `database` → the `password_env` variable that was not set when the file was
    /// read: using that section's URL is then an error naming it (never libpq's or
    /// librabbitmq's own default password).
    public var unsetPasswordVariables: [String: String] = [:]

    /// Checks a grid text (`km:20`, `mgrs`, …) and says what is wrong with it, or nil. The grid
    /// grammar belongs to the tiling code, which this target does not depend on; callers pass it in.
    public typealias GridCheck = @Sendable (String) -> String?

    public init(file: String? = nil, brokerURL: String? = nil, databaseURL: String? = nil, topology: Topology = Topology(),
                defaults: TaskDefaults = TaskDefaults(), backends: BackendsConfiguration = BackendsConfiguration(backends: []),
                dispatchIntervalSeconds: Int = 5, recovery: RecoveryConfiguration = RecoveryConfiguration(),
                limits: JobLimits = JobLimits()) {
        self.file = file
        self.brokerURL = brokerURL
        self.databaseURL = databaseURL
        self.topology = topology
        self.defaults = defaults
        self.backends = backends
        self.dispatchIntervalSeconds = dispatchIntervalSeconds
        self.recovery = recovery
        self.limits = limits
    }

    /// The configuration file to use: `explicit` (`--config`), else `$TILEFLEET_CONFIG`, else
    /// `./tilefleet.yaml` when it exists.
    public static func locate(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let explicit { return explicit }
        if let path = environment["TILEFLEET_CONFIG"], !path.isEmpty { return path }
        return FileManager.default.fileExists(atPath: "tilefleet.yaml") ? "tilefleet.yaml" : nil
    }

    /// Loads the located file, or the built-in defaults when there is none.
    public static func load(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
                            gridCheck: GridCheck) throws(ConfigurationError) -> FleetConfiguration {
        guard let path = locate(explicit: explicit, environment: environment) else { return FleetConfiguration() }
        let text: String
        do {
            text = try FileAccess.loadText(path)
        } catch {
            throw ConfigurationError(file: path, path: "", message: "cannot read the fleet configuration: \(error.reason)")
        }
        return try parse(yaml: text, file: path, environment: environment, gridCheck: gridCheck)
    }

    static let topKeys: Set<String> = [
        "broker", "database", "topology", "defaults", "backends", "coordinator", "recovery", "limits", "signing", "serve",
    ]

    /// Parses a configuration document; every problem is reported with its key and line.
    public static func parse(yaml: String, file: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                             gridCheck: GridCheck) throws(ConfigurationError) -> FleetConfiguration {
        let reader = ConfigReader()
        reader.directory = (file as NSString).deletingLastPathComponent
        guard let root = reader.compose(yaml) else { throw ConfigurationError(file: file, problems: reader.problems) }
        var configuration = FleetConfiguration(file: file)
        guard let top = reader.mapping(root, "", allowed: topKeys) else {
            throw ConfigurationError(file: file, problems: reader.problems)
        }
        configuration.brokerURL = connectionURL(reader, top["broker"], "broker", environment: environment, unset: &configuration.unsetPasswordVariables)
        configuration.databaseURL = connectionURL(reader, top["database"], "database", environment: environment, unset: &configuration.unsetPasswordVariables)
        var tiersGiven = false
        if let topology = reader.mapping(top["topology"], "topology", allowed: ["prefix", "wait_tiers", "quorum_queues", "declared_by"]) {
            let prefix = reader.string(topology["prefix"], "topology.prefix") ?? "tilefleet"
            if let problem = Self.prefixProblem(prefix) { reader.report("topology.prefix", problem, topology["prefix"]) }
            var tiers = [5, 15, 60, 300]
            if let list = reader.sequence(topology["wait_tiers"], "topology.wait_tiers") {
                tiers = list.compactMap { reader.seconds($0.node, $0.path) }
                tiersGiven = true
            }
            let quorum = reader.bool(topology["quorum_queues"], "topology.quorum_queues") ?? false
            var declarer = Topology.Declarer.everyRole
            if let given = reader.string(topology["declared_by"], "topology.declared_by") {
                if let value = Topology.Declarer(rawValue: given) { declarer = value } else {
                    reader.report("topology.declared_by", "unknown value '\(given)' (expected one of: \(Topology.Declarer.allCases.map(\.rawValue).joined(separator: ", ")))",
                                  topology["declared_by"])
                }
            }
            configuration.topology = Topology(prefix: prefix, waitTiers: tiers, quorumQueues: quorum, declaredBy: declarer)
        }
        if let defaults = reader.mapping(top["defaults"], "defaults", allowed: ["backend", "grid", "tile_input", "max_attempts", "max_runtime", "priority", "output_format"]) {
            var value = TaskDefaults()
            value.backend = reader.string(defaults["backend"], "defaults.backend")
            if let grid = reader.string(defaults["grid"], "defaults.grid") {
                if let problem = gridCheck(grid) { reader.report("defaults.grid", problem, defaults["grid"]) } else { value.grid = grid }
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
        if let recovery = top["recovery"] {
            configuration.recovery = RecoveryConfiguration.read(recovery, "recovery", reader: reader)
        }
        if let signing = top["signing"] {
            configuration.signing = SigningConfiguration.read(signing, "signing", reader: reader)
        }
        if let limits = reader.mapping(top["limits"], "limits", allowed: ["max_jobs", "confirm_jobs"]) {
            var value = JobLimits()
            value.maxJobs = reader.int(limits["max_jobs"], "limits.max_jobs", minimum: 1) ?? value.maxJobs
            value.confirmJobs = reader.int(limits["confirm_jobs"], "limits.confirm_jobs", minimum: 1) ?? min(value.confirmJobs, value.maxJobs)
            if value.confirmJobs > value.maxJobs {
                reader.report("limits.confirm_jobs", "\(value.confirmJobs) is above limits.max_jobs (\(value.maxJobs))", limits["confirm_jobs"])
            }
            configuration.limits = value
        }
        if let serve = top["serve"] {
            configuration.serve = ServeConfiguration.read(serve, "serve", reader: reader)
        }
        if let backends = top["backends"] {
            configuration.backends = BackendsConfiguration.read(backends, "backends", reader: reader)
        }
        if let name = configuration.defaults.backend, !configuration.backends.backends.isEmpty,
           !configuration.backends.backends.contains(where: { $0.name == name }) {
            reader.report("defaults.backend", "no backend named '\(name)' (configured: \(configuration.backends.backends.map(\.name).joined(separator: ", ")))",
                          (top["defaults"]?.mapping?["backend"]) ?? top["defaults"])
        }
        configuration.topology.waitTiers = fitTiers(configuration.topology.waitTiers, given: tiersGiven,
                                                    to: configuration.backends.backends, reader: reader, node: top["backends"])
        guard reader.problems.isEmpty else { throw ConfigurationError(file: file, problems: reader.problems) }
        configuration.topology.backends = configuration.backends.backends.map(\.name)
        return configuration
    }

    /// Why `prefix` cannot name exchanges and queues, or nil: AMQP names take letters, digits,
    /// '-', '_', '.' and ':' (`#` and `*` are routing-key wildcards), at most 255 bytes with the
    /// suffixes added, and `amq.` is reserved for the broker.
    public static func prefixProblem(_ prefix: String) -> String? {
        if prefix.isEmpty { return "must not be empty" }
        if let bad = prefix.first(where: { !($0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0))) }) {
            return "'\(prefix)' holds '\(bad)': a prefix takes letters, digits, '-', '_', '.' and ':' only (AMQP reserves '#' and '*' as wildcards)"
        }
        if prefix.lowercased().hasPrefix("amq.") { return "'\(prefix)' starts with 'amq.', which AMQP reserves for the broker" }
        if prefix.hasPrefix(".") || prefix.hasSuffix(".") || prefix.contains("..") {
            return "'\(prefix)' has an empty part between dots"
        }
        if prefix.utf8.count > 120 { return "is \(prefix.utf8.count) bytes long; at most 120 leave room for queue names (255 bytes)" }
        return nil
    }

    /// The wait tier that serves a poll interval: its whole seconds, rounded up, at least 1.
    public static func tier(serving interval: Duration) -> Int {
        max(1, Int(interval.inSeconds.rounded(.up)))
    }

    /// Wait tiers that serve every backend's shortest poll: a poll interval shorter than the shortest
    /// tier would otherwise be stretched to it, silently. Tiers the file does not give are derived
    /// (the defaults plus each shorter poll interval); tiers it gives are kept, and each backend
    /// they cannot serve is a problem naming both values.
    static func fitTiers(_ tiers: [Int], given: Bool, to backends: [BackendConfiguration], reader: ConfigReader, node: Node?) -> [Int] {
        guard let shortest = tiers.min() else { return tiers }
        var fitted = Set(tiers)
        for (index, backend) in backends.enumerated() {
            let needed = self.tier(serving: backend.poll.minimum)
            guard needed < shortest else { continue }
            if given {
                let item = node?.sequence.flatMap { index < $0.count ? $0[index] : nil }
                reader.report("backends[\(index)].poll.min_interval",
                              "\(needed)s is shorter than the shortest wait tier, \(shortest)s (topology.wait_tiers): polls of \(backend.name) would wait \(shortest)s; add \(needed) to topology.wait_tiers or raise min_interval to \(shortest)s",
                              item?.mapping?["poll"] ?? item)
            } else {
                fitted.insert(needed)
            }
        }
        return fitted.sorted()
    }

    /// `broker:` / `database:` — `url` with an optional `password_env` naming the variable that
    /// holds the password (inserted into the URL when set; remembered in `unset` when not).
    private static func connectionURL(_ reader: ConfigReader, _ node: Node?, _ path: String, environment: [String: String],
                                      unset: inout [String: String]) -> String? {
        guard let members = reader.mapping(node, path, allowed: ["url", "password_env"]) else { return nil }
        // The broker may list a cluster's nodes: a YAML list, or URLs separated by commas.
        var urls: [String]
        if path == "broker", members["url"]?.sequence != nil {
            guard let list = reader.strings(members["url"], "\(path).url"), !list.isEmpty else {
                reader.report("\(path).url", "is an empty list", members["url"])
                return nil
            }
            urls = list
        } else {
            guard let url = reader.string(members["url"], "\(path).url", required: true) else { return nil }
            urls = path == "broker" ? url.split(separator: ",").map(String.init) : [url]
        }
        if let variable = reader.string(members["password_env"], "\(path).password_env") {
            guard let password = environment[variable], !password.isEmpty else {
                unset[path] = variable
                return urls.joined(separator: ",")
            }
            urls = urls.map { url in Self.url(url, password: password) ?? url }
        }
        return urls.joined(separator: ",")
    }

    /// `url` with `password` (percent-encoded) in its user info. Spliced into the text rather than
    /// set through `URLComponents`, which cannot parse the several servers of a PostgreSQL URL
    /// (`postgresql://u@a:5432,b:5432/db`). Nil if `url` has no `scheme://`.
    static func url(_ url: String, password: String) -> String? {
        guard let schemeEnd = url.range(of: "://"),
              let encoded = password.addingPercentEncoding(withAllowedCharacters: .urlPasswordAllowed) else { return nil }
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var user: Substring = ""
        var hosts = authority
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            user = userInfo[..<(userInfo.firstIndex(of: ":") ?? userInfo.endIndex)]
            hosts = authority[authority.index(after: at)...]
        }
        var spliced = String(url[..<schemeEnd.upperBound])
        spliced += "\(user):\(encoded)@\(hosts)"
        spliced += rest[authorityEnd...]
        return spliced
    }

    /// The broker URL: `flag`, else `TILEFLEET_AMQP_URL`, else the file's `broker.url`.
    public func resolvedBrokerURL(flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        flag ?? environment["TILEFLEET_AMQP_URL"] ?? brokerURL
    }

    /// The database URL: `flag`, else `TILEFLEET_DATABASE_URL`, else the file's `database.url`.
    public func resolvedDatabaseURL(flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        flag ?? environment["TILEFLEET_DATABASE_URL"] ?? databaseURL
    }

    /// Why the URL of `section` (`broker` or `database`) cannot be used as resolved: its
    /// `password_env` was not set and neither `flag` nor the environment's URL replaces the file's.
    public func passwordProblem(_ section: String, flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        let override = section == "broker" ? "TILEFLEET_AMQP_URL" : "TILEFLEET_DATABASE_URL"
        guard flag == nil, environment[override] == nil, let variable = unsetPasswordVariables[section] else { return nil }
        return "\(file ?? "fleet configuration"): \(section).password_env: the variable \(variable) is not set (or empty); "
            + "export it, or give the whole URL with \(override)"
    }

    /// `max_active` of a backend (nil when it is not configured).
    public func maxActive(backend: String) -> Int? {
        backends.backends.first { $0.name == backend }?.maxActive
    }

    /// The backend called `name`, or an error listing the configured ones.
    public func backend(named name: String) throws(ConfigurationError) -> BackendConfiguration {
        do {
            return try backends.backend(named: name)
        } catch {
            throw ConfigurationError(file: file ?? "", problems: error.problems)
        }
    }
}
