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
        /// Events out of their tile's bounds (see ``apply(_:heartbeats:tick:rejections:clockSkew:)``),
        /// with the reason naming the field: recorded in `rejected_events`, to dead-letter.
        public var outOfBounds: [UUID: String] = [:]

        public init(inserted: Int, unknownTile: [UUID], outOfBounds: [UUID: String] = [:]) {
            self.inserted = inserted
            self.unknownTile = unknownTile
            self.outOfBounds = outOfBounds
        }
    }

    /// How many attempts an event may run ahead of the furthest its tile is known to have reached
    /// (its current attempt, or one past a `retrying` event in the same batch): events of a batch
    /// written beside another may run a little ahead, a forged one far.
    public static let attemptLead = 3

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

    /// Applies `events` and `heartbeats`, moves the watermark to `tick` and records `rejections`,
    /// in one transaction. Heartbeats of unknown tiles are dropped: they only ever refresh a tile.
    ///
    /// An event is rejected, its tile untouched, when it names an attempt the tile cannot have
    /// (beyond the task's `max_attempts` and the tile's current attempt, a `retrying` counting as
    /// the next attempt; or more than ``attemptLead`` ahead of the tile) or a time more than
    /// `clockSkew` before its task was created.
    @discardableResult
    public func apply(_ events: some Collection<StatusEvent>, heartbeats: [Heartbeat] = [], tick: Date? = nil,
                      rejections: [Rejection] = [], clockSkew: Duration = .seconds(30)) async throws(StorageError) -> BatchOutcome {
        let (seconds, attoseconds) = clockSkew.components
        let skew = Double(seconds) + Double(attoseconds) / 1e18
        let beats = heartbeats.isEmpty ? nil : Self.heartbeatJSON(heartbeats)
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
                    // A small batch runs the statements prepared (planning them cost more than
                    // running them); a large one plans them afresh on `fresh` analysed, so no plan
                    // made for one size is kept for the other.
                    let small = buffer.rowCount <= Self.preparedBatchLimit
                    let judge = Self.lockAndJudge(skewSeconds: skew)
                    for row in try small ? session.query(prepared: judge) : session.query(judge) {
                        let id = try row.decode(UUID.self, at: 0)
                        if try row.decode(Bool.self, at: 2) {
                            outcome.unknownTile.append(id)
                            try Self.reject(session, Rejection(body: unique[id]?.encoded() ?? [], reason: Self.unknownTileReason, routingKey: nil))
                        } else {
                            let reason = try row.decode(String.self, at: 1)
                            outcome.outOfBounds[id] = reason
                            try Self.reject(session, Rejection(body: unique[id]?.encoded() ?? [], reason: reason, routingKey: unique[id]?.routingKey))
                        }
                    }
                    if small {
                        outcome.inserted = try session.query(prepared: PostgresQuery(Self.mergeSteps[0])).affectedRows
                        for step in Self.mergeSteps.dropFirst() { try session.query(prepared: PostgresQuery(step)) }
                    } else {
                        outcome.inserted = try session.execute(PostgresQuery(Self.mergeSteps[0]))
                        try session.executeScript((["ANALYZE fresh"] + Self.mergeSteps.dropFirst()).joined(separator: ";\n"))
                    }
                }
                if let beats { try session.execute(Self.applyHeartbeats(beats)) }
                if let tick {
                    try session.execute("""
                        INSERT INTO recorder_watermark (id, tick_at) VALUES (1, \(tick))
                        ON CONFLICT (id) DO UPDATE SET tick_at = greatest(recorder_watermark.tick_at, excluded.tick_at)
                        """)
                }
                for rejection in rejections { try Self.reject(session, rejection) }
                return outcome
            }
        } catch {
            throw StorageError(error)
        }
    }

    /// The most events a batch may have to run the merge as prepared statements. Their plans
    /// are made on such a batch only; a larger batch (a backlog) is planned on its own.
    static let preparedBatchLimit = 100

    /// Why an event of no known tile is rejected.
    static let unknownTileReason = "unknown tile (no such task or tile)"

    /// Locks the batch's tiles in key order (so concurrent writers of the same tiles queue instead
    /// of deadlocking) and, in the same pass over `tiles`, deletes from `incoming` the events of
    /// no known tile and those out of their tile's bounds, judged on the locked rows: returns each
    /// deleted id, the reason for an out-of-bounds one, and whether its tile is unknown.
    ///
    /// The lock is an `INSERT … RETURNING` into `locked_tiles` because a data-modifying `WITH`
    /// runs to completion whatever the outer statement reads, so every tile is locked; the rows
    /// it returns are the tiles as locked (a concurrent update already applied).
    static func lockAndJudge(skewSeconds: Double) -> PostgresQuery {
        """
        WITH locked AS (
            INSERT INTO locked_tiles (task_id, tile_id, attempt)
            SELECT task_id, tile_id, attempt FROM tiles
            WHERE (task_id, tile_id) IN (SELECT task_id, tile_id FROM incoming)
            ORDER BY task_id, tile_id
            FOR NO KEY UPDATE
            RETURNING task_id, tile_id, attempt
        ),
        retried AS (
            -- Once per tile, not per event: a per-event subquery over the unindexed batch was
            -- quadratic (112 ms for a batch of 1,000).
            SELECT task_id, tile_id, max(attempt) + 1 AS next_attempt FROM incoming WHERE status = 'retrying' GROUP BY task_id, tile_id
        ),
        bounds AS (
            SELECT i.event_id, i.attempt, i.status = 'retrying' AS retrying, i.occurred_at, k.max_attempts, k.created_at,
                   t.task_id IS NULL AS unknown, t.attempt AS current, greatest(t.attempt, r.next_attempt) AS reached
            FROM incoming i LEFT JOIN locked t USING (task_id, tile_id) LEFT JOIN tasks k ON k.id = t.task_id
            LEFT JOIN retried r USING (task_id, tile_id)
        ),
        judged AS (
            SELECT event_id, unknown, CASE
                WHEN unknown THEN \(unknownTileReason)
                WHEN attempt + retrying::int > greatest(max_attempts, current) THEN
                    format('field ''attempt'' (%s%s) is beyond what the tile can have (max_attempts %s, current attempt %s)',
                           attempt, CASE WHEN retrying THEN ', retrying: starts the next' ELSE '' END, max_attempts, current)
                WHEN attempt > reached + \(unescaped: String(attemptLead)) THEN
                    format('field ''attempt'' (%s) is more than %s ahead of the tile''s attempt %s',
                           attempt, \(unescaped: String(attemptLead)), reached)
                WHEN occurred_at < created_at - \(skewSeconds) * interval '1 second' THEN
                    format('field ''time'' (%s) is before the task was created (%s), beyond the clock skew of %s s',
                           to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                           to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), \(skewSeconds))
                END AS reason
            FROM bounds
        )
        DELETE FROM incoming i USING judged j
        WHERE i.event_id = j.event_id AND j.reason IS NOT NULL
        RETURNING i.event_id, j.reason, j.unknown
        """
    }

    /// The batch's heartbeats as a JSON array for `jsonb_to_recordset`.
    static func heartbeatJSON(_ heartbeats: [Heartbeat]) -> PostgresJSON {
        PostgresJSON(text: String(decoding: (try? MessageCoding.encoder().encode(heartbeats)) ?? Data("[]".utf8), as: UTF8.self))
    }

    /// Each tile's latest heartbeat moves `seen_at` forward; on the tile's current attempt it also
    /// sets the trouble it reports (keeping when the trouble began) or clears it.
    static func applyHeartbeats(_ beats: PostgresJSON) -> PostgresQuery {
        """
        WITH latest AS (
            SELECT DISTINCT ON (task, tile) task, tile, attempt, time, trouble, tries
            FROM jsonb_to_recordset(\(beats)) AS h(task text, tile text, attempt int, time timestamptz, trouble text, tries int)
            ORDER BY task, tile, time DESC
        )
        UPDATE tiles t
        SET seen_at = greatest(t.seen_at, l.time),
            trouble = CASE WHEN l.attempt = t.attempt THEN l.trouble ELSE t.trouble END,
            trouble_tries = CASE WHEN l.attempt = t.attempt THEN l.tries ELSE t.trouble_tries END,
            trouble_since = CASE WHEN l.attempt <> t.attempt THEN t.trouble_since
                                 WHEN l.trouble IS NULL THEN NULL
                                 ELSE coalesce(t.trouble_since, l.time) END
        FROM latest l
        WHERE t.task_id = l.task AND t.tile_id = l.tile AND l.time > coalesce(t.seen_at, '-infinity')
        """
    }

    private static func reject(_ session: PostgresSession, _ rejection: Rejection) throws(PostgresError) {
        try session.execute("""
            INSERT INTO rejected_events (reason, routing_key, body)
            VALUES (\(rejection.reason), \(rejection.routingKey), \(PostgresBytes(rejection.body)))
            """)
    }

    private static func append(_ event: StatusEvent, to buffer: inout PostgresCopyBuffer) {
        let detail: PostgresJSON? = event.assets == nil && event.cancelUnconfirmed == nil && event.costs == nil && event.usage == nil
            && event.released == nil && event.parked == nil
            ? nil : try? PostgresJSON(EventDetail(assets: event.assets, cancelUnconfirmed: event.cancelUnconfirmed,
                                                  costs: event.costs, usage: event.usage, released: event.released,
                                                  parked: event.parked))
        buffer.append([
            event.id, event.task, event.tile, event.attempt, event.status.rawValue, event.rawStatus,
            event.backend, event.backendJobID, event.progress, event.message, event.error, event.worker,
            event.time, detail ?? PostgresJSON(text: "{}"),
        ])
    }

    /// What an event carries beyond the columns, stored as `events.detail`.
    private struct EventDetail: Encodable {
        var assets: [StatusEvent.Asset]?
        var cancelUnconfirmed: Bool?
        var costs: Double?
        var usage: [String: UsageQuantity]?
        var released: Bool?
        var parked: Bool?

        enum CodingKeys: String, CodingKey {
            case assets, costs, usage, released, parked
            case cancelUnconfirmed = "cancel_unconfirmed"
        }
    }

    /// The order in which a backend job's reported statuses win, as a row to compare: the status
    /// rank first; among terminal statuses the latest report (as for the tile), among the others
    /// the earliest (so progress reports leave the row alone); then the raw status and the status
    /// as tie-breaks, so reports with equal times merge the same whatever the order.
    static func jobPosition(_ status: String, _ at: String, _ raw: String) -> String {
        "(tilefleet_status_rank(\(status)), \(signedTime(status, at)), coalesce(\(raw), ''), \(status))"
    }

    /// The same order as an `ORDER BY` list, greatest first.
    static func jobOrder(_ status: String, _ at: String, _ raw: String) -> String {
        "tilefleet_status_rank(\(status)) DESC, \(signedTime(status, at)) DESC, coalesce(\(raw), '') DESC, \(status) DESC"
    }

    private static func signedTime(_ status: String, _ at: String) -> String {
        "CASE WHEN tilefleet_status_rank(\(status)) = 4 THEN 1 ELSE -1 END * date_part('epoch', \(at))"
    }

    /// The terminal statuses as an SQL list, from the model.
    static let terminalStatuses = TileStatus.sqlList(TileStatus.terminal)

    static let incomingColumns =
        "event_id, task_id, tile_id, attempt, status, raw_status, backend, backend_job_id, progress, message, error, worker_id, occurred_at, detail"

    static let createIncoming = """
        CREATE TEMP TABLE IF NOT EXISTS incoming (
            event_id uuid, task_id text, tile_id text, attempt int, status text, raw_status text,
            backend text, backend_job_id text, progress float8, message text, error text, worker_id text,
            occurred_at timestamptz, detail jsonb
        ) ON COMMIT DELETE ROWS;
        CREATE TEMP TABLE IF NOT EXISTS fresh (LIKE incoming) ON COMMIT DELETE ROWS;
        CREATE TEMP TABLE IF NOT EXISTS locked_tiles (task_id text, tile_id text, attempt int) ON COMMIT DELETE ROWS
        """

    /// The tile status an event's `status` column stands for: `retrying` is the next attempt,
    /// `queued` on the same backend — or `pending`, back with the dispatcher, when the event is
    /// `released` (a task over several backends that moves retried tiles on).
    static let retryingStatus = """
        CASE WHEN status <> 'retrying' THEN status
             WHEN coalesce((detail ->> 'released')::boolean, false) THEN 'pending' ELSE 'queued' END
        """

    /// Moves tiles forward, merges timestamps, job ids, errors, backend jobs and assets from the
    /// batch's new events, parks tiles whose start was refused (``StatusEvent/parked``; a tile
    /// that moves on is no longer parked), and notifies `tilefleet_tiles` for tiles that reached a terminal status
    /// or went back to the dispatcher (`pending`).
    ///
    /// Every step is a merge that is commutative and idempotent — the greatest position, the
    /// earliest timestamp of the tile's current attempt, the latest error, the greatest job id —
    /// so the state after any set of batches is the same whatever their order; and each step costs
    /// in proportion to the batch, not to the history. A tile row is written at most once per
    /// batch, and a backend job only when its status, timestamps, error or cost reading change, so
    /// a stream of progress reports costs one tile update each. A job's costs and usage are its
    /// latest reading (by report time, then the greater cost), whatever order the reports arrive in.
    ///
    /// The first step stores the new events and copies them to `fresh`: its row count is the
    /// number of events stored for the first time. `fresh` is analysed after it when the batch
    /// is planned afresh (see ``preparedBatchLimit``).
    static let mergeSteps: [String] = [
        """
            WITH ins AS (
                INSERT INTO events (\(incomingColumns))
                SELECT \(incomingColumns) FROM incoming
                ON CONFLICT (event_id) DO NOTHING
                RETURNING \(incomingColumns)
            )
            INSERT INTO fresh SELECT \(incomingColumns) FROM ins
            """,
        """
            WITH best AS (
                SELECT DISTINCT ON (task_id, tile_id)
                       task_id, tile_id,
                       attempt + (status = 'retrying')::int AS attempt,
                       \(retryingStatus) AS status,
                       raw_status, progress, message, occurred_at, event_id
                FROM fresh f
                -- A canceled tile ignores later attempts: a retry started as it was canceled.
                WHERE NOT EXISTS (SELECT 1 FROM tiles c
                                  WHERE c.task_id = f.task_id AND c.tile_id = f.tile_id
                                    AND c.canceled_attempt < f.attempt + (f.status = 'retrying')::int)
                ORDER BY task_id, tile_id, attempt + (status = 'retrying')::int DESC,
                         tilefleet_status_rank(\(retryingStatus)) DESC,
                         occurred_at DESC, event_id DESC
            ),
            stamps AS (
                SELECT task_id, tile_id, attempt,
                       min(occurred_at) FILTER (WHERE status = 'submitted') AS submitted_at,
                       min(occurred_at) FILTER (WHERE status = 'running') AS started_at,
                       min(occurred_at) FILTER (WHERE status IN (\(terminalStatuses))) AS finished_at,
                       -- A retrying event speaks for the next attempt, which a canceled tile may refuse.
                       max(backend_job_id) FILTER (WHERE status <> 'retrying') AS backend_job_id
                FROM fresh
                GROUP BY task_id, tile_id, attempt
            ),
            merged AS (
                SELECT b.*, s.submitted_at, s.started_at, s.finished_at, s.backend_job_id
                FROM best b LEFT JOIN stamps s USING (task_id, tile_id, attempt)
            ),
            changed AS (
                UPDATE tiles t
                SET (status, attempt, raw_status, progress, message, status_at, last_event_id) = (
                        SELECT m.status, m.attempt, m.raw_status, m.progress, m.message, m.occurred_at, m.event_id
                        WHERE (m.attempt, tilefleet_status_rank(m.status), m.occurred_at, m.event_id::text)
                            > (t.attempt, tilefleet_status_rank(t.status), coalesce(t.status_at, '-infinity'),
                               coalesce(t.last_event_id::text, ''))
                        UNION ALL
                        SELECT t.status, t.attempt, t.raw_status, t.progress, t.message, t.status_at, t.last_event_id
                        LIMIT 1),
                    updated_at = now(),
                    -- A tile that moves on is out of the trouble its heartbeats reported.
                    trouble = CASE WHEN (m.attempt, tilefleet_status_rank(m.status)) > (t.attempt, tilefleet_status_rank(t.status))
                                   THEN NULL ELSE t.trouble END,
                    trouble_since = CASE WHEN (m.attempt, tilefleet_status_rank(m.status)) > (t.attempt, tilefleet_status_rank(t.status))
                                         THEN NULL ELSE t.trouble_since END,
                    trouble_tries = CASE WHEN (m.attempt, tilefleet_status_rank(m.status)) > (t.attempt, tilefleet_status_rank(t.status))
                                         THEN NULL ELSE t.trouble_tries END,
                    parked_at = CASE WHEN (m.attempt, tilefleet_status_rank(m.status)) > (t.attempt, tilefleet_status_rank(t.status))
                                     THEN NULL ELSE t.parked_at END,
                    submitted_at = CASE WHEN m.attempt > t.attempt THEN m.submitted_at
                                        WHEN m.attempt = t.attempt THEN least(t.submitted_at, m.submitted_at)
                                        ELSE t.submitted_at END,
                    started_at = CASE WHEN m.attempt > t.attempt THEN m.started_at
                                      WHEN m.attempt = t.attempt THEN least(t.started_at, m.started_at)
                                      ELSE t.started_at END,
                    finished_at = CASE WHEN m.attempt > t.attempt THEN m.finished_at
                                       WHEN m.attempt = t.attempt THEN least(t.finished_at, m.finished_at)
                                       ELSE t.finished_at END,
                    backend_job_id = CASE WHEN m.attempt > t.attempt THEN m.backend_job_id
                                          WHEN m.attempt = t.attempt THEN greatest(t.backend_job_id, m.backend_job_id)
                                          ELSE t.backend_job_id END
                FROM merged m
                WHERE t.task_id = m.task_id AND t.tile_id = m.tile_id
                  AND ((m.attempt, tilefleet_status_rank(m.status), m.occurred_at, m.event_id::text)
                         > (t.attempt, tilefleet_status_rank(t.status), coalesce(t.status_at, '-infinity'),
                            coalesce(t.last_event_id::text, ''))
                       OR (m.attempt = t.attempt
                           AND (m.submitted_at < coalesce(t.submitted_at, 'infinity')
                                OR m.started_at < coalesce(t.started_at, 'infinity')
                                OR m.finished_at < coalesce(t.finished_at, 'infinity')
                                OR m.backend_job_id > coalesce(t.backend_job_id, ''))))
                RETURNING t.task_id, t.backend, t.status, t.last_event_id = m.event_id AS moved
            )
            SELECT pg_notify('tilefleet_tiles', task_id || ' ' || backend)
            FROM (SELECT DISTINCT task_id, backend FROM changed
                  WHERE moved AND status IN (\(terminalStatuses), 'pending')) done
            """,
        """
            -- A start refused with "try later" parks the tile, on the database's clock (the dispatcher
            -- and the backend monitor compare it with theirs), while it still waits on that attempt.
            UPDATE tiles t SET parked_at = now()
            FROM (SELECT DISTINCT task_id, tile_id, attempt FROM fresh
                  WHERE status = 'queued' AND coalesce((detail ->> 'parked')::boolean, false)) p
            WHERE t.task_id = p.task_id AND t.tile_id = p.tile_id AND t.attempt = p.attempt
              AND t.status = 'queued' AND t.canceled_attempt IS NULL
            """,
        """
            WITH errors AS (
                SELECT DISTINCT ON (task_id, tile_id) task_id, tile_id, attempt, occurred_at, coalesce(error, message) AS error
                FROM fresh f
                WHERE status IN ('failed', 'retrying') AND coalesce(error, message) IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM tiles c
                                  WHERE c.task_id = f.task_id AND c.tile_id = f.tile_id AND c.canceled_attempt < f.attempt)
                ORDER BY task_id, tile_id, attempt DESC, occurred_at DESC, event_id DESC
            )
            UPDATE tiles t
            SET last_error = e.error, last_error_attempt = e.attempt, last_error_at = e.occurred_at
            FROM errors e
            WHERE t.task_id = e.task_id AND t.tile_id = e.tile_id
              AND (e.attempt, e.occurred_at) > (coalesce(t.last_error_attempt, 0), coalesce(t.last_error_at, '-infinity'))
            """,
        """
            WITH normalised AS (
                SELECT task_id, tile_id, attempt, backend, backend_job_id, raw_status, occurred_at, status, event_id,
                       (detail ->> 'costs')::float8 AS costs, detail -> 'usage' AS usage,
                       coalesce(error, message) AS error,
                       CASE WHEN status = 'retrying' THEN 'failed' ELSE status END AS job_status
                FROM fresh
                -- A cancel the platform did not confirm ends the tile, not its job: that may still run.
                WHERE NOT coalesce((detail ->> 'cancel_unconfirmed')::boolean, false)
            ),
            top AS (
                SELECT DISTINCT ON (task_id, tile_id, attempt) task_id, tile_id, attempt, job_status, raw_status, occurred_at
                FROM normalised
                ORDER BY task_id, tile_id, attempt, \(jobOrder("job_status", "occurred_at", "raw_status"))
            ),
            stamps AS (
                SELECT task_id, tile_id, attempt, max(backend) AS backend, max(backend_job_id) AS job_id,
                       min(occurred_at) FILTER (WHERE status = 'submitted') AS submitted_at,
                       min(occurred_at) FILTER (WHERE status = 'running') AS started_at,
                       min(occurred_at) FILTER (WHERE job_status IN (\(terminalStatuses))) AS finished_at
                FROM normalised
                GROUP BY task_id, tile_id, attempt
            ),
            errors AS (
                SELECT DISTINCT ON (task_id, tile_id, attempt) task_id, tile_id, attempt, error, occurred_at AS error_at
                FROM normalised
                WHERE job_status = 'failed'
                ORDER BY task_id, tile_id, attempt, occurred_at DESC, coalesce(error, '') DESC
            ),
            readings AS (
                SELECT DISTINCT ON (task_id, tile_id, attempt) task_id, tile_id, attempt, costs, usage, occurred_at AS usage_at
                FROM normalised
                WHERE costs IS NOT NULL OR usage IS NOT NULL
                ORDER BY task_id, tile_id, attempt, occurred_at DESC, coalesce(costs, -1) DESC, event_id DESC
            )
            INSERT INTO backend_jobs AS j (task_id, tile_id, attempt, backend, job_id, idempotency_key, status, raw_status,
                                           status_at, submitted_at, started_at, finished_at, error, error_at, costs, usage, usage_at)
            SELECT task_id, tile_id, attempt, s.backend, s.job_id, 'tilefleet:' || task_id || ':' || tile_id || ':' || attempt,
                   t.job_status, t.raw_status, t.occurred_at, s.submitted_at, s.started_at, s.finished_at, e.error, e.error_at,
                   r.costs, r.usage, r.usage_at
            FROM top t JOIN stamps s USING (task_id, tile_id, attempt) LEFT JOIN errors e USING (task_id, tile_id, attempt)
                 LEFT JOIN readings r USING (task_id, tile_id, attempt)
            ON CONFLICT (task_id, tile_id, attempt) DO UPDATE
            SET backend = greatest(j.backend, excluded.backend),
                job_id = greatest(j.job_id, excluded.job_id),
                (status, raw_status, status_at) = (
                    SELECT excluded.status, excluded.raw_status, excluded.status_at
                    WHERE \(jobPosition("excluded.status", "excluded.status_at", "excluded.raw_status"))
                        > \(jobPosition("j.status", "j.status_at", "j.raw_status"))
                    UNION ALL
                    SELECT j.status, j.raw_status, j.status_at
                    LIMIT 1),
                submitted_at = least(j.submitted_at, excluded.submitted_at),
                started_at = least(j.started_at, excluded.started_at),
                finished_at = least(j.finished_at, excluded.finished_at),
                (error, error_at) = (
                    SELECT excluded.error, excluded.error_at
                    WHERE (excluded.error_at, coalesce(excluded.error, '')) > (j.error_at, coalesce(j.error, ''))
                       OR (j.error_at IS NULL AND excluded.error_at IS NOT NULL)
                    UNION ALL
                    SELECT j.error, j.error_at
                    LIMIT 1),
                (costs, usage, usage_at) = (
                    SELECT excluded.costs, excluded.usage, excluded.usage_at
                    WHERE (excluded.usage_at, coalesce(excluded.costs, -1)) > (coalesce(j.usage_at, '-infinity'), coalesce(j.costs, -1))
                    UNION ALL
                    SELECT j.costs, j.usage, j.usage_at
                    LIMIT 1)
            WHERE \(jobPosition("excluded.status", "excluded.status_at", "excluded.raw_status"))
                    > \(jobPosition("j.status", "j.status_at", "j.raw_status"))
               OR excluded.submitted_at < coalesce(j.submitted_at, 'infinity')
               OR excluded.started_at < coalesce(j.started_at, 'infinity')
               OR excluded.finished_at < coalesce(j.finished_at, 'infinity')
               OR (excluded.error_at, coalesce(excluded.error, '')) > (j.error_at, coalesce(j.error, ''))
               OR (j.error_at IS NULL AND excluded.error_at IS NOT NULL)
               OR excluded.job_id > coalesce(j.job_id, '')
               OR excluded.backend > coalesce(j.backend, '')
               OR (excluded.usage_at, coalesce(excluded.costs, -1)) > (coalesce(j.usage_at, '-infinity'), coalesce(j.costs, -1))
            """,
        """
            INSERT INTO assets (task_id, tile_id, attempt, href, key, type, roles, title, size)
            SELECT DISTINCT ON (f.task_id, f.tile_id, f.attempt, a ->> 'href')
                   f.task_id, f.tile_id, f.attempt, a ->> 'href', a ->> 'key', a ->> 'type',
                   CASE WHEN jsonb_typeof(a -> 'roles') = 'array'
                        THEN ARRAY(SELECT jsonb_array_elements_text(a -> 'roles')) END,
                   a ->> 'title', (a ->> 'size')::bigint
            FROM fresh f, jsonb_array_elements(f.detail -> 'assets') a
            WHERE f.status = 'finished' AND jsonb_typeof(f.detail -> 'assets') = 'array' AND a ? 'href'
            ON CONFLICT (task_id, tile_id, attempt, href) DO NOTHING
            """,
    ]
}
