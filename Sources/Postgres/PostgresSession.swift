@preconcurrency import CPostgres
import Foundation
import Glibc
import Logging
import Metrics
import Timing

/// One libpq connection, used only on its connection's own thread.
///
/// A session is handed to the closures given to `PostgresConnection.withSession` and
/// `transaction`, which run synchronously on that thread: statements inside one closure run back
/// to back with no other caller in between, and without a thread hop per statement.
public final class PostgresSession {
    let url: PostgresURL
    let logger: Logger
    let reconnectTimeout: Duration
    private var conn: OpaquePointer?
    private(set) var transactionDepth = 0
    /// Statements prepared on the current connection by ``query(prepared:)``, by their SQL; a new
    /// connection starts with none.
    private var preparedNames: [String: String] = [:]
    /// The most statements ``query(prepared:)`` keeps prepared on one connection.
    static let preparedLimit = 64
    /// Statements prepared on the current connection so far: each gets a name never used before
    /// on it, so one the server still holds is never prepared over.
    private var preparedCount = 0
    private var listeners: [String: [UInt64: AsyncStream<PostgresNotification>.Continuation]] = [:]
    private var nextListenerID: UInt64 = 0
    private var lastListenerReconnectAttempt: ContinuousClock.Instant?
    private var listenerReconnectFailures = 0
    private var listenerReconnectDelay: Duration { Self.reconnectBackoff.delay(attempt: listenerReconnectFailures + 1) }
    /// Waits between reconnection attempts: 100 ms doubling to 2 s.
    static let reconnectBackoff = Backoff(initial: .milliseconds(100), maximum: .seconds(2))
    /// `tilefleet_database_reconnects_total` of whatever metrics backend the process bootstrapped.
    private let reconnects = Counter(label: "tilefleet_database_reconnects_total")

    init(url: PostgresURL, logger: Logger, reconnectTimeout: Duration) {
        self.url = url
        self.logger = logger
        self.reconnectTimeout = reconnectTimeout
    }

    deinit {
        if let conn { PQfinish(conn) }
    }

    // MARK: Connection

    /// True while libpq reports the connection as usable.
    var isHealthy: Bool {
        guard let conn else { return false }
        return PQstatus(conn) == CONNECTION_OK
    }

    /// The socket to watch for notifications while idle.
    var socket: Int32? {
        guard let conn, isHealthy else { return nil }
        let fd = PQsocket(conn)
        return fd >= 0 ? fd : nil
    }

