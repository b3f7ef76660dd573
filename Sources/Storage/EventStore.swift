import FleetModel
import Foundation
import Postgres

/// Writes batches of status events to PostgreSQL in one transaction each.
///
/// Events are appended by id (a repeated event is a no-op) and each affected tile is brought to
/// the greatest position among its current state and all its events — ordered by attempt, status
/// rank, event time and event id — so the final state is the same whatever the order or number of
/// deliveries. Timestamps, job ids and the last error are derived from the events themselves, so
/// they do not depend on order either.
public struct EventStore: Sendable {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// What one batch did.
    public struct BatchOutcome: Sendable, Equatable {
        /// Events stored for the first time.
        public var inserted: Int
        /// Events that referred to no known tile: recorded in `rejected_events`, to dead-letter.
        public var unknownTile: [UUID]
    }

    /// A message that could not be used, kept with the reason.
    public struct Rejection: Sendable {
        public var body: [UInt8]
        public var reason: String
        public var routingKey: String?

        public init(body: [UInt8], reason: String, routingKey: String?) {
            self.body = body
            self.reason = reason
            self.routingKey = routingKey
        }
    }

    /// Applies `events` and records `rejections` in one transaction.
    @discardableResult
    public func apply(_ events: some Collection<StatusEvent>, rejections: [Rejection] = []) async throws(StorageError) -> BatchOutcome {
        var encoding = PostgresCopyBuffer()
        for event in events { Self.append(event, to: &encoding) }
        let buffer = encoding
        let bodies = Dictionary(events.map { ($0.id, $0.encoded()) }, uniquingKeysWith: { a, _ in a })
        do {
            return try await connection.transaction { session throws(PostgresError) in
                try session.executeScript(Self.createIncoming)
                var outcome = BatchOutcome(inserted: 0, unknownTile: [])
                if buffer.rowCount > 0 {
                    try session.copyIn("COPY incoming (\(Self.incomingColumns)) FROM STDIN", buffer)
                    let unknown = try session.query(
                        "DELETE FROM incoming i WHERE NOT EXISTS (SELECT 1 FROM tiles t WHERE t.task_id = i.task_id AND t.tile_id = i.tile_id) RETURNING event_id")
                    for row in unknown {
                        let id = try row.decode(UUID.self, at: 0)
                        outcome.unknownTile.append(id)
                        try Self.reject(session, Rejection(body: bodies[id] ?? [], reason: "unknown tile (no such task or tile)", routingKey: nil))
                    }
                    outcome.inserted = try session.execute(Self.insertEvents)
                    try session.executeScript(Self.applyToTiles)
                }
                for rejection in rejections { try Self.reject(session, rejection) }
                return outcome
            }
        } catch {
            throw StorageError(error)
        }
    }

    private static func reject(_ session: PostgresSession, _ rejection: Rejection) throws(PostgresError) {
        try session.execute("""
            INSERT INTO rejected_events (reason, routing_key, body)
            VALUES (\(rejection.reason), \(rejection.routingKey), \(PostgresBytes(rejection.body)))
            """)
    }

    private static func append(_ event: StatusEvent, to buffer: inout PostgresCopyBuffer) {
        let detail: PostgresJSON? = event.assets.flatMap { try? PostgresJSON(["assets": $0]) }
        buffer.append([
            event.id, event.task, event.tile, event.attempt, event.status.rawValue, event.rawStatus,
            event.backend, event.backendJobID, event.progress, event.message, event.error, event.worker,
            event.time, detail ?? PostgresJSON(text: "{}"),
        ])
    }

    static let incomingColumns =
        "event_id, task_id, tile_id, attempt, status, raw_status, backend, backend_job_id, progress, message, error, worker_id, occurred_at, detail"

    static let createIncoming = """
        CREATE TEMP TABLE IF NOT EXISTS incoming (
            event_id uuid, task_id text, tile_id text, attempt int, status text, raw_status text,
            backend text, backend_job_id text, progress float8, message text, error text, worker_id text,
            occurred_at timestamptz, detail jsonb
        ) ON COMMIT DELETE ROWS
        """

    static let insertEvents: PostgresQuery = """
        INSERT INTO events (\(unescaped: incomingColumns))
        SELECT DISTINCT ON (event_id) \(unescaped: incomingColumns) FROM incoming ORDER BY event_id
        ON CONFLICT (event_id) DO NOTHING
        """

