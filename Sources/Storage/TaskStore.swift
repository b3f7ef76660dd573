import FleetModel
import Foundation
import Postgres

/// The SQL on tasks and tiles that commands run: storing a task and its tiles, reading progress,
/// cancel, new attempts, the tiles to republish, results. Everything else about a tile is written
/// by the recorder from status events (``EventStore``); the dispatch and stray-job passes are in
/// ``DispatchStore``. Status lists come from ``TileStatus`` (``TileStatus/sqlList(_:)``), never
/// spelled out here.
public struct TaskStore: Sendable {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// A task row to store.
    public struct NewTask: Sendable {
        public var id: String
        public var title: String
        public var backend: String
        /// Every backend the task may run on, in order of preference (`tasks.backends`); empty:
        /// ``backend`` alone.
        public var backends: [String] = []
        /// The whole task spec, kept for dispatch and for `retry`/`resume`.
        public var spec: PostgresJSON
        public var priority: Int
        public var maxAttempts: Int
        public var maxRuntimeSeconds: Int?
        /// Who asked for the task: `serve`'s authenticated user, which it shows tasks to; nil
        /// stores the `USER` of the process (the command line's operator).
        public var requestedBy: String?
        /// The task's credit cap (`budget:`), if any.
        public var budget: Double?
        /// Only the tiles marked ``NewTile/sample`` are dispatched until ``releaseSample(task:)``.
        public var sampling: Bool

        public init(id: String, title: String, backend: String, spec: PostgresJSON, priority: Int = 0, maxAttempts: Int = 3,
                    maxRuntimeSeconds: Int? = nil, budget: Double? = nil, requestedBy: String? = nil, sampling: Bool = false) {
            self.requestedBy = requestedBy
            self.sampling = sampling
            self.id = id
            self.title = title
            self.backend = backend
            self.spec = spec
            self.priority = priority
            self.maxAttempts = maxAttempts
            self.maxRuntimeSeconds = maxRuntimeSeconds
            self.budget = budget
        }
    }

    /// A tile row to store; it starts `pending` at attempt 1.
    public struct NewTile: Sendable {
        public var tileID: String
        public var cellID: String?
        public var windowLabel: String?
        public var windowStart: String?
        public var windowEnd: String?
        /// The job's parameters as canonical JSON.
        public var parametersJSON: String
        /// GeoJSON geometry (WGS84).
        public var geometry: String?
        public var areaKm2: Double?
        /// Part of the task's estimate sample (dispatched while the task is ``NewTask/sampling``).
        public var sample: Bool

        public init(tileID: String, cellID: String? = nil, windowLabel: String? = nil, windowStart: String? = nil, windowEnd: String? = nil,
                    parametersJSON: String = "{}", geometry: String? = nil, areaKm2: Double? = nil, sample: Bool = false) {
            self.sample = sample
            self.tileID = tileID
            self.cellID = cellID
            self.windowLabel = windowLabel
            self.windowStart = windowStart
            self.windowEnd = windowEnd
            self.parametersJSON = parametersJSON
            self.geometry = geometry
            self.areaKm2 = areaKm2
        }
    }

    /// Stores the task and all its tiles in one transaction (`COPY` for the tiles); nothing is
    /// stored if any part fails. Returns the number of tiles.
    @discardableResult
    public func insert(_ task: NewTask, tiles: some Sequence<NewTile>) async throws -> Int {
        let tiles = Array(tiles)
        return try await insert(task, count: tiles.count) { tiles[$0] }
    }

    /// Stores the task and `count` tiles in one transaction; nothing is stored if any part fails.
    /// `tile(i)` makes the i-th tile when its row is encoded, and the `COPY` sends rows as they
    /// are encoded, so neither every row's text nor (if `tile` builds them) every tile is held at
    /// once. Returns the number of tiles.
    @discardableResult
    public func insert(_ task: NewTask, count: Int, tile: @escaping @Sendable (Int) -> NewTile) async throws -> Int {
        do {
            return try await store(task, count: count, tile: tile)
        } catch let error as PostgresError where error.sqlState == "23505" && error.message.contains("tasks_pkey") {
            throw TaskStoreError.duplicateTask(task.id)
        }
    }

    /// Rows encoded per call of the COPY's fill: a few chunks' worth.
    private static let tilesPerFill = 256

