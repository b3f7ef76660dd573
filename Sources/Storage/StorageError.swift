import Postgres

/// A storage operation failed; wraps the database error with what tilefleet was doing.
public struct StorageError: Error, Sendable, CustomStringConvertible {
    public var underlying: PostgresError

    public init(_ underlying: PostgresError) {
        self.underlying = underlying
    }

    /// True when the connection broke and the operation may be retried after a reconnect.
    public var isConnectionProblem: Bool {
        switch underlying.kind {
        case .connectionLost, .connectionFailed, .connectionClosed: true
        default: false
        }
    }

    public var description: String { underlying.description }
}
