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
        var byID: [UUID: StatusEvent] = [:]
        for event in events where byID.updateValue(event, forKey: event.id) == nil {
            Self.append(event, to: &encoding)
        }
        let buffer = encoding
        let unique = byID
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
                        try Self.reject(session, Rejection(body: unique[id]?.encoded() ?? [], reason: "unknown tile (no such task or tile)", routingKey: nil))
                    }
                    try session.executeScript(Self.applyToTiles)
                    outcome.inserted = try session.query("SELECT count(*) FROM fresh")[0].decode(Int.self, at: 0)
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
        ) ON COMMIT DELETE ROWS;
        CREATE TEMP TABLE IF NOT EXISTS fresh (LIKE incoming) ON COMMIT DELETE ROWS
        """


    /// Moves tiles forward, merges timestamps, job ids, errors, backend jobs and assets from the
    /// batch's new events, and notifies `tilefleet_tiles` for tiles that reached a terminal status.
    ///
    /// Every step is a merge that is commutative and idempotent — the greatest position, the
    /// earliest timestamp of the tile's current attempt, the latest error — so the state after any
    /// set of batches is the same whatever their order; and each step costs in proportion to the
    /// batch, not to the history.
    static let applyToTiles = """
        TRUNCATE fresh;

        WITH ins AS (
            INSERT INTO events (\(incomingColumns))
            SELECT \(incomingColumns) FROM incoming
            ON CONFLICT (event_id) DO NOTHING
            RETURNING \(incomingColumns)
        )
        INSERT INTO fresh SELECT \(incomingColumns) FROM ins;

        ANALYZE fresh;

        WITH positioned AS (
            SELECT f.task_id, f.tile_id,
                   f.attempt + CASE WHEN f.status = 'retrying' THEN 1 ELSE 0 END AS attempt,
                   CASE WHEN f.status = 'retrying' THEN 'queued' ELSE f.status END AS status,
                   f.raw_status, f.progress, f.message, f.occurred_at, f.event_id
            FROM fresh f
        ),
        best AS (
            SELECT DISTINCT ON (task_id, tile_id) *
            FROM positioned
            ORDER BY task_id, tile_id, attempt DESC, tilefleet_status_rank(status) DESC, occurred_at DESC, event_id DESC
        ),
        moved AS (
            UPDATE tiles t
            SET status = b.status, attempt = b.attempt, raw_status = b.raw_status, progress = b.progress,
                message = b.message, status_at = b.occurred_at, last_event_id = b.event_id, updated_at = now(),
                submitted_at = CASE WHEN b.attempt > t.attempt THEN NULL ELSE t.submitted_at END,
                started_at = CASE WHEN b.attempt > t.attempt THEN NULL ELSE t.started_at END,
                finished_at = CASE WHEN b.attempt > t.attempt THEN NULL ELSE t.finished_at END,
                backend_job_id = CASE WHEN b.attempt > t.attempt THEN NULL ELSE t.backend_job_id END
            FROM best b
            WHERE t.task_id = b.task_id AND t.tile_id = b.tile_id
              AND (b.attempt, tilefleet_status_rank(b.status), b.occurred_at, b.event_id::text)
                > (t.attempt, tilefleet_status_rank(t.status), coalesce(t.status_at, '-infinity'),
                   coalesce(t.last_event_id::text, ''))
            RETURNING t.task_id, t.backend, t.status
        )
        SELECT pg_notify('tilefleet_tiles', task_id || ' ' || backend)
        FROM (SELECT DISTINCT task_id, backend FROM moved WHERE status IN ('finished', 'failed', 'canceled')) done;

        WITH batch AS (
            SELECT task_id, tile_id, attempt,
                   min(occurred_at) FILTER (WHERE status = 'submitted') AS submitted_at,
                   min(occurred_at) FILTER (WHERE status = 'running') AS started_at,
                   min(occurred_at) FILTER (WHERE status IN ('finished', 'failed', 'canceled')) AS finished_at,
                   (array_agg(backend_job_id ORDER BY occurred_at DESC, event_id DESC)
                       FILTER (WHERE backend_job_id IS NOT NULL))[1] AS backend_job_id
            FROM fresh
            GROUP BY task_id, tile_id, attempt
        )
        UPDATE tiles t
        SET submitted_at = least(t.submitted_at, b.submitted_at), started_at = least(t.started_at, b.started_at),
            finished_at = least(t.finished_at, b.finished_at),
            backend_job_id = coalesce(b.backend_job_id, t.backend_job_id)
        FROM batch b
        WHERE t.task_id = b.task_id AND t.tile_id = b.tile_id AND t.attempt = b.attempt
          AND (b.submitted_at < coalesce(t.submitted_at, 'infinity') OR b.started_at < coalesce(t.started_at, 'infinity')
               OR b.finished_at < coalesce(t.finished_at, 'infinity')
               OR (b.backend_job_id IS NOT NULL AND b.backend_job_id IS DISTINCT FROM t.backend_job_id));

        WITH errors AS (
            SELECT DISTINCT ON (task_id, tile_id) task_id, tile_id, attempt, occurred_at, coalesce(error, message) AS error
            FROM fresh
            WHERE status IN ('failed', 'retrying') AND coalesce(error, message) IS NOT NULL
            ORDER BY task_id, tile_id, attempt DESC, occurred_at DESC, event_id DESC
        )
        UPDATE tiles t
        SET last_error = e.error, last_error_attempt = e.attempt, last_error_at = e.occurred_at
        FROM errors e
        WHERE t.task_id = e.task_id AND t.tile_id = e.tile_id
          AND (e.attempt, e.occurred_at) > (coalesce(t.last_error_attempt, 0), coalesce(t.last_error_at, '-infinity'));

        WITH normalised AS (
            SELECT f.*, CASE WHEN f.status = 'retrying' THEN 'failed' ELSE f.status END AS job_status FROM fresh f
        ),
        batch AS (
            SELECT task_id, tile_id, attempt,
                   (array_agg(backend ORDER BY occurred_at DESC, event_id DESC) FILTER (WHERE backend IS NOT NULL))[1] AS backend,
                   (array_agg(backend_job_id ORDER BY occurred_at DESC, event_id DESC)
                       FILTER (WHERE backend_job_id IS NOT NULL))[1] AS job_id,
                   (array_agg(job_status ORDER BY tilefleet_status_rank(job_status) DESC, occurred_at DESC, event_id DESC))[1] AS status,
                   (array_agg(raw_status ORDER BY tilefleet_status_rank(job_status) DESC, occurred_at DESC, event_id DESC))[1] AS raw_status,
                   (array_agg(occurred_at ORDER BY tilefleet_status_rank(job_status) DESC, occurred_at DESC, event_id DESC))[1] AS status_at,
                   min(occurred_at) FILTER (WHERE status = 'submitted') AS submitted_at,
                   min(occurred_at) FILTER (WHERE status = 'running') AS started_at,
                   min(occurred_at) FILTER (WHERE job_status IN ('finished', 'failed', 'canceled')) AS finished_at,
                   (array_agg(coalesce(error, message) ORDER BY occurred_at DESC, event_id DESC)
                       FILTER (WHERE job_status = 'failed'))[1] AS error,
                   max(occurred_at) FILTER (WHERE job_status = 'failed') AS error_at
            FROM normalised
            GROUP BY task_id, tile_id, attempt
        )
        INSERT INTO backend_jobs AS j (task_id, tile_id, attempt, backend, job_id, idempotency_key, status, raw_status,
                                       status_at, submitted_at, started_at, finished_at, error, error_at)
        SELECT task_id, tile_id, attempt, backend, job_id, 'tilefleet:' || task_id || ':' || tile_id || ':' || attempt,
               status, raw_status, status_at, submitted_at, started_at, finished_at, error, error_at
        FROM batch
        ON CONFLICT (task_id, tile_id, attempt) DO UPDATE
        SET backend = coalesce(excluded.backend, j.backend),
            job_id = coalesce(excluded.job_id, j.job_id),
            status = CASE WHEN (tilefleet_status_rank(excluded.status), excluded.status_at)
                               > (tilefleet_status_rank(j.status), coalesce(j.status_at, '-infinity'))
                          THEN excluded.status ELSE j.status END,
            raw_status = CASE WHEN (tilefleet_status_rank(excluded.status), excluded.status_at)
                                   > (tilefleet_status_rank(j.status), coalesce(j.status_at, '-infinity'))
                              THEN excluded.raw_status ELSE j.raw_status END,
            status_at = CASE WHEN (tilefleet_status_rank(excluded.status), excluded.status_at)
                                  > (tilefleet_status_rank(j.status), coalesce(j.status_at, '-infinity'))
                             THEN excluded.status_at ELSE j.status_at END,
            submitted_at = least(j.submitted_at, excluded.submitted_at),
            started_at = least(j.started_at, excluded.started_at),
            finished_at = least(j.finished_at, excluded.finished_at),
            error = CASE WHEN excluded.error_at > coalesce(j.error_at, '-infinity') THEN excluded.error ELSE j.error END,
            error_at = greatest(j.error_at, excluded.error_at)
        WHERE (tilefleet_status_rank(excluded.status), excluded.status_at)
                > (tilefleet_status_rank(j.status), coalesce(j.status_at, '-infinity'))
           OR excluded.submitted_at < coalesce(j.submitted_at, 'infinity')
           OR excluded.started_at < coalesce(j.started_at, 'infinity')
           OR excluded.finished_at < coalesce(j.finished_at, 'infinity')
           OR excluded.error_at > coalesce(j.error_at, '-infinity')
           OR (excluded.job_id IS NOT NULL AND excluded.job_id IS DISTINCT FROM j.job_id)
           OR (excluded.backend IS NOT NULL AND excluded.backend IS DISTINCT FROM j.backend);

        INSERT INTO assets (task_id, tile_id, attempt, href, type, roles, title, size)
        SELECT DISTINCT ON (f.task_id, f.tile_id, f.attempt, a ->> 'href')
               f.task_id, f.tile_id, f.attempt, a ->> 'href', a ->> 'type',
               CASE WHEN jsonb_typeof(a -> 'roles') = 'array'
                    THEN ARRAY(SELECT jsonb_array_elements_text(a -> 'roles')) END,
               a ->> 'title', (a ->> 'size')::bigint
        FROM fresh f, jsonb_array_elements(f.detail -> 'assets') a
        WHERE f.status = 'finished' AND jsonb_typeof(f.detail -> 'assets') = 'array' AND a ? 'href'
        ON CONFLICT (task_id, tile_id, attempt, href) DO NOTHING;
        """
}