    private func store(_ task: NewTask, count: Int, tile: @escaping @Sendable (Int) -> NewTile) async throws -> Int {
        let user = task.requestedBy ?? ProcessInfo.processInfo.environment["USER"]
        return try await connection.transaction { session throws(PostgresError) in
            try session.execute("""
                INSERT INTO tasks (id, title, backend, backends, spec, priority, max_attempts, max_runtime_seconds, requested_by, budget,
                                   sampling)
                VALUES (\(task.id), \(task.title), \(task.backend), \(Self.textArray(task.backends.isEmpty ? [task.backend] : task.backends))::text[],
                        \(task.spec), \(task.priority), \(task.maxAttempts), \(task.maxRuntimeSeconds), \(user), \(task.budget), \(task.sampling))
                """)
            var next = 0
            return try session.copyIn("""
                COPY tiles (task_id, tile_id, cell_id, window_label, window_start, window_end, parameters, geometry, area_km2, backend, sample)
                FROM STDIN
                """) { buffer in
                let end = min(count, next + Self.tilesPerFill)
                while next < end {
                    let tile = tile(next)
                    buffer.append([
                        task.id, tile.tileID, tile.cellID, tile.windowLabel, tile.windowStart, tile.windowEnd, tile.parametersJSON,
                        tile.geometry, tile.areaKm2, task.backend, tile.sample,
                    ])
                    next += 1
                }
                return next < count
            }
        }
    }

    /// The stored spec of `task`, decoded as `type`.
    public func spec<Spec: Decodable>(of task: String, as type: Spec.Type) async throws -> Spec {
        let rows = try await connection.query("SELECT spec FROM tasks WHERE id = \(task)")
        guard let row = rows.first else { throw TaskStoreError.unknownTask(task) }
        return try row.decode(PostgresJSON.self, at: 0).decode(type)
    }

    /// Throws ``TaskStoreError/unknownTask(_:)`` unless `task` exists.
    public func requireTask(_ task: String) async throws {
        guard try await !connection.query("SELECT 1 FROM tasks WHERE id = \(task)").isEmpty else {
            throw TaskStoreError.unknownTask(task)
        }
    }

    /// Throws ``TaskStoreError/unknownTiles(_:)`` naming the ids in `tiles` that `task` does not
    /// have (nil: no list, nothing to check), so a mistyped id is an error, not ignored.
    public func requireTiles(_ tiles: [String]?, of task: String) async throws {
        guard let tiles, !tiles.isEmpty else { return }
        let list = Self.textArray(tiles)
        let rows = try await connection.query("""
            SELECT x.id FROM unnest(\(list)::text[]) WITH ORDINALITY AS x(id, n)
            WHERE NOT EXISTS (SELECT 1 FROM tiles t WHERE t.task_id = \(task) AND t.tile_id = x.id)
            ORDER BY x.n
            """)
        let missing = try rows.map { try $0.decode(String.self, at: 0) }
        if !missing.isEmpty { throw TaskStoreError.unknownTiles(missing) }
    }

    /// Removes `task` with its tiles, jobs, assets and events (benchmarks and tests clean up with
    /// it; operators keep their history).
    public func delete(task: String) async throws {
        try await connection.transaction { session throws(PostgresError) in
            try session.execute("DELETE FROM events WHERE task_id = \(task)")
            try session.execute("DELETE FROM tasks WHERE id = \(task)")
        }
    }

    /// Sets `task`'s credit cap (`tilefleet budget`) and wakes the coordinators
    /// (`NOTIFY tilefleet_tiles`): the next dispatch pass goes by it.
    public func setBudget(task: String, to budget: Double) async throws {
        guard budget.isFinite, budget > 0 else { throw TaskStoreError.invalidBudget(budget) }
        try await requireTask(task)
        _ = try await connection.query("""
            WITH changed AS (UPDATE tasks SET budget = \(budget), updated_at = now() WHERE id = \(task) RETURNING id, backend)
            SELECT pg_notify('tilefleet_tiles', id || ' ' || backend) FROM changed
            """)
    }

    /// A lateral subquery for the task `taskColumn` names: `spent` (credits of its ended
    /// attempts), `costed` (ended attempts with a cost), `finished` (finished attempts): the
    /// figures of a ``TaskBudget``.
    static func budgetSpending(_ taskColumn: String) -> String {
        """
        SELECT sum(j.costs) FILTER (WHERE j.finished_at IS NOT NULL) AS spent,
               count(j.costs) FILTER (WHERE j.finished_at IS NOT NULL) AS costed,
               count(*) FILTER (WHERE j.status = 'finished') AS finished
        FROM backend_jobs j WHERE j.task_id = \(taskColumn)
        """
    }

