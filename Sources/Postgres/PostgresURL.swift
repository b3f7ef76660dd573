/// A validated `postgresql://` connection URL.
///
/// Parsed by tilefleet rather than handed to libpq as is, so that a malformed URL gets an error
/// naming the part that is wrong, and so that no description of it ever shows the password.
/// Like libpq it takes several servers, `postgresql://u:p@a:5432,b:5432/db?target_session_attrs=read-write`:
/// libpq tries them in order on every (re)connect and keeps the first that has the session
/// attributes asked for, so a role follows a primary that moved to the former standby.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    /// One server of the list.
    public struct Endpoint: Sendable, Equatable {
        public var host: String
        public var port: Int

        public init(host: String, port: Int = 5432) {
            self.host = host
            self.port = port
        }
    }

    public var user: String?
    public var password: String?
    /// The servers to try, in order (at least one).
    public var endpoints: [Endpoint]
    public var database: String?
    /// `sslmode` as libpq understands it (`disable`, `allow`, `prefer`, `require`, `verify-ca`, `verify-full`).
    public var sslMode: String?
    /// Other recognised libpq parameters from the query string (`connect_timeout`, `application_name`, …).
    public var parameters: [String: String]

    static let sslModes: Set<String> = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]
    static let sessionAttributes: Set<String> = ["any", "read-write", "read-only", "primary", "standby", "prefer-standby"]
    static let knownParameters: Set<String> = [
        "sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl", "connect_timeout", "application_name",
        "host", "options", "target_session_attrs", "keepalives", "keepalives_idle", "channel_binding",
        "gssencmode",
    ]

    public init(user: String? = nil, password: String? = nil, host: String, port: Int = 5432,
                database: String? = nil, sslMode: String? = nil, parameters: [String: String] = [:]) {
        self.init(user: user, password: password, endpoints: [Endpoint(host: host, port: port)], database: database,
                  sslMode: sslMode, parameters: parameters)
    }

    public init(user: String? = nil, password: String? = nil, endpoints: [Endpoint],
                database: String? = nil, sslMode: String? = nil, parameters: [String: String] = [:]) {
        self.user = user
        self.password = password
        self.endpoints = endpoints
        self.database = database
        self.sslMode = sslMode
        self.parameters = parameters
    }

    /// Parses `postgresql://[user[:password]@]host[:port][,host[:port]…][/database][?key=value&…]`.
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
        var endpoints: [(host: String?, port: Int)] = []
        for piece in rest.split(separator: ",", omittingEmptySubsequences: false) {
            endpoints.append(try URLComponentCoding.splitHostPort(piece, defaultPort: 5432).get())
        }
        if endpoints.count > 1, let empty = endpoints.firstIndex(where: { $0.host == nil }) {
            throw fail("host", "server \(empty + 1) of \(endpoints.count) in the list has no host name")
        }
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
            case "target_session_attrs":
                guard Self.sessionAttributes.contains(value) else {
                    throw fail("query parameter 'target_session_attrs'",
                               "'\(value)' is not one of \(Self.sessionAttributes.sorted().joined(separator: ", "))")
                }
                parameters[key] = value
            default:
                parameters[key] = value
            }
        }
        if let hostOverride {
            // `?host=` names the servers (a Unix socket directory, say); the URL may give one port.
            guard endpoints.count == 1 else {
                throw fail("query parameter 'host'", "cannot be combined with several servers before the path")
            }
            let port = endpoints[0].port
            let names = hostOverride.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard !names.contains(where: \.isEmpty) else {
                throw fail("query parameter 'host'", "'\(hostOverride)' has an empty host name")
            }
            self.endpoints = names.map { Endpoint(host: $0, port: port) }
        } else {
            guard endpoints.allSatisfy({ $0.host != nil }) else {
                throw fail("host", "missing")
            }
            self.endpoints = endpoints.map { Endpoint(host: $0.host!, port: $0.port) }
        }
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
        s += endpoints.map { ($0.host.contains(":") ? "[\($0.host)]" : $0.host) + ":\($0.port)" }.joined(separator: ",")
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

    /// The `application_name` a connection reports unless the URL names one: the program and its
    /// subcommand (`tilefleet recorder`), so `pg_stat_activity` tells the fleet's roles apart.
    static let defaultApplicationName = applicationName(arguments: CommandLine.arguments)

    /// The program's file name and its first argument when that is a subcommand (letters and
    /// `-`, not an option), in ASCII and within PostgreSQL's 63 bytes; `tilefleet` without one.
    static func applicationName(arguments: [String]) -> String {
        func plain(_ text: Substring) -> String {
            String(text.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)) })
        }
        let program = plain(arguments.first?.split(separator: "/").last ?? "")
        guard !program.isEmpty else { return "tilefleet" }
        guard arguments.count > 1, case let command = arguments[1], command.first?.isLetter == true,
              command.allSatisfy({ $0.isASCII && ($0.isLetter || $0 == "-") }) else { return String(program.prefix(63)) }
        return String("\(program) \(command)".prefix(63))
    }

    /// libpq keyword/value pairs for `PQconnectdbParams`.
    var connectionParameters: [(String, String)] {
        var pairs: [(String, String)] = [("host", endpoints.map(\.host).joined(separator: ",")),
                                         ("port", endpoints.map { String($0.port) }.joined(separator: ","))]
        if let user { pairs.append(("user", user)) }
        if let password { pairs.append(("password", password)) }
        if let database { pairs.append(("dbname", database)) }
        if let sslMode { pairs.append(("sslmode", sslMode)) }
        if parameters["application_name"] == nil { pairs.append(("application_name", Self.defaultApplicationName)) }
        // libpq's default (`prefer`) calls into Kerberos on every connect, and Kerberos asserts
        // when a process exits while another thread is connecting; ask for it explicitly instead.
        if parameters["gssencmode"] == nil { pairs.append(("gssencmode", "disable")) }
        for (key, value) in parameters.sorted(by: { $0.key < $1.key }) { pairs.append((key, value)) }
        return pairs
    }
}
