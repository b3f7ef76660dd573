import Foundation
import Yams

/// One backend of the fleet config's `backends:` section: where it is, how to authenticate, how many
/// jobs it may run at once, how often to poll and how to retry.
///
/// ```yaml
/// backends:
///   - name: cdse
///     kind: openeo                # openeo | ogc | eocanvas
///     url: https://openeo.dataspace.copernicus.eu/openeo/1.2
///     max_active: 2
///     poll: { min_interval: 10s, max_interval: 2m }
///     retry: { max_attempts: 5, initial_delay: 1s, max_delay: 30s, max_retry_after: 60s }
///     auth:
///       method: oidc_client_credentials
///       provider: CDSE
///       client_id: tilefleet
///       client_secret_env: CDSE_CLIENT_SECRET
/// ```
///
/// Secrets are only referenced (`*_env: VARIABLE`, `*_file: PATH`); an inline `password`, `token`,
/// `client_secret` or `refresh_token` is an error.
public struct BackendConfiguration: Sendable, Hashable {
    /// The platform kind, which selects the adapter.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case openEO = "openeo"
        case ogc
        case eocanvas
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
    public var retry: RetryPolicy
    /// Limit on one HTTP exchange.
    public var requestTimeout: Duration

    public init(
        name: String,
        kind: Kind,
        url: String,
        authentication: Authentication = .none,
        maxActive: Int = 2,
        poll: PollInterval = PollInterval(),
        retry: RetryPolicy = RetryPolicy(),
        requestTimeout: Duration = .seconds(60)
    ) {
        self.name = name
        self.kind = kind
        self.url = url
        self.authentication = authentication
        self.maxActive = maxActive
        self.poll = poll
        self.retry = retry
        self.requestTimeout = requestTimeout
    }
}

/// The `backends:` section of a fleet config file. Other top-level sections (broker, database, task
/// defaults) belong to the coordinator and are not read here.
public struct BackendsConfiguration: Sendable, Hashable {
    public var backends: [BackendConfiguration]

    public init(backends: [BackendConfiguration]) {
        self.backends = backends
    }

    /// The backend called `name`, or a ``ConfigurationError`` listing the known names.
    public func backend(named name: String) throws -> BackendConfiguration {
        guard let backend = self.backends.first(where: { $0.name == name }) else {
            throw ConfigurationError(
                path: "backends",
                message: "no backend named '\(name)' (configured: \(self.backends.map(\.name).joined(separator: ", ")))"
            )
        }
        return backend
    }

