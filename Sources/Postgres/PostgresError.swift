/// An error from the Postgres wrapper: a bad URL, a failed or lost connection, or an error
/// reported by the server with its SQLSTATE.
public struct PostgresError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The URL is malformed; `part` names which part (scheme, host, port, …).
        case invalidURL(part: String, reason: String)
        /// The connection could not be established.
        case connectionFailed
        /// The connection broke while a statement was in flight or inside a transaction: whether
        /// the statement took effect is unknown.
        case connectionLost
        /// The connection was closed by the caller.
        case connectionClosed
        /// The server reported an error.
        case server
        /// A value could not be decoded to the requested type.
        case decoding
        /// Something libpq reported that fits none of the above.
        case client
    }

    public var kind: Kind
    /// Five-character SQLSTATE for server errors (e.g. `23505` unique violation).
    public var sqlState: String?
    public var message: String
    public var detail: String?
    public var hint: String?

    public init(kind: Kind, sqlState: String? = nil, message: String, detail: String? = nil, hint: String? = nil) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
    }

    public static func invalidURL(part: String, reason: String) -> PostgresError {
        PostgresError(kind: .invalidURL(part: part, reason: reason),
                      message: "invalid database URL: \(part): \(reason)")
    }

    public var description: String {
        var s = message
        if let sqlState { s = "\(s) (SQLSTATE \(sqlState))" }
        if let detail { s += "; detail: \(detail)" }
        if let hint { s += "; hint: \(hint)" }
        return s
    }
}