    /// Moves tiles forward, derives timestamps and job records, stores assets, and notifies
    /// `tilefleet_tiles` for tiles that reached a terminal status.
    static let applyToTiles = """
        WITH affected AS (SELECT DISTINCT task_id, tile_id FROM incoming),
        ranked AS (
            SELECT e.task_id, e.tile_id,
                   e.attempt + CASE WHEN e.status = 'retrying' THEN 1 ELSE 0 END AS attempt,
                   CASE WHEN e.status = 'retrying' THEN 'queued' ELSE e.status END AS status,
                   e.raw_status, e.progress, e.message, e.occurred_at, e.event_id
            FROM events e JOIN affected a ON a.task_id = e.task_id AND a.tile_id = e.tile_id
        ),
        best AS (
            SELECT DISTINCT ON (task_id, tile_id) *
            FROM ranked
            ORDER BY task_id, tile_id, attempt DESC, tilefleet_status_rank(status) DESC, occurred_at DESC, event_id DESC
        ),
        moved AS (
            UPDATE tiles t
            SET status = b.status, attempt = b.attempt, raw_status = b.raw_status, progress = b.progress,
                message = b.message, status_at = b.occurred_at, last_event_id = b.event_id, updated_at = now()
            FROM best b
            WHERE t.task_id = b.task_id AND t.tile_id = b.tile_id
              AND (b.attempt, tilefleet_status_rank(b.status), b.occurred_at, b.event_id::text)
                > (t.attempt, tilefleet_status_rank(t.status), coalesce(t.status_at, '-infinity'),
                   coalesce(t.last_event_id::text, ''))
            RETURNING t.task_id, t.backend, t.status
        )
        SELECT pg_notify('tilefleet_tiles', task_id || ' ' || backend)
        FROM (SELECT DISTINCT task_id, backend FROM moved WHERE status IN ('finished', 'failed', 'canceled')) done;

        WITH affected AS (SELECT DISTINCT task_id, tile_id FROM incoming),
        derived AS (
            SELECT t.task_id, t.tile_id,
                   min(e.occurred_at) FILTER (WHERE e.attempt = t.attempt AND e.status = 'submitted') AS submitted_at,
                   min(e.occurred_at) FILTER (WHERE e.attempt = t.attempt AND e.status = 'running') AS started_at,
                   min(e.occurred_at) FILTER (WHERE e.attempt = t.attempt
                                              AND e.status IN ('finished', 'failed', 'canceled')) AS finished_at,
                   (array_agg(e.backend_job_id ORDER BY e.occurred_at DESC, e.event_id DESC)
                       FILTER (WHERE e.attempt = t.attempt AND e.backend_job_id IS NOT NULL))[1] AS backend_job_id,
                   (array_agg(coalesce(e.error, e.message) ORDER BY e.attempt DESC, e.occurred_at DESC, e.event_id DESC)
                       FILTER (WHERE e.status IN ('failed', 'retrying'))) [1] AS last_error
            FROM tiles t
            JOIN affected a ON a.task_id = t.task_id AND a.tile_id = t.tile_id
            JOIN events e ON e.task_id = t.task_id AND e.tile_id = t.tile_id
            GROUP BY t.task_id, t.tile_id
        )
        UPDATE tiles t
        SET submitted_at = d.submitted_at, started_at = d.started_at, finished_at = d.finished_at,
            backend_job_id = d.backend_job_id, last_error = coalesce(d.last_error, t.last_error)
        FROM derived d
        WHERE t.task_id = d.task_id AND t.tile_id = d.tile_id;

        WITH affected AS (SELECT DISTINCT task_id, tile_id, attempt FROM incoming),
        normalised AS (
            SELECT e.*, CASE WHEN e.status = 'retrying' THEN 'failed' ELSE e.status END AS job_status
            FROM events e
            JOIN affected a ON a.task_id = e.task_id AND a.tile_id = e.tile_id AND a.attempt = e.attempt
        )
        INSERT INTO backend_jobs AS j (task_id, tile_id, attempt, backend, job_id, idempotency_key, status, raw_status,
                                       submitted_at, started_at, finished_at, error)
        SELECT task_id, tile_id, attempt,
               (array_agg(backend ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE backend IS NOT NULL))[1],
               (array_agg(backend_job_id ORDER BY occurred_at DESC, event_id DESC)
                   FILTER (WHERE backend_job_id IS NOT NULL))[1],
               'tilefleet:' || task_id || ':' || tile_id || ':' || attempt,
               (array_agg(job_status ORDER BY tilefleet_status_rank(job_status) DESC, occurred_at DESC, event_id DESC))[1],
               (array_agg(raw_status ORDER BY tilefleet_status_rank(job_status) DESC, occurred_at DESC, event_id DESC)
                   FILTER (WHERE raw_status IS NOT NULL))[1],
               min(occurred_at) FILTER (WHERE status = 'submitted'),
               min(occurred_at) FILTER (WHERE status = 'running'),
               min(occurred_at) FILTER (WHERE job_status IN ('finished', 'failed', 'canceled')),
               (array_agg(coalesce(error, message) ORDER BY occurred_at DESC, event_id DESC)
                   FILTER (WHERE job_status = 'failed'))[1]
        FROM normalised
        GROUP BY task_id, tile_id, attempt
        ON CONFLICT (task_id, tile_id, attempt) DO UPDATE
        SET backend = excluded.backend, job_id = excluded.job_id, status = excluded.status,
            raw_status = excluded.raw_status, submitted_at = excluded.submitted_at,
            started_at = excluded.started_at, finished_at = excluded.finished_at, error = excluded.error;

        INSERT INTO assets (task_id, tile_id, attempt, href, type, roles, title, size)
        SELECT DISTINCT ON (i.task_id, i.tile_id, i.attempt, a ->> 'href')
               i.task_id, i.tile_id, i.attempt, a ->> 'href', a ->> 'type',
               CASE WHEN jsonb_typeof(a -> 'roles') = 'array'
                    THEN ARRAY(SELECT jsonb_array_elements_text(a -> 'roles')) END,
               a ->> 'title', (a ->> 'size')::bigint
        FROM incoming i, jsonb_array_elements(i.detail -> 'assets') a
        WHERE i.status = 'finished' AND jsonb_typeof(i.detail -> 'assets') = 'array' AND a ? 'href'
        ON CONFLICT (task_id, tile_id, attempt, href) DO NOTHING;
        """
}
