import FleetModel
import Foundation
import Yams

/// One backend of the fleet config's `backends:` section: where it is, how to authenticate, how many
/// jobs it may run at once, how often to poll and how to retry.
///
/// ```yaml
/// backends:
///   - name: cdse
///     kind: openeo                # openeo | ogc | eocanvas | command (see CommandSettings)
///     url: https://openeo.dataspace.copernicus.eu/openeo/1.2
///     max_active: 2
///     poll: { min_interval: 10s, max_interval: 2m }
///     retry: { max_attempts: 5, initial_delay: 1s, max_delay: 30s, max_retry_after: 60s }
///     health: { unhealthy_after: 3, probe_interval: 30s }   # optional (BackendHealthSettings)
///     auth:
///       method: oidc_client_credentials
///       provider: CDSE
///       client_id: tilefleet
///       client_secret_env: CDSE_CLIENT_SECRET
/// ```
///
/// Secrets are only referenced (`*_env: VARIABLE`, `*_file: PATH`); an inline `password`, `token`,
/// `client_secret` or `refresh_token` is an error. Durations follow ``ConfigReader/parseDuration(_:)``.
public struct BackendConfiguration: Sendable, Hashable {
    /// The platform kind, which selects the adapter.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case openEO = "openeo"
        case ogc
        case eocanvas
        /// A program run per tile on the workers' own hosts (``CommandSettings``).
        case command
    }

    /// How to authenticate.
    public enum Authentication: Sendable, Hashable {
        case none
        /// HTTP basic (openEO: exchanged at `GET /credentials/basic`).
        case basic(username: String, password: SecretReference)
        /// A static bearer token.
        case bearer(token: SecretReference)
        /// OIDC client credentials grant; `provider` is the openEO provider id, `issuer` the OIDC
        /// issuer for OGC servers.
        case oidcClientCredentials(clientID: String, clientSecret: SecretReference, provider: String?, issuer: String?, scopes: [String]?)
        /// OIDC refresh-token grant.
        case oidcRefreshToken(clientID: String, clientSecret: SecretReference?, refreshToken: SecretReference, provider: String?, issuer: String?)
        /// OIDC device authorization grant (RFC 8628): `tilefleet login` stores a refresh token in
        /// `refreshTokenFile` (0600, keyed by issuer and client), which every process refreshes from
        /// and writes rotated tokens back to under a lock. `clientID` nil: the provider's default
        /// client from openEO `GET /credentials/oidc`.
        case oidcDevice(clientID: String?, provider: String?, issuer: String?, scopes: [String]?, refreshTokenFile: String)
        /// EOCanvas / WEkEO: user name and password exchanged at the HDA broker (`token_url`).
        case eocanvas(username: String, password: SecretReference, tokenURL: String?)
    }

    /// Bounds of the poll interval: workers start at `minimum` and back off to `maximum`.
    public struct PollInterval: Sendable, Hashable {
        public var minimum: Duration
        public var maximum: Duration

        public init(minimum: Duration = .seconds(10), maximum: Duration = .seconds(120)) {
            self.minimum = minimum
            self.maximum = maximum
        }
    }

    public var name: String
    public var kind: Kind
    /// The API root.
    public var url: String
    public var authentication: Authentication
    /// Jobs the fleet may have submitted or running on this backend at once.
    public var maxActive: Int
    public var poll: PollInterval
    public var retry: RequestRetryPolicy
    /// Limit on one HTTP exchange.
    public var requestTimeout: Duration
    /// The settings of a `command` backend (nil for the others). Its `url` is `file://<work_dir>`.
    public var command: CommandSettings?
    /// When it is taken out of dispatch as unhealthy and how often it is probed then.
    public var health: BackendHealthSettings

    public init(
        name: String,
        kind: Kind,
        url: String,
        authentication: Authentication = .none,
        maxActive: Int = 2,
        poll: PollInterval = PollInterval(),
        retry: RequestRetryPolicy = RequestRetryPolicy(),
        requestTimeout: Duration = .seconds(60),
        command: CommandSettings? = nil,
        health: BackendHealthSettings = BackendHealthSettings()
    ) {
        self.name = name
        self.kind = kind
        self.url = url
        self.authentication = authentication
        self.maxActive = maxActive
        self.poll = poll
        self.retry = retry
        self.requestTimeout = requestTimeout
        self.command = command
        self.health = health
    }
}

/// The `backends:` section of the fleet configuration.
public struct BackendsConfiguration: Sendable, Hashable {
    public var backends: [BackendConfiguration]