    /// Tasks (all, or one; with `requestedBy`, only that user's) with their tile counts per status,
    /// newest first.
    ///
    /// One statement per task, with the task's id bound in it: the planner then sizes each task's
    /// scans by that task's own share of `tiles`. Correlated with the outer task row instead, every
    /// task was sized as an average one, and beside a task holding nearly every tile (a million
    /// beside a few) each small task's summary read the whole table: 1.9 s for one task of four
    /// tiles, 4.2 s for the list. The list's statements run in one trip to the connection's
    /// thread, in one `REPEATABLE READ` transaction: one snapshot for every task, as when it was
    /// one statement.
    public func summaries(task: String? = nil, requestedBy: String? = nil) async throws -> [TaskSummary] {
        guard let task else {
            let perTask = try await connection.transaction { session throws(PostgresError) in
                try session.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                let ids = try session.query("""
                    SELECT id FROM tasks WHERE \(requestedBy)::text IS NULL OR requested_by = \(requestedBy) ORDER BY created_at DESC, id
                    """).map { row throws(PostgresError) in try row.decode(String.self, at: 0) }
                return try ids.map { id throws(PostgresError) in try session.query(Self.summaryQuery(task: id, requestedBy: requestedBy)) }
            }
            return try perTask.flatMap(Self.summaries(from:))
        }
        let found = try Self.summaries(from: try await connection.query(Self.summaryQuery(task: task, requestedBy: requestedBy)))
        if found.isEmpty { throw TaskStoreError.unknownTask(task) }
        return found
    }

    /// The summaries in the rows of ``summaryQuery(task:requestedBy:)``.
    private static func summaries(from rows: PostgresRows) throws -> [TaskSummary] {
        try rows.map { row in
            var summary = TaskSummary(id: try row.decode(String.self, at: 0), title: try row.decode(String.self, at: 1),
                                      backend: try row.decode(String.self, at: 2), status: try row.decode(String.self, at: 3),
                                      priority: try row.decode(Int.self, at: 4), createdAt: try row.decode(Date.self, at: 5),
                                      counts: try row.decode(PostgresJSON.self, at: 6).decode([String: Int].self))
            summary.tilesPerHour = try row.decode(Int.self, at: 7)
            summary.lastChangeAt = try row.decode(Date?.self, at: 8)
            summary.jobsMayRun = try row.decode(Int.self, at: 13)
            summary.requestedBy = try row.decode(String?.self, at: 14)
            summary.updatedAt = try row.decode(Date.self, at: 15)
            summary.credits = try row.decode(Double?.self, at: 16)
            summary.sampling = try row.decode(Bool.self, at: 21)
            if let budget = try row.decode(Double?.self, at: 17) {
                summary.budget = TaskBudget(budget: budget, spent: try row.decode(Double?.self, at: 18) ?? 0,
                                            costedAttempts: try row.decode(Int?.self, at: 19) ?? 0,
                                            finishedAttempts: try row.decode(Int?.self, at: 20) ?? 0,
                                            inFlight: TileStatus.inFlight.reduce(0) { $0 + summary.count($1.rawValue) })
            }
            if let tiles = try row.decode(Int?.self, at: 9), let text = try row.decode(String?.self, at: 10),
               let since = try row.decode(Date?.self, at: 11) {
                summary.trouble = TaskSummary.Trouble(tiles: tiles, text: text, since: since, tries: try row.decode(Int?.self, at: 12))
            }
            return summary
        }
    }

