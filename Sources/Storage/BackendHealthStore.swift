import FleetModel
import Foundation
import Postgres

/// The SQL of backends' health and effective limits (`backend_health`, `backend_health_events`):
/// what the fleet saw of each backend's submits — read from the tiles in flight there (bounded
/// by `max_active`) and its recent backend jobs — and the state the coordinators keep of it.
public struct BackendHealthStore: Sendable {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// What the fleet saw of one backend's submits.
    public struct Observation: Sendable, Hashable {
        /// Failed submit tries since the backend last accepted one: the tries of the tiles stuck
        /// at their submit (their heartbeats' trouble, "try later" aside) and the attempts whose
        /// submit it refused.
        public var failuresInARow: Int
        /// One of those failures was a refusal of the credentials.
        public var authenticationLost: Bool
        /// The latest failure's text.
        public var reason: String?
        /// Submits it accepted after `since`.
        public var accepted: Int
        /// Tiles whose start it put off with "try later" after `since`: those parked since then
        /// (its concurrency limit) and those whose workers retry a submit it throttled (their
        /// heartbeats' trouble says "try later").
        public var refused: Int
        /// Jobs it holds or is taking now: the tiles in flight there, less the parked ones and those
        /// waiting on a "try later" (the recorder may not have heard yet of a job just accepted,
        /// so counting only `submitted` and `running` tiles would come out low).
        public var holding: Int
        /// The database's clock when this was read: the next observation's `since`.
        public var at: Date
    }

    /// Reads what the fleet saw of `backend`'s submits; `accepted` and `refused` count from
    /// `since`; failures count after the last accepted submit and after `healthySince` (when the
    /// backend last became healthy), so tries before a successful probe are not held against it.
    public func observe(backend: String, since: Date, healthySince: Date? = nil) async throws -> Observation {
        // Prepared: read every judgement (250 ms) per backend, planned in 1.5 ms, run in 0.3.
        let rows = try await connection.query(prepared: """
            WITH last_ok AS (
                SELECT greatest(coalesce(max(submitted_at), '-infinity'), coalesce(\(healthySince)::timestamptz, '-infinity')) AS at
                FROM backend_jobs WHERE backend = \(backend)
            ),
            stuck AS (
                SELECT t.trouble AS reason, t.seen_at AS at,
                       CASE WHEN t.trouble_since > last_ok.at THEN coalesce(t.trouble_tries, 1) ELSE 1 END AS tries
                FROM tiles t, last_ok
                WHERE t.backend = \(backend) AND t.status = 'queued' AND t.backend_job_id IS NULL
                  AND t.trouble IS NOT NULL AND t.trouble NOT LIKE '%failed: try later%'
                  AND t.seen_at > last_ok.at
                UNION ALL
                SELECT j.error, j.error_at, 1
                FROM backend_jobs j, last_ok
                WHERE j.backend = \(backend) AND j.job_id IS NULL AND j.error LIKE 'submit failed:%'
                  AND j.error_at > last_ok.at AND j.finished_at > now() - interval '1 day'
            )
            SELECT (SELECT coalesce(sum(tries), 0)::int8 FROM stuck),
                   (SELECT coalesce(bool_or(reason LIKE '%authentication failed%'), false) FROM stuck),
                   (SELECT reason FROM stuck ORDER BY at DESC NULLS LAST LIMIT 1),
                   (SELECT count(*) FROM backend_jobs WHERE backend = \(backend) AND submitted_at > \(since)),
                   (SELECT count(*) FROM tiles
                    WHERE backend = \(backend) AND status = 'queued'
                      AND (parked_at > \(since) OR (trouble LIKE '%failed: try later%' AND seen_at > \(since)))),
                   (SELECT count(*) FILTER (WHERE parked_at IS NULL AND NOT (status = 'queued' AND coalesce(trouble LIKE '%failed: try later%', false)))
                    FROM tiles WHERE backend = \(backend) AND status IN (\(unescaped: TileStatus.sqlList(TileStatus.inFlight)))),
                   now()
            """)
        let row = rows[0]
        return Observation(failuresInARow: try row.decode(Int.self, at: 0), authenticationLost: try row.decode(Bool.self, at: 1),
                           reason: try row.decode(String?.self, at: 2), accepted: try row.decode(Int.self, at: 3),
                           refused: try row.decode(Int.self, at: 4), holding: try row.decode(Int.self, at: 5),
                           at: try row.decode(Date.self, at: 6))
    }

