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

    /// True when the transaction lost a race with a concurrent one (deadlock or serialization
    /// failure) and was rolled back: running it again is safe and expected to succeed.
    public var isConflict: Bool {
        underlying.sqlState == "40P01" || underlying.sqlState == "40001"
    }

    public var description: String { underlying.description }
}