    /// The statement of one task's summary (see ``summaries(task:requestedBy:)``).
    static func summaryQuery(task: String, requestedBy: String?) -> PostgresQuery {
        """
            SELECT k.id, k.title, array_to_string(k.backends, ','), k.status, k.priority, k.created_at,
                   coalesce((SELECT jsonb_object_agg(status, n) FROM (SELECT status, count(*) AS n FROM tiles t
                             WHERE t.task_id = \(task) GROUP BY status) c), '{}'),
                   (SELECT count(*) FROM tiles x WHERE x.task_id = \(task) AND x.status IN (\(unescaped: TileStatus.sqlList(TileStatus.terminal)))
                      AND x.finished_at > now() - interval '10 minutes') * 6,
                   (SELECT max(coalesce(x.finished_at, x.status_at, x.updated_at)) FROM tiles x WHERE x.task_id = \(task)),
                   r.tiles, r.trouble, r.since, r.tries,
                   (SELECT count(*) FROM backend_jobs j
                    WHERE j.task_id = \(task) AND j.cancel_sent_at IS NOT NULL AND j.finished_at IS NULL),
                   k.requested_by, k.updated_at,
                   (SELECT sum(j.costs) FROM backend_jobs j WHERE j.task_id = \(task)),
                   k.budget, b.spent, b.costed, b.finished, k.sampling
            FROM tasks k
            LEFT JOIN LATERAL (\(unescaped: Self.budgetSpending("k.id"))) b ON k.budget IS NOT NULL
            LEFT JOIN LATERAL (
                SELECT (sum(g.n) OVER ())::bigint AS tiles, g.trouble, g.since, g.tries
                FROM (SELECT x.trouble, count(*) AS n, min(coalesce(x.trouble_since, x.seen_at)) AS since,
                             max(x.trouble_tries) AS tries, max(x.seen_at) AS latest
                      FROM tiles x
                      WHERE x.task_id = \(task) AND x.trouble IS NOT NULL
                        AND x.status IN (\(unescaped: TileStatus.sqlList(TileStatus.inFlight)))
                      GROUP BY x.trouble) g
                ORDER BY g.n DESC, g.latest DESC NULLS LAST, g.trouble
                LIMIT 1) r ON true
            WHERE k.id = \(task) AND (\(requestedBy)::text IS NULL OR k.requested_by = \(requestedBy))
            """
    }

    /// A tile that has (or may soon have) a backend job.
    public struct LiveTile: Sendable, Hashable {
        public var tile: String
        public var attempt: Int
        public var status: String
        public var backendJobID: String?
        public var parameters: [String: JSONValue]
        /// The backend of its current attempt.
        public var backend: String = ""
        /// Canceled (`tilefleet cancel`) but its job not stopped yet.
        public var canceled: Bool = false
    }

    /// Cancels `tiles` of `task` (all when nil): pending ones become `canceled` at once; the live
    /// ones are returned for cancel items. Cancelling the whole task marks it canceled, so no
    /// coordinator dispatches more of it.
    public func cancel(task: String, tiles: [String]? = nil) async throws -> (canceled: Int, live: [LiveTile]) {
        try await requireTask(task)
        try await requireTiles(tiles, of: task)
        let list = tiles.map(Self.textArray)
        return try await connection.transaction { session throws(PostgresError) in
            if tiles == nil {
                try session.execute("UPDATE tasks SET status = 'canceled', updated_at = now() WHERE id = \(task)")
            }
            // In key order, as the recorder takes them, so the two never deadlock.
            try session.execute("""
                SELECT 1 FROM tiles
                WHERE task_id = \(task) AND status IN (\(unescaped: TileStatus.sqlList([.pending] + TileStatus.inFlight)))
                  AND (\(list)::text[] IS NULL OR tile_id = ANY(\(list)::text[]))
                ORDER BY tile_id
                FOR NO KEY UPDATE
                """)
            let canceled = try session.execute("""
                UPDATE tiles SET status = 'canceled', finished_at = now(), status_at = now(), updated_at = now(),
                                 message = 'canceled before dispatch', canceled_attempt = attempt
                WHERE task_id = \(task) AND status = 'pending' AND (\(list)::text[] IS NULL OR tile_id = ANY(\(list)::text[]))
                """)
            // The fence: from now on, events of later attempts leave these tiles alone.
            try session.execute("""
                UPDATE tiles SET canceled_attempt = attempt, updated_at = now()
                WHERE task_id = \(task) AND status IN (\(unescaped: TileStatus.sqlList(TileStatus.inFlight)))
                  AND (\(list)::text[] IS NULL OR tile_id = ANY(\(list)::text[]))
                """)
            let rows = try session.query("""
                SELECT tile_id, attempt, status, backend_job_id, parameters, backend FROM tiles
                WHERE task_id = \(task) AND status IN (\(unescaped: TileStatus.sqlList(TileStatus.inFlight)))
                  AND (\(list)::text[] IS NULL OR tile_id = ANY(\(list)::text[]))
                ORDER BY tile_id
                """)
            var live: [LiveTile] = []
            for row in rows {
                let parameters = (try? row.decode(PostgresJSON.self, at: 4).decode([String: JSONValue].self)) ?? [:]
                live.append(LiveTile(tile: try row.decode(String.self, at: 0), attempt: try row.decode(Int.self, at: 1),
                                     status: try row.decode(String.self, at: 2), backendJobID: try row.decode(String?.self, at: 3),
                                     parameters: parameters, backend: try row.decode(String.self, at: 5)))
            }
            return (canceled, live)
        }
    }

