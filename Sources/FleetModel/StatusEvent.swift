import Foundation

/// A change in a tile's backend job, published by a worker to `tilefleet.events` and persisted
/// by the recorder. Its `id` makes redelivery harmless: the recorder stores each id once.
public struct StatusEvent: Sendable, Codable, Equatable {
    /// The wire schema this type reads and writes.
    public static let schema = "tilefleet.status-event/1"

    public var schema: String
    public var id: UUID
    public var task: String
    public var tile: String
    public var attempt: Int
    public var status: EventStatus
    /// The backend's own word for the status (`queued`, `accepted`, `error`, …).
    public var rawStatus: String?
    public var backend: String?
    public var backendJobID: String?
    /// 0…1 where the backend reports it.
    public var progress: Double?
    public var message: String?
    /// Result links, on `finished`.
    public var assets: [Asset]?
    /// The platform's error text, on `failed`.
    public var error: String?
    /// Which worker saw it (host:pid).
    public var worker: String?
    /// When the worker saw it.
    public var time: Date
    /// On `canceled`: true when tilefleet ends the tile although the platform has not confirmed
    /// the cancel (unreachable, "try later"); the cancel is retried and the job may still run, so
    /// the recorder leaves the backend job open (`finished_at` null).
    public var cancelUnconfirmed: Bool? = nil
    /// What the platform says the attempt has cost so far (openEO `costs`, in its credits), as of
    /// this report; the latest report of an attempt is its cost.
    public var costs: Double? = nil
    /// What the platform says the attempt has used so far (openEO `usage`), by metric name.
    public var usage: [String: UsageQuantity]? = nil
    /// On `retrying`: the next attempt goes back to the dispatcher (the tile becomes `pending`), which
    /// may start it on another of the task's backends, instead of being queued on this one.
    public var released: Bool? = nil
    /// On `queued`: the platform refused to start the attempt for now ("try later": its concurrency
    /// limit, 429) and the worker handed the tile back to the coordinator instead of retrying it:
    /// the tile waits parked (with its job, if one was created) until the dispatcher has a slot
    /// under the backend's effective limit and starts it again, same attempt.
    public var parked: Bool? = nil

    public init(
        id: UUID = UUID(), task: String, tile: String, attempt: Int, status: EventStatus,
        rawStatus: String? = nil, backend: String? = nil, backendJobID: String? = nil,
        progress: Double? = nil, message: String? = nil, assets: [Asset]? = nil,
        error: String? = nil, worker: String? = nil, time: Date = Date()
    ) {
        self.schema = Self.schema
        self.id = id
        self.task = task
        self.tile = tile
        self.attempt = attempt
        self.status = status
        self.rawStatus = rawStatus
        self.backend = backend
        self.backendJobID = backendJobID
        self.progress = progress
        self.message = message
        self.assets = assets
        self.error = error
        self.worker = worker
        self.time = time
    }

    enum CodingKeys: String, CodingKey {
        case schema, id, task, tile, attempt, status, backend, progress, message, assets, error, worker, time, costs, usage
        case rawStatus = "raw_status"
        case backendJobID = "backend_job_id"
        case cancelUnconfirmed = "cancel_unconfirmed"
        case released, parked
    }

    /// A result link of a finished job.
    public struct Asset: Sendable, Codable, Equatable {
        /// The platform's own name for the asset (the STAC asset key, e.g. `openEO.tif`, an OGC output
        /// id): what a client looks the asset up by. Optional, so events of older workers still parse.
        public var key: String?
        public var href: String
        public var type: String?
        public var roles: [String]?
        public var title: String?
        public var size: Int?

        public init(key: String? = nil, href: String, type: String? = nil, roles: [String]? = nil, title: String? = nil, size: Int? = nil) {
            self.key = key
            self.href = href
            self.type = type
            self.roles = roles
            self.title = title
            self.size = size
        }
    }

    /// The routing key on `tilefleet.events`: `<task>.<tile>.<status>`.
    public var routingKey: String { "\(task).\(tile).\(status.rawValue)" }
}
