import AMQP
import Coordinator
import FleetConfig
import FleetModel
import Foundation
import Geo
import Logging
import Messaging
import Postgres
import Storage

/// What `serve`'s routes do to the fleet, through the coordinator's own code paths: a task is
/// parsed by ``TaskSpecParser``, tiled by ``TaskPlan``, stored by ``TaskStore`` and announced with
/// `NOTIFY tilefleet_tiles` (the coordinator dispatches it at once, websockets follow); cancel goes
/// through ``Canceller``, retry through ``TaskStore/startNextAttempt(task:tiles:failedOnly:)``. Every read
/// checks that the task belongs to the user. It keeps no state of its own, so several `serve`
/// processes can run behind a load balancer.
public struct ServeFleet: Sendable {
    public let configuration: FleetConfiguration
    public let database: PostgresConnection
    /// The broker channel (confirm mode, topology declared) for cancel items.
    public let channel: AMQPChannel
    public let logger: Logger

    /// Tags the cancel items this service sends (the fleet's work key).
    public let signing: MessageSigning

    public init(configuration: FleetConfiguration, database: PostgresConnection, channel: AMQPChannel, signing: MessageSigning, logger: Logger) {
        self.signing = signing
        self.configuration = configuration
        self.database = database
        self.channel = channel
        self.logger = logger
    }

    var store: TaskStore { TaskStore(connection: database) }

    /// Parses, tiles and stores a task document (an APEx upscale task as JSON text) for `user`, and
    /// wakes the coordinator. Bad input: ``APIError`` 422 naming every problem's field.
    public func submit(_ document: String, user: String) async throws -> TaskPlan {
        let spec: TaskSpec
        do {
            spec = try TaskSpecParser(configuration: configuration).parse(document, file: "request")
        } catch {
            let problems = error.problems.map { (field: $0.path, message: $0.message) }
            throw APIError.validation(problems.first?.field ?? "", problems.first?.message ?? "invalid task", problems: problems)
        }
        let plan: TaskPlan
        do {
            plan = try TaskPlan(spec: spec, limits: configuration.limits)
        } catch let error as GeoValidationError {
            throw APIError.validation("dimension.values", "\(error)")
        }
        do {
            try await store.insert(plan, requestedBy: user)
        } catch let error as TaskStoreError {
            throw APIError.validation("id", error.description)
        }
        try await database.notify(channel: "tilefleet_tiles", payload: "\(plan.spec.id) \(plan.spec.backend)")
        logger.info("task submitted", metadata: ["task": "\(plan.spec.id)", "user": "\(user)", "jobs": "\(plan.records.count)"])
        return plan
    }

    /// The task `id` of `user`, or ``APIError/taskNotFound(_:)`` (also for another user's task, so
    /// ids do not leak whose they are).
    public func summary(_ id: String, user: String) async throws -> TaskSummary {
        do {
            guard let summary = try await store.summaries(task: id, requestedBy: user).first else { throw APIError.taskNotFound(id) }
            return summary
        } catch TaskStoreError.unknownTask(_) {
            throw APIError.taskNotFound(id)
        }
    }

    /// `user`'s tasks, newest first.
    public func summaries(user: String) async throws -> [TaskSummary] {
        try await store.summaries(requestedBy: user)
    }

    /// The stored spec of a task.
    public func spec(_ id: String) async throws -> TaskSpec {
        try await store.spec(of: id)
    }

    /// A task's tiles (or one of them).
    public func tiles(_ id: String, tile: String? = nil) async throws -> [TileDetail] {
        try await store.tileDetails(task: id, tile: tile)
    }

    /// One tile of `user`'s task, or ``APIError/jobNotFound(_:)``.
    public func job(_ job: UnitJobID, user: String) async throws -> (TaskSummary, TileDetail) {
        do {
            guard let summary = try await store.summaries(task: job.task, requestedBy: user).first,
                  let tile = try await store.tileDetails(task: job.task, tile: job.tile).first else {
                throw APIError.jobNotFound(job.description)
            }
            return (summary, tile)
        } catch TaskStoreError.unknownTask(_) {
            throw APIError.jobNotFound(job.description)
        }
    }

    /// The tile's current attempt with its assets.
    public func results(_ job: UnitJobID) async throws -> TileResult? {
        try await store.results(task: job.task, tile: job.tile).first
    }

    /// The attempts (backend jobs) of a tile.
    public func attempts(task: String, tile: String) async throws -> [TileAttempt] {
        try await store.attempts(task: task, tile: tile)
    }

    /// Events of a task recorded since `since` (the latest `limit` when nil), oldest first.
    public func events(task: String, since: Date?, limit: Int) async throws -> [TaskEvent] {
        try await store.events(task: task, since: since, limit: limit)
    }

    /// The latest tiles of `user`'s tasks.
    public func recentTiles(user: String, limit: Int, offset: Int) async throws -> [(task: String, title: String, tile: String, status: String)] {
        try await store.tiles(requestedBy: user, limit: limit, offset: offset)
    }

    /// Cancels a task, or some of its tiles, as `tilefleet cancel` does.
    public func cancel(task: String, tiles: [String]? = nil) async throws -> Canceller.Outcome {
        let canceller = Canceller(store: store, publisher: WorkPublisher(channel: channel, topology: configuration.topology, signing: signing))
        let outcome: Canceller.Outcome
        do {
            outcome = try await canceller.cancel(task: task, tiles: tiles)
        } catch TaskStoreError.unknownTiles(let missing) {
            throw APIError.tileNotFound(task: task, tile: missing.joined(separator: ", "))
        }
        // Pending tiles ended here, not through the recorder: say so, as the recorder does for the ones it ends.
        try await database.notify(channel: "tilefleet_tiles", payload: task)
        return outcome
    }

    /// New attempts for failed (and, unless `failedOnly`, canceled) tiles, as `tilefleet retry` does.
    public func retry(task: String, tiles: [String]? = nil, failedOnly: Bool = false) async throws -> Int {
        let count: Int
        do {
            count = try await store.startNextAttempt(task: task, tiles: tiles, failedOnly: failedOnly)
        } catch TaskStoreError.unknownTiles(let missing) {
            throw APIError.tileNotFound(task: task, tile: missing.joined(separator: ", "))
        }
        try await database.notify(channel: "tilefleet_tiles", payload: task)
        return count
    }

    /// Whether PostgreSQL answers.
    public func databaseIsUp() async -> Bool {
        (try? await database.query("SELECT 1")) != nil
    }
}