    public init(backends: [BackendConfiguration]) {
        self.backends = backends
    }

    /// The backend called `name`, or a ``ConfigurationError`` listing the known names.
    public func backend(named name: String) throws(ConfigurationError) -> BackendConfiguration {
        guard let backend = self.backends.first(where: { $0.name == name }) else {
            throw ConfigurationError(
                path: "backends",
                message: "no backend named '\(name)' (configured: \(self.backends.map(\.name).joined(separator: ", ")))"
            )
        }
        return backend
    }

    /// Parses a document holding a `backends:` list (other top-level keys are ignored), reporting
    /// every problem at once. The fleet configuration reads the same section with
    /// ``read(_:_:reader:)`` on its own node tree, so the file is parsed once.
    public static func parse(yaml: String, file: String = "") throws(ConfigurationError) -> BackendsConfiguration {
        let reader = ConfigReader()
        reader.directory = (file as NSString).deletingLastPathComponent
        guard let root = reader.compose(yaml) else { throw ConfigurationError(file: file, problems: reader.problems) }
        guard let mapping = root.mapping else {
            throw ConfigurationError(file: file, path: "", message: "expected a mapping with a 'backends' list", line: root.mark?.line)
        }
        guard let section = mapping["backends"] else { throw ConfigurationError(file: file, path: "backends", message: "is required") }
        let configuration = read(section, "backends", reader: reader)
        guard reader.problems.isEmpty else { throw ConfigurationError(file: file, problems: reader.problems) }
        return configuration
    }

    /// Reads a `backends:` list; problems go to `reader`.
    package static func read(_ node: Node, _ path: String, reader: ConfigReader) -> BackendsConfiguration {
        var backends: [BackendConfiguration] = []
        var names: [String: Int] = [:]
        for (index, (itemPath, item)) in (reader.sequence(node, path) ?? []).enumerated() {
            var duplicate = false
            if let name = item.mapping?["name"]?.string {
                if let first = names[name] {
                    reader.report(itemPath, "duplicate backend name '\(name)' (first at \(path)[\(first)])", item)
                    duplicate = true
                } else {
                    names[name] = index
                }
            }
            if let backend = Self.backend(item, itemPath, reader: reader), !duplicate {
                backends.append(backend)
            }
        }
        return BackendsConfiguration(backends: backends)
    }

    static let backendKeys: Set<String> = ["name", "kind", "url", "auth", "max_active", "poll", "retry", "request_timeout", "command", "health"]

