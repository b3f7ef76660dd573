import FleetModel
import Foundation
import Postgres

/// The SQL of the coordinator's passes: the dispatch pass (claim pending tiles within a
/// backend's `max_active`), the stray-job pass (cancel jobs no tile wants) and the recovery pass
/// (republish tiles whose items were lost). Both run inside
/// ``fencedTransaction(_:isolation:_:)``, which commits only if the transaction begun is still
/// the one open, so a connection replaced mid-pass commits nothing.
///
/// Needs a connection of its own (the transaction spans the caller's publishes).
public struct DispatchStore: Sendable {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// The database's clock.
    public func now() async throws -> Date {
        try await connection.query("SELECT now()")[0].decode(Date.self, at: 0)
    }

    /// A pass whose transaction was lost (the connection was replaced); nothing of it was committed.
    public struct TransactionLost: Error, Sendable, CustomStringConvertible {
        public var pass: String
        public var description: String { "the database connection was lost during \(pass); nothing of it was committed" }
    }

    /// Runs `body` in one transaction, committed only if it is still the transaction begun (its
    /// id is unchanged), else rolled back with ``TransactionLost``. Any error rolls it back.
    public func fencedTransaction<Result>(
        _ pass: String, isolation: isolated (any Actor)? = #isolation, _ body: (Transaction) async throws -> Result
    ) async throws -> Result {
        // Each pair of statements below is one trip to the connection's thread.
        let begun = try await connection.withSession { session throws(PostgresError) in
            try session.execute("BEGIN")
            do throws(PostgresError) {
                return try session.query("SELECT txid_current()")[0].decode(Int64.self, at: 0)
            } catch {
                _ = try? session.execute("ROLLBACK")
                throw error
            }
        }
        do {
            let result = try await body(Transaction(connection: connection))
            let committed = try await connection.withSession { session throws(PostgresError) in
                guard try session.query("SELECT txid_current_if_assigned()")[0].decode(Int64?.self, at: 0) == begun else { return false }
                try session.execute("COMMIT")
                return true
            }
            guard committed else { throw TransactionLost(pass: pass) }
            return result
        } catch {
            _ = try? await connection.execute("ROLLBACK")
            throw error
        }
    }

    /// Runs `body` outside any transaction, each statement on its own snapshot: for reads that
    /// need no lock and no consistency between statements (the snapshot before dispatch), at
    /// half the round trips of a transaction.
    public func reading<Result>(
        isolation: isolated (any Actor)? = #isolation, _ body: (Transaction) async throws -> Result
    ) async throws -> Result {
        try await body(Transaction(connection: connection))
    }

    /// The statements a pass may run inside its fenced transaction.
    public struct Transaction: Sendable {
        let connection: PostgresConnection

        /// One task's share of a backend: its pending tiles (counted only while the task is
        /// active, and only its sample tiles while it is sampling) and its tiles in flight.
        public struct TaskLoad: Sendable, Hashable {
            public var task: String
            public var priority: Int
            public var pending: Int
            public var inFlight: Int
            /// Of ``inFlight``, the tiles whose attempt a worker saw end (among the `ended` asked about).
            public var ended: Int = 0
            /// The task's budget with what it spent, when it has one.
            public var budget: TaskBudget?
        }

        /// What a pass on `backend` starts from, read after taking the backend's lock
        /// (`pg_advisory_xact_lock`, which serialises passes on it across every coordinator until
        /// the transaction ends), all in one trip to the connection's thread: the parked tiles, each
        /// task's load, and which of `ended` the database still counts in flight. Only inside
        /// ``DispatchStore/fencedTransaction(_:isolation:_:)``: the lock and the plan setting for
        /// the loads last until its end.
        public func startPass(backend: String, pendingUpTo cap: Int, ended: [DispatchStore.EndedAttempt]) async throws -> PassStart {
            try await connection.withSession { session throws(PostgresError) in
                try session.query("SELECT pg_advisory_xact_lock(hashtext(\(backend)))")
                let parked = try session.query(TaskStore.parkedCountQuery(backend: backend))[0].decode(Int.self, at: 0)
                // Its generic plan, along the partial indexes, is the one for any backend; left to
                // choose, the server kept planning it afresh (1.2–2.1 ms a pass) once one task held
                // nearly every tile, for 0.2 ms less run time.
                try session.execute("SET LOCAL plan_cache_mode = force_generic_plan")
                let loads = try Self.taskLoads(in: session, backend: backend, pendingUpTo: cap, ended: ended)
                try session.execute("SET LOCAL plan_cache_mode TO DEFAULT")
                return PassStart(parked: parked, loads: loads, stillInFlight: try Self.stillInFlight(in: session, ended))
            }
        }