    /// Reads the `backends:` section of the file at `path`.
    public static func load(path: String) throws -> BackendsConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(path: "", message: "cannot read the config file \(path)")
        }
        return try self.parse(yaml: String(decoding: data, as: UTF8.self))
    }

    /// Parses and validates the `backends:` section of a fleet config document.
    public static func parse(yaml: String) throws -> BackendsConfiguration {
        let root: Yams.Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigurationError(path: "", message: "not valid YAML: \(error)")
        }
        guard let root, let mapping = root.mapping else {
            throw ConfigurationError(path: "", message: "the fleet config must be a mapping with a 'backends' list")
        }
        guard let section = mapping["backends"] else {
            throw ConfigurationError(path: "backends", message: "is required")
        }
        let list = try ConfigNode(node: section, path: "backends").sequence()
        var backends: [BackendConfiguration] = []
        var names: Set<String> = []
        for node in list {
            let backend = try Self.backend(from: node)
            guard names.insert(backend.name).inserted else {
                throw node.error("duplicate backend name '\(backend.name)'")
            }
            backends.append(backend)
        }
        return BackendsConfiguration(backends: backends)
    }

    static let backendKeys: Set<String> = ["name", "kind", "url", "auth", "max_active", "poll", "retry", "request_timeout"]

    static func backend(from node: ConfigNode) throws -> BackendConfiguration {
        let members = try node.mapping(allowed: self.backendKeys)
        let nameNode = try members.required("name", in: node)
        let name = try nameNode.string()
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else {
            throw nameNode.error("names may contain letters, digits, '-', '_' and '.' only (they become queue names)")
        }
        let kindNode = try members.required("kind", in: node)
        let kindText = try kindNode.string()
        guard let kind = BackendConfiguration.Kind(rawValue: kindText) else {
            throw kindNode.error("unknown kind '\(kindText)' (expected one of: openeo, ogc, eocanvas)")
        }
        let urlNode = try members.required("url", in: node)
        let url = try urlNode.string()
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), parsed.host != nil else {
            throw urlNode.error("expected an absolute http or https URL")
        }
        guard parsed.user == nil, parsed.password == nil else {
            throw urlNode.error("credentials do not belong in the URL; use auth with *_env or *_file")
        }
        var backend = BackendConfiguration(name: name, kind: kind, url: url)
        if let auth = members["auth"] {
            backend.authentication = try self.authentication(from: auth, kind: kind)
        }
        if let maxActive = members["max_active"] {
            backend.maxActive = try maxActive.int(minimum: 1)
        }
        if let poll = members["poll"] {
            let values = try poll.mapping(allowed: ["min_interval", "max_interval"])
            if let minimum = values["min_interval"] { backend.poll.minimum = try minimum.duration() }
            if let maximum = values["max_interval"] { backend.poll.maximum = try maximum.duration() }
            guard backend.poll.minimum <= backend.poll.maximum, backend.poll.minimum > .zero else {
                throw poll.error("min_interval must be positive and not above max_interval")
            }
        }
        if let retry = members["retry"] {
            let values = try retry.mapping(allowed: ["max_attempts", "initial_delay", "max_delay", "multiplier", "jitter", "max_retry_after"])
            if let value = values["max_attempts"] { backend.retry.maxAttempts = try value.int(minimum: 1) }
            if let value = values["initial_delay"] { backend.retry.initialDelay = try value.duration() }
            if let value = values["max_delay"] { backend.retry.maxDelay = try value.duration() }
            if let value = values["multiplier"] {
                backend.retry.multiplier = try value.double()
                guard backend.retry.multiplier >= 1 else { throw value.error("must be at least 1") }
            }
            if let value = values["jitter"] {
                backend.retry.jitter = try value.double()
                guard (0...1).contains(backend.retry.jitter) else { throw value.error("must be between 0 and 1") }
            }
            if let value = values["max_retry_after"] { backend.retry.maxRetryAfter = try value.duration() }
        }
        if let timeout = members["request_timeout"] {
            backend.requestTimeout = try timeout.duration()
        }
        return backend
    }

    /// Keys that would hold a secret inline.
    static let inlineSecretKeys: Set<String> = ["password", "token", "client_secret", "refresh_token", "access_token"]

    static func authentication(from node: ConfigNode, kind: BackendConfiguration.Kind) throws -> BackendConfiguration.Authentication {
        if let mapping = node.node.mapping {
            for (key, _) in mapping {
                if let key = key.string, self.inlineSecretKeys.contains(key) {
                    throw ConfigurationError(
                        path: "\(node.path).\(key)",
                        message: "secrets are never written in the config: use \(key)_env (an environment variable name) or \(key)_file (a file path)",
                        line: node.line
                    )
                }
            }
        }
        let methodNode = try node.mapping(allowed: self.authKeys.union(["method"])).required("method", in: node)
        let method = try methodNode.string()
        let allowed: Set<String>
        switch method {
        case "none": allowed = []
        case "basic": allowed = ["username", "password_env", "password_file"]
        case "bearer": allowed = ["token_env", "token_file"]
        case "oidc_client_credentials": allowed = ["client_id", "client_secret_env", "client_secret_file", "provider", "issuer", "scopes"]
        case "oidc_refresh_token":
            allowed = ["client_id", "client_secret_env", "client_secret_file", "refresh_token_env", "refresh_token_file", "provider", "issuer"]
        case "eocanvas": allowed = ["username", "password_env", "password_file", "token_url"]
        default:
            throw methodNode.error("unknown auth method '\(method)' (expected one of: none, basic, bearer, oidc_client_credentials, oidc_refresh_token, eocanvas)")
        }
        let members = try node.mapping(allowed: allowed.union(["method"]))
        func secret(_ name: String, required: Bool = true) throws -> SecretReference? {
            let env = members["\(name)_env"]
            let file = members["\(name)_file"]
            switch (env, file) {
            case (let env?, nil): return .environment(try env.string())
            case (nil, let file?): return .file(try file.string())
            case (nil, nil):
                guard required else { return nil }
                throw ConfigurationError(path: "\(node.path).\(name)_env", message: "is required (or \(name)_file)", line: node.line)
            case (_?, _?):
                throw ConfigurationError(path: "\(node.path).\(name)_file", message: "give either \(name)_env or \(name)_file, not both", line: node.line)
            }
        }
        switch method {
        case "basic":
            return .basic(username: try members.required("username", in: node).string(), password: try secret("password")!)
        case "bearer":
            return .bearer(token: try secret("token")!)
        case "oidc_client_credentials":
            let issuer = try members["issuer"]?.string()
            if kind != .openEO, issuer == nil {
                throw ConfigurationError(path: "\(node.path).issuer", message: "is required for a \(kind.rawValue) backend", line: node.line)
            }
            return .oidcClientCredentials(
                clientID: try members.required("client_id", in: node).string(),
                clientSecret: try secret("client_secret")!,
                provider: try members["provider"]?.string(),
                issuer: issuer,
                scopes: try members["scopes"]?.strings()
            )
        case "oidc_refresh_token":
            let issuer = try members["issuer"]?.string()
            if kind != .openEO, issuer == nil {
                throw ConfigurationError(path: "\(node.path).issuer", message: "is required for a \(kind.rawValue) backend", line: node.line)
            }
            return .oidcRefreshToken(
                clientID: try members.required("client_id", in: node).string(),
                clientSecret: try secret("client_secret", required: false),
                refreshToken: try secret("refresh_token")!,
                provider: try members["provider"]?.string(),
                issuer: issuer
            )
        case "eocanvas":
            return .eocanvas(
                username: try members.required("username", in: node).string(),
                password: try secret("password")!,
                tokenURL: try members["token_url"]?.string()
            )
        default:
            return .none
        }
    }

    static let authKeys: Set<String> = [
        "username", "password_env", "password_file", "token_env", "token_file", "client_id", "client_secret_env",
        "client_secret_file", "refresh_token_env", "refresh_token_file", "provider", "issuer", "scopes", "token_url",
    ]
}