    /// A backend's stored health.
    public struct Record: Sendable, Hashable {
        public var backend: String
        public var healthy: Bool
        public var reason: String?
        public var since: Date
        public var effectiveLimit: Int?
    }

    /// Every backend's stored health, by name.
    public func records() async throws -> [String: Record] {
        var records: [String: Record] = [:]
        for row in try await connection.query("SELECT backend, healthy, reason, since, effective_limit FROM backend_health") {
            let record = Record(backend: try row.decode(String.self, at: 0), healthy: try row.decode(Bool.self, at: 1),
                                reason: try row.decode(String?.self, at: 2), since: try row.decode(Date.self, at: 3),
                                effectiveLimit: try row.decode(Int?.self, at: 4))
            records[record.backend] = record
        }
        return records
    }

    /// Stores a change of health and records it as an event — once, whichever coordinator saw it
    /// first (a backend already in that state is left alone). Returns whether it changed.
    @discardableResult
    public func setHealth(backend: String, healthy: Bool, reason: String?) async throws -> Bool {
        let changed = try await connection.query("""
            WITH changed AS (
                INSERT INTO backend_health AS h (backend, healthy, reason, since)
                VALUES (\(backend), \(healthy), \(reason), now())
                ON CONFLICT (backend) DO UPDATE SET healthy = excluded.healthy, reason = excluded.reason, since = now(), updated_at = now()
                WHERE h.healthy <> excluded.healthy
                RETURNING backend
            )
            INSERT INTO backend_health_events (backend, healthy, reason)
            SELECT backend, \(healthy), \(reason) FROM changed
            RETURNING id
            """)
        return changed.count > 0
    }

    /// Records a probe of an unhealthy backend (and why it failed, if it did).
    public func recordProbe(backend: String, failure: String?) async throws {
        try await connection.execute("""
            UPDATE backend_health SET probed_at = now(), reason = coalesce(\(failure.map { "probe failed: \($0)" }), reason), updated_at = now()
            WHERE backend = \(backend) AND NOT healthy
            """)
    }

    /// Stores the backend's effective concurrency limit (nil: its `max_active`).
    public func setEffectiveLimit(backend: String, limit: Int?) async throws {
        try await connection.execute("""
            INSERT INTO backend_health AS h (backend, effective_limit) VALUES (\(backend), \(limit))
            ON CONFLICT (backend) DO UPDATE SET effective_limit = excluded.effective_limit, updated_at = now()
            WHERE h.effective_limit IS DISTINCT FROM excluded.effective_limit
            """)
    }

    /// A backend's changes of health, oldest first.
    public func events(backend: String) async throws -> [(healthy: Bool, reason: String?, at: Date)] {
        try await connection.query("""
            SELECT healthy, reason, occurred_at FROM backend_health_events WHERE backend = \(backend) ORDER BY id
            """).map { (try $0.decode(Bool.self, at: 0), try $0.decode(String?.self, at: 1), try $0.decode(Date.self, at: 2)) }
    }

    /// Sends back to the dispatcher the tiles of tasks over several backends that wait on
    /// `backend` without a running job there (queued, their submit not accepted, or parked with a
    /// job the platform has not started): each starts its next
    /// attempt as `pending`, so another backend takes it and a submit of the old attempt that
    /// lands after all is a stray job, canceled. Returns how many moved.
    public func releaseWaitingTiles(backend: String) async throws -> Int {
        try await connection.transaction { session throws(PostgresError) in
            try session.execute("""
                SELECT 1 FROM tiles t JOIN tasks k ON k.id = t.task_id
                WHERE t.backend = \(backend) AND t.status = 'queued' AND (t.backend_job_id IS NULL OR t.parked_at IS NOT NULL)
                  AND cardinality(k.backends) > 1
                  AND t.canceled_attempt IS NULL AND t.attempt < k.max_attempts
                ORDER BY t.task_id, t.tile_id
                FOR NO KEY UPDATE OF t
                """)
            return try session.execute("""
                UPDATE tiles t SET status = 'pending', attempt = t.attempt + 1, status_at = now(), updated_at = now(),
                                   trouble = NULL, trouble_since = NULL, trouble_tries = NULL, parked_at = NULL, backend_job_id = NULL,
                                   message = 'moved off unhealthy backend ' || \(backend)
                FROM tasks k
                WHERE k.id = t.task_id AND t.backend = \(backend) AND t.status = 'queued'
                  AND (t.backend_job_id IS NULL OR t.parked_at IS NOT NULL) AND cardinality(k.backends) > 1 AND t.canceled_attempt IS NULL AND t.attempt < k.max_attempts
                """)
        }
    }
}