    /// Records that cancel items for these jobs were confirmed by the broker, so the coordinator's
    /// stray-job pass does not send them again. Until then, that pass sends them itself.
    public func markCancelSent(task: String, jobs: [(tile: String, attempt: Int)]) async throws {
        guard !jobs.isEmpty else { return }
        let tiles = Self.textArray(jobs.map(\.tile))
        let attempts = "{" + jobs.map { String($0.attempt) }.joined(separator: ",") + "}"
        try await connection.execute("""
            UPDATE backend_jobs j SET cancel_sent_at = now()
            FROM unnest(\(tiles)::text[], \(attempts)::int[]) AS x(tile_id, attempt)
            WHERE j.task_id = \(task) AND j.tile_id = x.tile_id AND j.attempt = x.attempt
            """)
    }

    /// Starts a new attempt (`pending`) for failed (and, unless `failedOnly`, canceled) tiles of
    /// `task`, or for the listed ones; reactivates the task. Returns the count. The new attempt
    /// comes after every attempt a backend job exists for, so a job started for a canceled tile
    /// can never pass for the new one; a tile with a job still queued or running (a stray being
    /// canceled) is left for a later retry.
    public func startNextAttempt(task: String, tiles: [String]? = nil, failedOnly: Bool = false) async throws -> Int {
        try await requireTask(task)
        try await requireTiles(tiles, of: task)
        let list = tiles.map(Self.textArray)
        let statuses = failedOnly ? "{failed}" : "{failed,canceled}"
        return try await connection.transaction { session throws(PostgresError) in
            try session.execute("UPDATE tasks SET status = 'active', updated_at = now() WHERE id = \(task)")
            return try session.execute("""
                UPDATE tiles t
                SET attempt = greatest(t.attempt, (SELECT max(j.attempt) FROM backend_jobs j
                                                   WHERE j.task_id = t.task_id AND j.tile_id = t.tile_id)) + 1,
                    status = 'pending', backend_job_id = NULL, raw_status = NULL, canceled_attempt = NULL,
                    progress = NULL, dispatched_at = NULL, submitted_at = NULL, started_at = NULL,
                    finished_at = NULL, status_at = now(), updated_at = now()
                WHERE task_id = \(task) AND status = ANY(\(statuses)::text[])
                  AND (\(list)::text[] IS NULL OR tile_id = ANY(\(list)::text[]))
                  AND NOT EXISTS (SELECT 1 FROM backend_jobs j
                                  WHERE j.task_id = t.task_id AND j.tile_id = t.tile_id
                                    AND j.status IN (\(unescaped: TileStatus.sqlList(TileStatus.inFlight))))
                """)
        }
    }

    /// A PostgreSQL array literal of `values`, to bind as one `text[]` parameter.
    package static func textArray(_ values: [String]) -> String {
        let quoted = values.map { value in
            "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        return "{" + quoted.joined(separator: ",") + "}"
    }

    /// Tiles dispatched and not terminal, for `resume` (all tasks, or one).
    public func liveTiles(task: String? = nil) async throws -> [(task: String, backend: String, tile: LiveTile)] {
        let rows = try await connection.query("""
            SELECT task_id, backend, tile_id, attempt, status, backend_job_id, parameters, canceled_attempt IS NOT NULL FROM tiles
            WHERE status IN (\(unescaped: TileStatus.sqlList(TileStatus.inFlight))) AND (\(task)::text IS NULL OR task_id = \(task))
            ORDER BY task_id, tile_id
            """)
        return try rows.map { row in
            let parameters = (try? row.decode(PostgresJSON.self, at: 6).decode([String: JSONValue].self)) ?? [:]
            return (try row.decode(String.self, at: 0), try row.decode(String.self, at: 1),
                    LiveTile(tile: try row.decode(String.self, at: 2), attempt: try row.decode(Int.self, at: 3),
                             status: try row.decode(String.self, at: 4), backendJobID: try row.decode(String?.self, at: 5),
                             parameters: parameters, canceled: try row.decode(Bool.self, at: 7)))
        }
    }

    /// Tiles dispatched and not yet terminal on `backend`, counted in PostgreSQL.
    public func activeCount(backend: String) async throws -> Int {
        try await connection.query("""
            SELECT count(*) FROM tiles WHERE backend = \(backend) AND status IN (\(unescaped: TileStatus.sqlList(TileStatus.inFlight)))
            """)[0].decode(Int.self, at: 0)
    }
}