    static func backend(_ node: Node, _ path: String, reader: ConfigReader) -> BackendConfiguration? {
        guard let members = reader.mapping(node, path, allowed: backendKeys) else { return nil }
        let problemsBefore = reader.problems.count
        let name = reader.string(members["name"], ConfigReader.child(path, "name"), required: true)
        if let name, !name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) {
            reader.report(ConfigReader.child(path, "name"), "names may contain letters, digits, '-', '_' and '.' only (they become queue names)", members["name"])
        }
        var kind: BackendConfiguration.Kind?
        if let text = reader.string(members["kind"], ConfigReader.child(path, "kind"), required: true) {
            kind = BackendConfiguration.Kind(rawValue: text)
            if kind == nil {
                reader.report(ConfigReader.child(path, "kind"), "unknown kind '\(text)' (expected one of: openeo, ogc, eocanvas, command)", members["kind"])
            }
        }
        var command: CommandSettings?
        if kind == .command {
            if members["url"] != nil {
                reader.report(ConfigReader.child(path, "url"), "a command backend has no url (its jobs run on the workers' hosts; see command.work_dir)", members["url"])
            }
            for key in ["auth", "request_timeout"] where members[key] != nil {
                reader.report(ConfigReader.child(path, key), "not used by a command backend", members[key])
            }
            command = CommandSettings.read(members["command"], ConfigReader.child(path, "command"), reader: reader)
        } else if members["command"] != nil {
            reader.report(ConfigReader.child(path, "command"), "only a command backend (kind: command) takes command settings", members["command"])
        }
        let url = kind == .command ? command.map { "file://\($0.workDirectory)" } : reader.string(members["url"], ConfigReader.child(path, "url"), required: true)
        if let url, kind != .command {
            if let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), parsed.host != nil {
                if parsed.user != nil || parsed.password != nil {
                    reader.report(ConfigReader.child(path, "url"), "credentials do not belong in the URL; use auth with *_env or *_file", members["url"])
                }
            } else {
                reader.report(ConfigReader.child(path, "url"), "expected an absolute http or https URL", members["url"])
            }
        }
        var backend = BackendConfiguration(name: name ?? "", kind: kind ?? .openEO, url: url ?? "", command: command)
        if let auth = members["auth"], let kind, kind != .command {
            if let value = authentication(auth, ConfigReader.child(path, "auth"), kind: kind, reader: reader) {
                backend.authentication = value
            }
        }
        if let value = reader.int(members["max_active"], ConfigReader.child(path, "max_active"), minimum: 1) {
            backend.maxActive = value
        }
        let pollPath = ConfigReader.child(path, "poll")
        if let poll = reader.mapping(members["poll"], pollPath, allowed: ["min_interval", "max_interval"]) {
            if let value = reader.duration(poll["min_interval"], ConfigReader.child(pollPath, "min_interval")) { backend.poll.minimum = value }
            if let value = reader.duration(poll["max_interval"], ConfigReader.child(pollPath, "max_interval")) { backend.poll.maximum = value }
            if backend.poll.minimum > backend.poll.maximum {
                reader.report(pollPath, "min_interval must not be above max_interval", members["poll"])
            }
        }
        let retryPath = ConfigReader.child(path, "retry")
        if let retry = reader.mapping(members["retry"], retryPath, allowed: ["max_attempts", "initial_delay", "max_delay", "multiplier", "jitter", "max_retry_after"]) {
            if let value = reader.int(retry["max_attempts"], ConfigReader.child(retryPath, "max_attempts"), minimum: 1) { backend.retry.maxAttempts = value }
            if let value = reader.duration(retry["initial_delay"], ConfigReader.child(retryPath, "initial_delay"), zeroMeans: "retry at once") { backend.retry.initialDelay = value }
            if let value = reader.duration(retry["max_delay"], ConfigReader.child(retryPath, "max_delay"), zeroMeans: "retry at once") { backend.retry.maxDelay = value }
            if let value = reader.double(retry["multiplier"], ConfigReader.child(retryPath, "multiplier"), in: 1...1000) { backend.retry.multiplier = value }
            if let value = reader.double(retry["jitter"], ConfigReader.child(retryPath, "jitter"), in: 0...1) { backend.retry.jitter = value }
            if let value = reader.duration(retry["max_retry_after"], ConfigReader.child(retryPath, "max_retry_after"), zeroMeans: "never wait for Retry-After") {
                backend.retry.maxRetryAfter = value
            }
        }
        if let value = reader.duration(members["request_timeout"], ConfigReader.child(path, "request_timeout")) {
            backend.requestTimeout = value
        }
        let healthPath = ConfigReader.child(path, "health")
        if let health = reader.mapping(members["health"], healthPath, allowed: ["unhealthy_after", "probe_interval"]) {
            if let value = reader.int(health["unhealthy_after"], ConfigReader.child(healthPath, "unhealthy_after"), minimum: 1) {
                backend.health.unhealthyAfter = value
            }
            if let value = reader.duration(health["probe_interval"], ConfigReader.child(healthPath, "probe_interval")) {
                backend.health.probeInterval = value
            }
        }
        return reader.problems.count == problemsBefore ? backend : nil
    }

    /// Keys that would hold a secret inline.
    static let inlineSecretKeys: Set<String> = ["password", "token", "client_secret", "refresh_token", "access_token"]

    static let authKeys: Set<String> = [
        "username", "password_env", "password_file", "token_env", "token_file", "client_id", "client_secret_env",
        "client_secret_file", "refresh_token_env", "refresh_token_file", "provider", "issuer", "scopes", "token_url",
    ]

    static func authentication(_ node: Node, _ path: String, kind: BackendConfiguration.Kind, reader: ConfigReader) -> BackendConfiguration.Authentication? {
        let problemsBefore = reader.problems.count
        for (key, value) in node.mapping ?? [:] {
            if let key = key.string, inlineSecretKeys.contains(key) {
                reader.report(ConfigReader.child(path, key),
                              "secrets are never written in the config: use \(key)_env (an environment variable name) or \(key)_file (a file path)", value)
            }
        }
        guard reader.problems.count == problemsBefore else { return nil }
        guard let methodMembers = reader.mapping(node, path, allowed: authKeys.union(["method"])),
              let method = reader.string(methodMembers["method"], ConfigReader.child(path, "method"), required: true) else { return nil }
        let allowed: Set<String>
        switch method {
        case "none": allowed = []
        case "basic": allowed = ["username", "password_env", "password_file"]
        case "bearer": allowed = ["token_env", "token_file"]
        case "oidc_client_credentials": allowed = ["client_id", "client_secret_env", "client_secret_file", "provider", "issuer", "scopes"]
        case "oidc_refresh_token":
            allowed = ["client_id", "client_secret_env", "client_secret_file", "refresh_token_env", "refresh_token_file", "provider", "issuer"]
        case "oidc_device": allowed = ["client_id", "refresh_token_file", "provider", "issuer", "scopes"]
        case "eocanvas": allowed = ["username", "password_env", "password_file", "token_url"]
        default:
            reader.report(ConfigReader.child(path, "method"),
                          "unknown auth method '\(method)' (expected one of: none, basic, bearer, oidc_client_credentials, oidc_refresh_token, oidc_device, eocanvas)",
                          methodMembers["method"])
            return nil
        }
        // Keys of another method are mistakes too (a `token_env` under `basic` would be ignored).
        var members: [String: Node] = [:]
        for (key, value) in methodMembers where key != "method" {
            if allowed.contains(key) {
                members[key] = value
            } else {
                let expected = allowed.isEmpty ? "none" : allowed.sorted().joined(separator: ", ")
                reader.report(ConfigReader.child(path, key), "not used by auth method '\(method)' (it takes: \(expected))",
                              node.mapping?.first { $0.key.string == key }?.key)
            }
        }
        func string(_ key: String, required: Bool = false) -> String? {
            reader.string(members[key], ConfigReader.child(path, key), required: required)
        }
        func secret(_ name: String, required: Bool = true) -> SecretReference? {
            let env = members["\(name)_env"], file = members["\(name)_file"]
            switch (env, file) {
            case (_?, nil): return string("\(name)_env").map(SecretReference.environment)
            case (nil, _?): return string("\(name)_file").map { SecretReference.file(reader.filePath($0)) }
            case (nil, nil):
                if required { reader.report(ConfigReader.child(path, "\(name)_env"), "is required (or \(name)_file)", node) }
                return nil
            case (_?, _?):
                reader.report(ConfigReader.child(path, "\(name)_file"), "give either \(name)_env or \(name)_file, not both", file)
                return nil
            }
        }
        func issuer() -> String? {
            let value = string("issuer")
            if kind != .openEO, value == nil, members["issuer"] == nil {
                reader.report(ConfigReader.child(path, "issuer"), "is required for a \(kind.rawValue) backend", node)
            }
            return value
        }
        let result: BackendConfiguration.Authentication?
        switch method {
        case "basic":
            let username = string("username", required: true), password = secret("password")
            result = username.flatMap { username in password.map { .basic(username: username, password: $0) } }
        case "bearer":
            result = secret("token").map { .bearer(token: $0) }
        case "oidc_client_credentials":
            let clientID = string("client_id", required: true), clientSecret = secret("client_secret")
            let provider = string("provider"), issuer = issuer()
            let scopes = reader.strings(members["scopes"], ConfigReader.child(path, "scopes"))
            if let clientID, let clientSecret {
                result = .oidcClientCredentials(clientID: clientID, clientSecret: clientSecret, provider: provider, issuer: issuer, scopes: scopes)
            } else {
                result = nil
            }
        case "oidc_refresh_token":
            let clientID = string("client_id", required: true), clientSecret = secret("client_secret", required: false)
            let refreshToken = secret("refresh_token"), provider = string("provider"), issuer = issuer()
            if let clientID, let refreshToken {
                result = .oidcRefreshToken(clientID: clientID, clientSecret: clientSecret, refreshToken: refreshToken, provider: provider, issuer: issuer)
            } else {
                result = nil
            }
        case "oidc_device":
            let file = string("refresh_token_file", required: true), issuer = issuer()
            let scopes = reader.strings(members["scopes"], ConfigReader.child(path, "scopes"))
            result = file.map { .oidcDevice(clientID: string("client_id"), provider: string("provider"), issuer: issuer, scopes: scopes,
                                            refreshTokenFile: reader.filePath($0)) }
        case "eocanvas":
            let username = string("username", required: true), password = secret("password"), tokenURL = string("token_url")
            result = username.flatMap { username in password.map { .eocanvas(username: username, password: $0, tokenURL: tokenURL) } }
        default:
            result = BackendConfiguration.Authentication.none
        }
        return reader.problems.count == problemsBefore ? result : nil
    }
}