        /// What ``startPass(backend:pendingUpTo:ended:)`` read.
        public struct PassStart: Sendable {
            /// The backend's parked tiles (in flight, but the platform runs nothing for them).
            public var parked: Int
            public var loads: [TaskLoad]
            /// Those of the `ended` asked about that the database still counts in flight.
            public var stillInFlight: [DispatchStore.EndedAttempt]
        }

        /// Every task with tiles in flight on `backend`, or with pending tiles that `backend` may
        /// take (it is one of the task's `backends`). Pending tiles are counted up to `cap` per
        /// task (at least what the pass can release), so a pass costs the same on a task of a
        /// million tiles as on one of ten; tiles in flight are counted exactly, and those of
        /// them whose attempt is among `ended` (on `backend`, not parked) apart, in the same
        /// statement: a tile the recorder stores meanwhile is in neither count or in both.
        static func taskLoads(in session: PostgresSession, backend: String, pendingUpTo cap: Int,
                              ended: [DispatchStore.EndedAttempt]) throws(PostgresError) -> [TaskLoad] {
            // Prepared: planning it took twice as long as running it, and its one plan (along the
            // partial indexes) is the best for any backend.
            let rows = try session.query(prepared: taskLoadsQuery(backend: backend, pendingUpTo: cap, ended: ended))
            return try rows.map { row throws(PostgresError) in
                var load = TaskLoad(task: try row.decode(String.self, at: 0), priority: try row.decode(Int.self, at: 1),
                                    pending: try row.decode(Int.self, at: 2), inFlight: try row.decode(Int.self, at: 3),
                                    ended: try row.decode(Int.self, at: 5))
                if let budget = try row.decode(Double?.self, at: 4) {
                    load.budget = TaskBudget(budget: budget, spent: try row.decode(Double?.self, at: 6) ?? 0,
                                             costedAttempts: try row.decode(Int?.self, at: 7) ?? 0,
                                             finishedAttempts: try row.decode(Int?.self, at: 8) ?? 0, inFlight: load.inFlight)
                }
                return load
            }
        }

        /// The statement of ``taskLoads(in:backend:pendingUpTo:ended:)``.
        static func taskLoadsQuery(backend: String, pendingUpTo cap: Int, ended: [DispatchStore.EndedAttempt]) -> PostgresQuery {
            let ended = DispatchStore.EndedArrays(ended.filter { $0.backend == backend })
            return """
                SELECT l.*, c.spent, c.costed, c.finished
                FROM (SELECT k.id, k.priority, CASE WHEN \(backend) = ANY(k.backends) THEN p.n ELSE 0 END AS pending,
                             coalesce(f.n, 0) AS in_flight, k.budget, coalesce(f.ended, 0) AS ended
                      FROM tasks k
                      LEFT JOIN (SELECT task_id, count(*) AS n,
                                        count(*) FILTER (WHERE parked_at IS NULL AND (task_id, tile_id, attempt) IN
                                            (SELECT * FROM unnest(\(ended.tasks)::text[], \(ended.tiles)::text[], \(ended.attempts)::int[]))) AS ended
                                 FROM tiles
                                 WHERE backend = \(backend) AND status IN (\(unescaped: TileStatus.sqlList(TileStatus.inFlight)))
                                 GROUP BY task_id) f ON f.task_id = k.id
                      CROSS JOIN LATERAL (\(unescaped: Self.pendingUpTo(cap))) p
                      WHERE f.n IS NOT NULL OR \(backend) = ANY(k.backends)) l
                LEFT JOIN LATERAL (\(unescaped: TaskStore.budgetSpending("l.id"))) c ON l.budget IS NOT NULL
                WHERE l.pending > 0 OR l.in_flight > 0
                """
        }

        /// Every active task with pending tiles it may dispatch, with its priority and count (up
        /// to `cap`; a sampling task's sample tiles only): what the snapshot before dispatch
        /// starts from, read without locks.
        public func pendingTasks(pendingUpTo cap: Int) async throws -> [(task: String, priority: Int, pending: Int)] {
            try await connection.query(Self.pendingTasksQuery(pendingUpTo: cap)).map { row in
                (task: try row.decode(String.self, at: 0), priority: try row.decode(Int.self, at: 1), pending: try row.decode(Int.self, at: 2))
            }
        }

