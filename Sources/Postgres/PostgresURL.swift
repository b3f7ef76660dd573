/// A validated `postgresql://` connection URL.
///
/// Parsed by tilefleet rather than handed to libpq as is, so that a malformed URL gets an error
/// naming the part that is wrong, and so that no description of it ever shows the password.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    public var user: String?
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String?
    /// `sslmode` as libpq understands it (`disable`, `allow`, `prefer`, `require`, `verify-ca`, `verify-full`).
    public var sslMode: String?
    /// Other recognised libpq parameters from the query string (`connect_timeout`, `application_name`, …).
    public var parameters: [String: String]

    static let sslModes: Set<String> = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]
    static let knownParameters: Set<String> = [
        "sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl", "connect_timeout", "application_name",
        "host", "options", "target_session_attrs", "keepalives", "keepalives_idle", "channel_binding",
        "gssencmode",
    ]

    public init(user: String? = nil, password: String? = nil, host: String, port: Int = 5432,
                database: String? = nil, sslMode: String? = nil, parameters: [String: String] = [:]) {
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.database = database
        self.sslMode = sslMode
        self.parameters = parameters
    }

    /// Parses `postgresql://[user[:password]@]host[:port][/database][?key=value&…]`.
    public init(_ string: String) throws(PostgresError) {
        func fail(_ part: String, _ reason: String) -> PostgresError {
            .invalidURL(part: part, reason: reason)
        }
        guard let schemeEnd = string.range(of: "://") else {
            throw fail("scheme", "expected 'postgresql://…'")
        }
        let scheme = String(string[..<schemeEnd.lowerBound]).lowercased()
        guard scheme == "postgresql" || scheme == "postgres" else {
            throw fail("scheme", "'\(scheme)' is not postgresql or postgres")
        }
        var rest = Substring(string[schemeEnd.upperBound...])
        var query: Substring = ""
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        var path: Substring?
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                guard let user = URLComponentCoding.percentDecode(userInfo[..<colon]) else {
                    throw fail("user", "invalid percent-encoding")
                }
                guard let password = URLComponentCoding.percentDecode(userInfo[userInfo.index(after: colon)...]) else {
                    throw fail("password", "invalid percent-encoding")
                }
                self.user = user.isEmpty ? nil : user
                self.password = password
            } else {
                guard let user = URLComponentCoding.percentDecode(userInfo) else {
                    throw fail("user", "invalid percent-encoding")
                }
                self.user = user.isEmpty ? nil : user
                self.password = nil
            }
        } else {
            self.user = nil
            self.password = nil
        }
        let (host, port) = try URLComponentCoding.splitHostPort(rest, defaultPort: 5432)
            .get()
        self.port = port
        if let path, !path.isEmpty {
            guard let db = URLComponentCoding.percentDecode(path), !db.contains("/") else {
                throw fail("database", "'\(path)' is not a database name")
            }
            self.database = db
        } else {
            self.database = nil
        }
        var parameters: [String: String] = [:]
        var sslMode: String?
        var hostOverride: String?
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(kv[0])
            guard kv.count == 2, let value = URLComponentCoding.percentDecode(kv[1]) else {
                throw fail("query parameter '\(key)'", "expected key=value")
            }
            guard Self.knownParameters.contains(key) else {
                throw fail("query parameter '\(key)'", "unknown parameter")
            }
            switch key {
            case "sslmode":
                guard Self.sslModes.contains(value) else {
                    throw fail("query parameter 'sslmode'",
                               "'\(value)' is not one of \(Self.sslModes.sorted().joined(separator: ", "))")
                }
                sslMode = value
            case "connect_timeout":
                guard let seconds = Int(value), seconds >= 0 else {
                    throw fail("query parameter 'connect_timeout'", "'\(value)' is not a number of seconds")
                }
                parameters[key] = value
            case "host":
                hostOverride = value
            default:
                parameters[key] = value
            }
        }
        guard let host = hostOverride ?? host else {
            throw fail("host", "missing")
        }
        self.host = host
        self.sslMode = sslMode
        self.parameters = parameters
    }

    /// The URL with the password replaced by `***`.
    public var description: String {
        var s = "postgresql://"
        if let user {
            s += URLComponentCoding.percentEncode(user)
            if password != nil { s += ":***" }
            s += "@"
        }
        s += host.contains(":") ? "[\(host)]" : host
        s += ":\(port)"
        if let database { s += "/" + URLComponentCoding.percentEncode(database) }
        var query = parameters
        if let sslMode { query["sslmode"] = sslMode }
        if !query.isEmpty {
            s += "?" + query.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
        }
        return s
    }

    /// The URL including the password, for handing to a child process; never log it.
    public var unredactedString: String {
        guard let password else { return description }
        return description.replacingOccurrences(of: ":***@", with: ":" + URLComponentCoding.percentEncode(password) + "@")
    }

    /// libpq keyword/value pairs for `PQconnectdbParams`.
    var connectionParameters: [(String, String)] {
        var pairs: [(String, String)] = [("host", host), ("port", String(port))]
        if let user { pairs.append(("user", user)) }
        if let password { pairs.append(("password", password)) }
        if let database { pairs.append(("dbname", database)) }
        if let sslMode { pairs.append(("sslmode", sslMode)) }
        if parameters["application_name"] == nil { pairs.append(("application_name", "tilefleet")) }
        // libpq's default (`prefer`) calls into Kerberos on every connect, and Kerberos asserts
        // when a process exits while another thread is connecting; ask for it explicitly instead.
        if parameters["gssencmode"] == nil { pairs.append(("gssencmode", "disable")) }
        for (key, value) in parameters.sorted(by: { $0.key < $1.key }) { pairs.append((key, value)) }
        return pairs
    }
}
