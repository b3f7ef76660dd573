import Logging

/// A connection to PostgreSQL over libpq, safe to share between tasks.
///
/// Each connection has its own thread: statements from different tasks run one after another,
/// and a closure given to `withSession` or `transaction` runs with no other caller in between.
/// A connection lost while idle is re-established (with backoff) before the next statement; one
/// lost while a statement or transaction was in flight raises `connectionLost`, because only the
/// caller can decide whether to retry.
public final class PostgresConnection: Sendable {
    public let url: PostgresURL
    private let loop: PostgresConnectionLoop

    private init(url: PostgresURL, loop: PostgresConnectionLoop) {
        self.url = url
        self.loop = loop
    }

    deinit {
        loop.closeSoon()
    }

    /// Connects to the database at `url` (a `postgresql://` URL).
    public static func connect(
        to url: String, logger: Logger = Logger(label: "tilefleet.postgres"),
        reconnectTimeout: Duration = .seconds(30)
    ) async throws(PostgresError) -> PostgresConnection {
        try await connect(to: try PostgresURL(url), logger: logger, reconnectTimeout: reconnectTimeout)
    }

    /// Connects to the database at `url`. `reconnectTimeout` bounds how long a statement waits for
    /// a lost connection to come back before it fails.
    public static func connect(
        to url: PostgresURL, logger: Logger = Logger(label: "tilefleet.postgres"),
        reconnectTimeout: Duration = .seconds(30)
    ) async throws(PostgresError) -> PostgresConnection {
        let loop = try PostgresConnectionLoop(url: url, logger: logger, reconnectTimeout: reconnectTimeout)
        do {
            try await loop.perform { session throws(PostgresError) in try session.connect() }
        } catch {
            await loop.close()
            throw error
        }
        return PostgresConnection(url: url, loop: loop)
    }

    /// Runs `body` on the connection's thread with the session; nothing else runs in between.
    public func withSession<T: Sendable>(
        _ body: @escaping @Sendable (PostgresSession) throws(PostgresError) -> T
    ) async throws(PostgresError) -> T {
        try await loop.perform { session throws(PostgresError) in
            try session.ensureConnected()
            return try body(session)
        }
    }

    /// Runs `body` inside `BEGIN … COMMIT`; any error rolls back and is rethrown. A connection
    /// lost during COMMIT raises `connectionLost`: the outcome is then unknown.
    public func transaction<T: Sendable>(
        _ body: @escaping @Sendable (PostgresSession) throws(PostgresError) -> T
    ) async throws(PostgresError) -> T {
        try await loop.perform { session throws(PostgresError) in
            try session.ensureConnected()
            try session.begin()
            do throws(PostgresError) {
                let value = try body(session)
                try session.commit()
                return value
            } catch {
                session.rollback()
                throw error
            }
        }
    }

    /// Runs one parameterised statement and returns its rows.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws(PostgresError) -> PostgresRows {
        try await withSession { session throws(PostgresError) in try session.query(query) }
    }

    /// Runs one parameterised statement prepared once per connection (see
    /// ``PostgresSession/query(prepared:)``): for statements run often with one good plan.
    @discardableResult
    public func query(prepared query: PostgresQuery) async throws(PostgresError) -> PostgresRows {
        try await withSession { session throws(PostgresError) in try session.query(prepared: query) }
    }

    /// Runs one parameterised statement and returns the number of rows it affected.
    @discardableResult
    public func execute(_ query: PostgresQuery) async throws(PostgresError) -> Int {
        try await withSession { session throws(PostgresError) in try session.execute(query) }
    }

    /// Runs SQL text without parameters, possibly several statements.
    public func executeScript(_ sql: String) async throws(PostgresError) {
        try await withSession { session throws(PostgresError) in try session.executeScript(sql) }
    }

    /// Loads rows with `COPY … FROM STDIN`; returns the number of rows copied.
    @discardableResult
    public func copyIn(_ sql: String, _ buffer: PostgresCopyBuffer) async throws(PostgresError) -> Int {
        try await withSession { session throws(PostgresError) in try session.copyIn(sql, buffer) }
    }

    /// Sends a notification on `channel`.
    public func notify(channel: String, payload: String = "") async throws(PostgresError) {
        try await execute("SELECT pg_notify(\(channel), \(payload))")
    }

    /// Listens on `channel`. The stream yields each notification until it is cancelled or the
    /// connection closes; after a reconnect the connection listens again by itself
    /// (notifications sent while it was away are lost: pair it with a timer).
    public func listen(_ channel: String) async throws(PostgresError) -> AsyncStream<PostgresNotification> {
        let (stream, continuation) = AsyncStream.makeStream(of: PostgresNotification.self, bufferingPolicy: .bufferingNewest(10_000))
        let id = try await withSession { session throws(PostgresError) in
            try session.addListener(channel: channel, continuation: continuation)
        }
        let loop = self.loop
        continuation.onTermination = { _ in
            loop.submit { session in session.removeListener(channel: channel, id: id) }
        }
        return stream
    }

    /// Closes the connection after the statements already queued.
    public func close() async {
        await loop.close()
    }
}