        /// Whether any active task runs over several backends: only such tasks are spread over
        /// backends before the passes. Prepared, 0.1 ms; reading the pending tasks, which every
        /// pass did before it, took 1.0–1.7 ms.
        public func anyActiveTaskOverSeveralBackends() async throws -> Bool {
            try await connection.query(prepared: "SELECT EXISTS (SELECT 1 FROM tasks WHERE status = 'active' AND cardinality(backends) > 1)")[0]
                .decode(Bool.self, at: 0)
        }

        /// The statement of ``pendingTasks(pendingUpTo:)``.
        static func pendingTasksQuery(pendingUpTo cap: Int) -> PostgresQuery {
            "SELECT k.id, k.priority, p.n FROM tasks k CROSS JOIN LATERAL (\(unescaped: pendingUpTo(cap))) p WHERE p.n > 0"
        }

        /// The tiles in flight per backend and task, but those whose attempt is among `ended`
        /// (not parked), read without locks.
        public func inFlight(ended: [DispatchStore.EndedAttempt] = []) async throws -> [String: [String: Int]] {
            var inFlight: [String: [String: Int]] = [:]
            let ended = DispatchStore.EndedArrays(ended)
            for row in try await connection.query("""
                SELECT backend, task_id,
                       count(*) - count(*) FILTER (WHERE parked_at IS NULL AND (task_id, tile_id, attempt, backend) IN
                           (SELECT * FROM unnest(\(ended.tasks)::text[], \(ended.tiles)::text[], \(ended.attempts)::int[], \(ended.backends)::text[])))
                FROM tiles
                WHERE status IN (\(unescaped: TileStatus.sqlList(TileStatus.inFlight)))
                GROUP BY backend, task_id
                """) {
                inFlight[try row.decode(String.self, at: 0), default: [:]][try row.decode(String.self, at: 1)] = try row.decode(Int.self, at: 2)
            }
            return inFlight
        }

        /// A lateral subquery for the task `k`: `n`, its dispatchable pending tiles (none unless
        /// it is active; a sampling task's sample tiles only) counted up to `cap` along the partial
        /// indexes on pending tiles, never all of them. The `ORDER BY` is that index's order and
        /// keeps the planner on it: when one task holds nearly every tile (a task of a million
        /// beside small ones), the statistics promise a pending tile on any page, and without it
        /// a small `cap` got a sequential scan that read the whole table for each task with none
        /// (1.6–2.3 s a statement, on every pass).
        static func pendingUpTo(_ cap: Int) -> String {
            """
            SELECT (SELECT count(*) FROM (SELECT 1 FROM tiles t
                                          WHERE k.status = 'active' AND NOT k.sampling AND t.task_id = k.id AND t.status = 'pending'
                                          ORDER BY t.tile_id LIMIT \(max(cap, 0))) x)
                 + (SELECT count(*) FROM (SELECT 1 FROM tiles t
                                          WHERE k.status = 'active' AND k.sampling AND t.task_id = k.id AND t.status = 'pending' AND t.sample
                                          ORDER BY t.tile_id LIMIT \(max(cap, 0))) y) AS n
            """
        }

        /// The stored spec of `task`, decoded as `type`.
        public func spec<Spec: Decodable>(of task: String, as type: Spec.Type) async throws -> Spec {
            try await TaskStore(connection: connection).spec(of: task, as: type)
        }

        /// A pending tile claimed for dispatch, now `queued`.
        public struct ClaimedTile: Sendable {
            public var tile: String
            public var attempt: Int
            public var parameters: [String: JSONValue]
            /// When it was claimed (the database's clock): its item's lease starts here.
            public var itemAt: Date
        }

        /// Claims up to `count` pending tiles of `task` for `backend` in tile order (only its sample
        /// tiles while the task is sampling), skipping tiles another pass holds, and marks them
        /// `queued` on `backend` with `dispatched_at` and `item_at`. With `movingRetries` (a task
        /// over several backends), tiles whose last attempt ran on `backend` come last, so a
        /// retried tile moves on to another backend.
        public func claimPending(task: String, backend: String, count: Int, movingRetries: Bool = false) async throws -> [ClaimedTile] {
            guard movingRetries else { return try await claim(task: task, backend: backend, count: count, retriedHere: nil) }
            // The others first, then those: each step walks the pending tiles in index order and
            // stops at `count`, where one ORDER BY over both would sort every pending tile.
            var claimed = try await claim(task: task, backend: backend, count: count, retriedHere: false)
            if claimed.count < count {
                claimed += try await claim(task: task, backend: backend, count: count - claimed.count, retriedHere: true)
            }
            return claimed
        }