    func connect() throws(PostgresError) {
        if let conn { PQfinish(conn) }
        conn = nil
        preparedNames = [:]
        preparedCount = 0
        var pairs = url.connectionParameters
        let sessionOptions = "-c TimeZone=UTC -c DateStyle=ISO -c extra_float_digits=3"
        if let i = pairs.firstIndex(where: { $0.0 == "options" }) {
            pairs[i].1 += " " + sessionOptions
        } else {
            pairs.append(("options", sessionOptions))
        }
        let keys = pairs.map { strdup($0.0) }
        let values = pairs.map { strdup($0.1) }
        defer {
            keys.forEach { free($0) }
            values.forEach { free($0) }
        }
        var keyPointers: [UnsafePointer<CChar>?] = keys.map { UnsafePointer($0) } + [nil]
        var valuePointers: [UnsafePointer<CChar>?] = values.map { UnsafePointer($0) } + [nil]
        let newConn = keyPointers.withUnsafeMutableBufferPointer { k in
            valuePointers.withUnsafeMutableBufferPointer { v in
                PQconnectdbParams(k.baseAddress, v.baseAddress, 0)
            }
        }
        guard let newConn else {
            throw PostgresError(kind: .connectionFailed, message: "cannot connect to \(url): out of memory")
        }
        guard PQstatus(newConn) == CONNECTION_OK else {
            let message = Self.trimmed(PQerrorMessage(newConn))
            PQfinish(newConn)
            throw PostgresError(kind: .connectionFailed, message: "cannot connect to \(url): \(message)")
        }
        conn = newConn
        // Server notices (and libpq's own) go to the logger, not to stderr.
        PQsetNoticeProcessor(newConn, { context, message in
            guard let context, let message else { return }
            let session = Unmanaged<PostgresSession>.fromOpaque(context).takeUnretainedValue()
            session.logger.debug("\(PostgresSession.trimmed(message))")
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Reconnects if the connection broke while idle. Inside a transaction a broken connection is
    /// an error: the transaction is gone and the caller must know.
    func ensureConnected() throws(PostgresError) {
        if transactionDepth == 0 { noticeIdleClose() }
        if isHealthy { return }
        if transactionDepth > 0 {
            throw PostgresError(kind: .connectionLost, message: "connection to \(url) lost inside a transaction")
        }
        let clock = ContinuousClock()
        let deadline = clock.now + reconnectTimeout
        var attempt = 0
        while true {
            attempt += 1
            let delay = Self.reconnectBackoff.delay(attempt: attempt)
            do {
                try connect()
                reconnects.increment()
                logger.info("reconnected to PostgreSQL", metadata: ["url": "\(url)", "attempt": "\(attempt)"])
                try relisten()
                return
            } catch {
                guard clock.now + delay < deadline else {
                    logger.error("giving up reconnecting to PostgreSQL", metadata: ["error": "\(error)"])
                    throw error
                }
                logger.warning("PostgreSQL unavailable, retrying",
                               metadata: ["error": "\(error)", "retry_in": "\(delay)"])
                Thread.sleep(forTimeInterval: delay.inSeconds)
            }
        }
    }

    func close() {
        if let conn { PQfinish(conn) }
        conn = nil
        for (_, byID) in listeners { for (_, c) in byID { c.finish() } }
        listeners = [:]
    }

    // MARK: Statements

    /// Runs one parameterised statement.
    @discardableResult
    public func query(_ query: PostgresQuery) throws(PostgresError) -> PostgresRows {
        let conn = try liveConnection()
        let result = Self.withParameters(query.binds) { types, values in
            PQexecParams(conn, query.sql, Int32(query.binds.count), types, values, nil, nil, 0)
        }
        return try consume(result, expecting: [PGRES_COMMAND_OK, PGRES_TUPLES_OK])
    }

    /// Runs a statement and returns the number of rows it affected.
    @discardableResult
    public func execute(_ query: PostgresQuery) throws(PostgresError) -> Int {
        try self.query(query).affectedRows
    }

    /// Runs SQL text with no parameters, possibly several statements (for migrations).
    public func executeScript(_ sql: String) throws(PostgresError) {
        let conn = try liveConnection()
        _ = try consume(PQexec(conn, sql), expecting: [PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY])
    }

    /// Prepares a named statement on this connection (it is gone after a reconnect: prepare again
    /// when `execute(prepared:)` reports SQLSTATE 26000).
    public func prepare(name: String, sql: String, types: [PostgresDataType] = []) throws(PostgresError) {
        let conn = try liveConnection()
        let oids = types.map(\.rawValue)
        let result = oids.withUnsafeBufferPointer { buf in
            PQprepare(conn, name, sql, Int32(oids.count), oids.isEmpty ? nil : buf.baseAddress)
        }
        _ = try consume(result, expecting: [PGRES_COMMAND_OK])
    }

    /// Executes a statement prepared with `prepare(name:sql:types:)`.
    @discardableResult
    public func execute(prepared name: String, _ binds: [PostgresBind]) throws(PostgresError) -> PostgresRows {
        let conn = try liveConnection()
        let result = Self.withParameters(binds) { _, values in
            PQexecPrepared(conn, name, Int32(binds.count), values, nil, nil, 0)
        }
        return try consume(result, expecting: [PGRES_COMMAND_OK, PGRES_TUPLES_OK])
    }

    /// Runs `query` as a statement prepared on this connection the first time its SQL runs here:
    /// the server parses and plans it once per connection instead of on every call.
    ///
    /// For statements run often whose best plan does not depend on their parameters: after five
    /// executions the server may keep one generic plan, chosen without their values. A statement
    /// the server has to plan again (after DDL on its tables) it plans again by itself. Prepared
    /// statements outlive a rolled-back transaction.
    ///
    /// Beyond ``preparedLimit`` distinct statements on a connection (SQL that varies by more
    /// than its parameters), further ones run unprepared: the server keeps every prepared plan
    /// until the connection ends.
    ///
    /// A statement the server no longer has (SQLSTATE 26000: a pooler's `DISCARD ALL`) or can no
    /// longer run as prepared (0A000: a migration changed its result's type) is forgotten and
    /// prepared again under a new name: at once outside a transaction, by the caller's retry
    /// inside one (the error has aborted it).
    @discardableResult
    public func query(prepared query: PostgresQuery) throws(PostgresError) -> PostgresRows {
        do throws(PostgresError) {
            return try runPrepared(query)
        } catch where error.sqlState == "26000" || error.sqlState == "0A000" {
            preparedNames[query.sql] = nil
            guard transactionDepth == 0 else { throw error }
            return try runPrepared(query)
        }
    }

    private func runPrepared(_ query: PostgresQuery) throws(PostgresError) -> PostgresRows {
        let name: String
        if let known = preparedNames[query.sql] {
            name = known
        } else {
            guard preparedNames.count < Self.preparedLimit else { return try self.query(query) }
            preparedCount += 1
            name = "tilefleet_\(preparedCount)"
            try prepare(name: name, sql: query.sql, types: query.binds.map(\.type))
            preparedNames[query.sql] = name
        }
        return try execute(prepared: name, query.binds)
    }

    /// Streams rows with `COPY … FROM STDIN` (text format) and returns the number of rows copied.
    @discardableResult
    public func copyIn(_ sql: String, _ buffer: PostgresCopyBuffer) throws(PostgresError) -> Int {
        let conn = try liveConnection()
        _ = try consume(PQexec(conn, sql), expecting: [PGRES_COPY_IN])
        return try endCopy(conn, failure: putCopyData(buffer.allChunks, conn))
    }

    /// Streams rows with `COPY … FROM STDIN` (text format) while they are encoded, and returns
    /// the number of rows copied. `fill` appends some rows to the buffer and returns false when
    /// there are no more; after each call the chunks it filled are sent, so the memory held is
    /// about a chunk (`chunkSize` bytes) however many rows there are. Inside a
    /// ``PostgresConnection/transaction(_:)``, a failure stores none of them.
    @discardableResult
    public func copyIn(_ sql: String, chunkSize: Int = 64 * 1024, fill: (inout PostgresCopyBuffer) -> Bool) throws(PostgresError) -> Int {
        let conn = try liveConnection()
        _ = try consume(PQexec(conn, sql), expecting: [PGRES_COPY_IN])
        var buffer = PostgresCopyBuffer(chunkSize: chunkSize)
        var failure: String?
        var more = true
        while more, failure == nil {
            more = fill(&buffer)
            failure = putCopyData(buffer.takeChunks(all: !more), conn)
        }
        return try endCopy(conn, failure: failure)
    }

    /// Sends `chunks` of a COPY under way; returns libpq's message if one could not be sent.
    private func putCopyData(_ chunks: [[UInt8]], _ conn: OpaquePointer) -> String? {
        for chunk in chunks {
            let ok = chunk.withUnsafeBytes { raw in
                PQputCopyData(conn, raw.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(raw.count))
            }
            if ok != 1 { return Self.trimmed(PQerrorMessage(conn)) }
        }
        return nil
    }

    /// Ends a COPY (aborting it with `failure`, if any) and returns the rows the server took.
    private func endCopy(_ conn: OpaquePointer, failure: String?) throws(PostgresError) -> Int {
        var failure = failure
        if PQputCopyEnd(conn, failure) != 1 && failure == nil {
            failure = Self.trimmed(PQerrorMessage(conn))
        }
        var rows: PostgresRows?
        var firstError: PostgresError?
        while let result = PQgetResult(conn) {
            do {
                let r = try consume(result, expecting: [PGRES_COMMAND_OK])
                if rows == nil { rows = r }
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        if let firstError { throw firstError }
        if let failure, rows == nil {
            throw connectionError(or: PostgresError(kind: .client, message: "COPY failed: \(failure)"))
        }
        return rows?.affectedRows ?? 0
    }

    // MARK: Notifications

    func addListener(channel: String, continuation: AsyncStream<PostgresNotification>.Continuation) throws(PostgresError) -> UInt64 {
        if listeners[channel] == nil {
            try executeScript("LISTEN \(try quoteIdentifier(channel))")
            listeners[channel] = [:]
        }
        nextListenerID += 1
        listeners[channel]![nextListenerID] = continuation
        return nextListenerID
    }

    func removeListener(channel: String, id: UInt64) {
        listeners[channel]?[id] = nil
        if listeners[channel]?.isEmpty == true {
            listeners[channel] = nil
            if isHealthy, let quoted = try? quoteIdentifier(channel) {
                try? executeScript("UNLISTEN \(quoted)")
            }
        }
    }

    var hasListeners: Bool { !listeners.isEmpty }

    /// Reads what arrived while idle: notifications, or the news that the server went away.
    func consumeIdleInput() {
        guard let conn else { return }
        if PQconsumeInput(conn) == 0 || PQstatus(conn) != CONNECTION_OK {
            logger.warning("PostgreSQL connection lost while idle",
                           metadata: ["error": "\(Self.trimmed(PQerrorMessage(conn)))"])
            return
        }
        deliverNotifications()
    }

    /// A server that went away while we were idle has left the socket readable (EOF or a FATAL
    /// message): read it now, so the statement about to run goes to a fresh connection instead.
    private func noticeIdleClose() {
        guard let socket else { return }
        var fd = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        if poll(&fd, 1, 0) > 0 { consumeIdleInput() }
    }

    /// While listeners wait and the connection is broken, retries with backoff without a caller.
    /// Returns the time to wait before the next attempt, or nil when nothing needs doing.
    func reconnectListenersIfNeeded() -> Duration? {
        guard hasListeners, !isHealthy, transactionDepth == 0 else {
            listenerReconnectFailures = 0
            return nil
        }
        let now = ContinuousClock.now
        if let last = lastListenerReconnectAttempt, now - last < listenerReconnectDelay {
            return listenerReconnectDelay - (now - last)
        }
        lastListenerReconnectAttempt = now
        do {
            try connect()
            reconnects.increment()
            try relisten()
            logger.info("reconnected to PostgreSQL for LISTEN", metadata: ["url": "\(url)"])
            listenerReconnectFailures = 0
            return nil
        } catch {
            listenerReconnectFailures += 1
            return listenerReconnectDelay
        }
    }

    private func relisten() throws(PostgresError) {
        for channel in listeners.keys.sorted() {
            try executeScript("LISTEN \(try quoteIdentifier(channel))")
        }
    }

    /// Hands queued notifications (read during statements or idle) to the listeners.
    func deliverNotifications() {
        guard let conn else { return }
        while let notify = PQnotifies(conn) {
            let n = PostgresNotification(
                channel: String(cString: notify.pointee.relname),
                payload: String(cString: notify.pointee.extra),
                senderPID: notify.pointee.be_pid
            )
            PQfreemem(notify)
            for (_, c) in listeners[n.channel] ?? [:] { c.yield(n) }
        }
    }

    // MARK: Transactions

    func begin() throws(PostgresError) {
        try executeScript("BEGIN")
        transactionDepth = 1
    }

    func commit() throws(PostgresError) {
        defer { transactionDepth = 0 }
        try executeScript("COMMIT")
    }

    func rollback() {
        defer { transactionDepth = 0 }
        if isHealthy { try? executeScript("ROLLBACK") }
    }

    // MARK: Helpers

    /// Quotes an identifier (table, channel) for the rare SQL that cannot take a parameter.
    public func quoteIdentifier(_ identifier: String) throws(PostgresError) -> String {
        let conn = try liveConnection()
        guard let quoted = PQescapeIdentifier(conn, identifier, identifier.utf8.count) else {
            throw PostgresError(kind: .client, message: Self.trimmed(PQerrorMessage(conn)))
        }
        defer { PQfreemem(quoted) }
        return String(cString: quoted)
    }

    private func liveConnection() throws(PostgresError) -> OpaquePointer {
        guard let conn else {
            throw PostgresError(kind: .connectionClosed, message: "connection to \(url) is closed")
        }
        guard PQstatus(conn) == CONNECTION_OK else {
            throw PostgresError(kind: .connectionLost, message: "connection to \(url) lost")
        }
        return conn
    }

    /// Turns a result into rows, or into an error with its SQLSTATE; always frees the result.
    private func consume(_ result: OpaquePointer?, expecting: [ExecStatusType]) throws(PostgresError) -> PostgresRows {
        guard let result else {
            throw connectionError(or: PostgresError(kind: .client, message: Self.trimmed(PQerrorMessage(conn))))
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard expecting.contains(status) else {
            func field(_ code: Character) -> String? {
                guard let p = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
                return String(cString: p)
            }
            let message = field("M") ?? Self.trimmed(PQresultErrorMessage(result))
            let error = PostgresError(kind: .server, sqlState: field("C"), message: message,
                                      detail: field("D"), hint: field("H"))
            throw error.sqlState == nil ? connectionError(or: error) : error
        }
        guard status == PGRES_TUPLES_OK else {
            let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
            return PostgresRows(columns: [], values: [], affectedRows: affected)
        }
        let columnCount = Int(PQnfields(result))
        let rowCount = Int(PQntuples(result))
        var columns: [PostgresColumn] = []
        columns.reserveCapacity(columnCount)
        for c in 0..<columnCount {
            columns.append(PostgresColumn(name: String(cString: PQfname(result, Int32(c))),
                                          type: PostgresDataType(rawValue: PQftype(result, Int32(c)))))
        }
        var values: [String?] = []
        values.reserveCapacity(rowCount * columnCount)
        for r in 0..<Int32(rowCount) {
            for c in 0..<Int32(columnCount) {
                values.append(PQgetisnull(result, r, c) == 1 ? nil : String(cString: PQgetvalue(result, r, c)))
            }
        }
        let affected = Int(String(cString: PQcmdTuples(result))) ?? rowCount
        return PostgresRows(columns: columns, values: values, affectedRows: affected)
    }

    /// A failure with the connection gone becomes `connectionLost`: the statement's fate is unknown.
    private func connectionError(or error: PostgresError) -> PostgresError {
        guard let conn, PQstatus(conn) == CONNECTION_OK else {
            return PostgresError(kind: .connectionLost, message: "connection to \(url) lost: \(error.message)")
        }
        return error
    }

    /// Lays all parameter texts out in one buffer that stays alive for the libpq call.
    private static func withParameters<R>(
        _ binds: [PostgresBind],
        _ body: (UnsafePointer<UInt32>?, UnsafePointer<UnsafePointer<CChar>?>?) -> R
    ) -> R {
        if binds.isEmpty { return body(nil, nil) }
        var storage: [CChar] = []
        var offsets: [Int?] = []
        offsets.reserveCapacity(binds.count)
        for bind in binds {
            guard var text = bind.text else { offsets.append(nil); continue }
            offsets.append(storage.count)
            text.withUTF8 { utf8 in
                for byte in utf8 { storage.append(CChar(bitPattern: byte)) }
            }
            storage.append(0)
        }
        let types = binds.map(\.type.rawValue)
        return storage.withUnsafeBufferPointer { base in
            let pointers: [UnsafePointer<CChar>?] = offsets.map { $0.map { base.baseAddress! + $0 } }
            return types.withUnsafeBufferPointer { t in
                pointers.withUnsafeBufferPointer { p in body(t.baseAddress, p.baseAddress) }
            }
        }
    }

    static func trimmed(_ message: UnsafePointer<CChar>?) -> String {
        guard let message else { return "unknown error" }
        return String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