        /// One step of ``claimPending(task:backend:count:movingRetries:)``: with `retriedHere`,
        /// only the tiles whose last attempt ran on `backend` (true: along `tiles_pending_retried`)
        /// or only the others (false). The bound flag folds away when the statement is planned,
        /// so each form gets its own index.
        private func claim(task: String, backend: String, count: Int, retriedHere: Bool?) async throws -> [ClaimedTile] {
            let rows = try await connection.query("""
                WITH claimed AS MATERIALIZED (
                    SELECT task_id, tile_id FROM tiles WHERE task_id = \(task) AND status = 'pending'
                      AND (sample OR NOT (SELECT sampling FROM tasks WHERE id = \(task)))
                      AND (\(retriedHere)::bool IS NOT TRUE OR (attempt > 1 AND backend = \(backend)))
                      AND (\(retriedHere)::bool IS NOT FALSE OR (attempt > 1 AND backend = \(backend)) IS NOT TRUE)
                    ORDER BY tile_id LIMIT \(count) FOR UPDATE SKIP LOCKED)
                UPDATE tiles t SET status = 'queued', backend = \(backend), dispatched_at = now(), item_at = now(), status_at = now(), updated_at = now()
                FROM claimed c WHERE t.task_id = c.task_id AND t.tile_id = c.tile_id
                RETURNING t.tile_id, t.attempt, t.parameters, t.item_at
                """)
            return try rows.map { row in
                ClaimedTile(tile: try row.decode(String.self, at: 0), attempt: try row.decode(Int.self, at: 1),
                            parameters: try row.decode(PostgresJSON.self, at: 2).decode([String: JSONValue].self),
                            itemAt: try row.decode(Date.self, at: 3))
            }
        }

        /// A backend job still queued or running that no tile wants any more.
        public struct StrayJob: Sendable {
            public var task: String
            public var tile: String
            public var attempt: Int
            public var jobID: String
            public var backend: String
            public var parameters: [String: JSONValue]
        }

        /// Jobs of canceled tiles or of attempts that are not their tile's current one, not yet
        /// sent a cancel (or sent one more than `resendAfter` ago, which a broker may have lost),
        /// untouched for `grace`; at most `limit`, locked until the transaction ends.
        public func strayJobs(grace: Duration, resendAfter: Duration? = nil, limit: Int) async throws -> [StrayJob] {
            let resend = resendAfter.map(\.inSeconds)
            let rows = try await connection.query("""
                SELECT j.task_id, j.tile_id, j.attempt, j.job_id, coalesce(j.backend, t.backend), t.parameters
                FROM backend_jobs j JOIN tiles t USING (task_id, tile_id)
                WHERE j.finished_at IS NULL
                  AND (j.cancel_sent_at IS NULL
                       OR (\(resend)::float8 IS NOT NULL AND j.cancel_sent_at < now() - make_interval(secs => \(resend)::float8)))
                  AND j.status IN (\(unescaped: TileStatus.sqlList(TileStatus.inFlight))) AND j.job_id IS NOT NULL
                  AND (j.attempt <> t.attempt OR t.status = 'canceled' OR t.canceled_attempt IS NOT NULL)
                  AND greatest(j.status_at, t.updated_at) < now() - make_interval(secs => \(grace.components.seconds))
                ORDER BY j.task_id, j.tile_id, j.attempt
                LIMIT \(limit)
                FOR NO KEY UPDATE OF j SKIP LOCKED
                """)
            return try rows.map { row in
                StrayJob(task: try row.decode(String.self, at: 0), tile: try row.decode(String.self, at: 1),
                         attempt: try row.decode(Int.self, at: 2), jobID: try row.decode(String.self, at: 3),
                         backend: try row.decode(String.self, at: 4),
                         parameters: try row.decode(PostgresJSON.self, at: 5).decode([String: JSONValue].self))
            }
        }

        /// Records that a cancel for this attempt's job is on its way (committed with the pass).
        public func markCancelSent(task: String, tile: String, attempt: Int) async throws {
            try await connection.execute("""
                UPDATE backend_jobs SET cancel_sent_at = now()
                WHERE task_id = \(task) AND tile_id = \(tile) AND attempt = \(attempt)
                """)
        }
    }
}
