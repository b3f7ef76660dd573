import FleetModel
import Foundation

/// One unit of work for a worker, carrying everything it needs: workers keep no state between
/// messages, so any worker can take any item, and a killed worker's items go to another.
///
/// The coordinator publishes `submit` items to `tilefleet.work` with the backend name as routing
/// key; a worker turns a submitted job into `poll` items that travel through the delay tiers; a
/// `cancel` item asks for an attempt's backend job to be cancelled (found by idempotency key when
/// the item carries no job id).
public struct WorkItem: Sendable, Codable, Equatable, VersionedMessage {
    /// The wire schema this type reads and writes.
    public static let schema = "tilefleet.work-item/1"

    public enum Kind: String, Sendable, Codable {
        case submit
        case poll
        case cancel
    }

    public var schema: String
    public var kind: Kind
    public var task: String
    public var tile: String
    public var attempt: Int
    public var maxAttempts: Int
    /// The backend's name in the fleet configuration; also the routing key.
    public var backend: String
    /// What to run on the backend.
    public var job: BackendJob
    /// `tilefleet:<task>:<tile>:<attempt>`: goes into the backend job's title, so a redelivered
    /// submit finds the job it may already have created instead of creating a second one.
    public var idempotencyKey: String
    /// Known once submitted.
    public var backendJobID: String?
    /// Polls done so far (drives the growing poll delay).
    public var pollCount: Int
    /// When the item should next be looked at (informational: the delay tier enforces it).
    public var notBefore: Date?
    /// When the backend job was submitted (for `maxRuntime`).
    public var submittedAt: Date?
    /// Cancel the backend job when it runs longer than this.
    public var maxRuntimeSeconds: Int?
    /// The last raw status seen, so an event is published only on change.
    public var lastRawStatus: String?
    /// The attempt's job may already exist on the platform (the item was republished, e.g. by
    /// `resume` after a broker loss): the worker looks it up by idempotency key before it submits.
    /// Absent on the wire means false.
    public var mayExist: Bool?
    /// The item's lease: a worker does nothing with it after this time (it acks it and lets the
    /// coordinator republish the tile), so whoever republishes a silent tile once every lease has
    /// run out knows no older item can still submit or poll. Absent: no lease (never lapses).
    public var leaseUntil: Date?
    /// The last sign of life of this tile attempt that reached the recorder's way: when the
    /// coordinator published the item, or the worker's last ``Heartbeat``. A lease never runs
    /// longer than one lease period past it.
    public var aliveAt: Date?
    /// The host whose queue the item goes to (`<backend>@<host>`): set on the polls and cancels of
    /// a command backend's job, which only that host can see. Absent: the backend's queue.
    public var host: String?
    /// A one-shot poll a platform's callback asked for: it looks at the job now and carries the work
    /// on only when the job has ended (the item it was copied from keeps polling). Absent: false.
    public var wake: Bool?
    /// The task runs over several backends and its next attempt goes back to the dispatcher (which
    /// may give it another backend) instead of to this backend: a failed attempt ends in a
    /// `retrying` event marked ``StatusEvent/released`` and no submit. Absent: false.
    public var retryElsewhere: Bool?
    /// The poll's time (``notBefore``) comes from a learned schedule: a worker that gets the item
    /// more than half the shortest wait tier before it sends it back to wait, without asking the
    /// platform (the tiers only round a wait down). Absent: false, polled on arrival.
    public var scheduled: Bool?
    /// When a poll last saw the job not yet ended: with the look that finds it ended, it bounds
    /// the job's end for the worker's ``scheduled`` polls of the task's next jobs. Absent: none did.
    public var seenRunningAt: Date?

    /// Where the work exchange routes the item: the backend's name, or `<backend>@<host>`.
    public var routingKey: String { host.map { "\(backend)@\($0)" } ?? backend }

    public init(kind: Kind, task: String, tile: String, attempt: Int = 1, maxAttempts: Int = 3, backend: String,
                job: BackendJob, backendJobID: String? = nil, pollCount: Int = 0, notBefore: Date? = nil,
                submittedAt: Date? = nil, maxRuntimeSeconds: Int? = nil, lastRawStatus: String? = nil, mayExist: Bool? = nil,
                leaseUntil: Date? = nil, aliveAt: Date? = nil, host: String? = nil, wake: Bool? = nil, scheduled: Bool? = nil) {
        self.schema = Self.schema
        self.kind = kind
        self.task = task
        self.tile = tile
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.backend = backend
        self.job = job
        self.idempotencyKey = Self.idempotencyKey(task: task, tile: tile, attempt: attempt)
        self.backendJobID = backendJobID
        self.pollCount = pollCount
        self.notBefore = notBefore
        self.submittedAt = submittedAt
        self.maxRuntimeSeconds = maxRuntimeSeconds
        self.lastRawStatus = lastRawStatus
        self.mayExist = mayExist
        self.leaseUntil = leaseUntil
        self.aliveAt = aliveAt
        self.host = host
        self.wake = wake
        self.scheduled = scheduled
    }

    /// The key of one tile attempt; the same as `backend_jobs.idempotency_key` in PostgreSQL.
    public static func idempotencyKey(task: String, tile: String, attempt: Int) -> String {
        "tilefleet:\(task):\(tile):\(attempt)"
    }

    enum CodingKeys: String, CodingKey {
        case schema, kind, task, tile, attempt, backend, job, host, wake, scheduled
        case maxAttempts = "max_attempts"
        case seenRunningAt = "seen_running_at"
        case idempotencyKey = "idempotency_key"
        case backendJobID = "backend_job_id"
        case pollCount = "poll_count"
        case notBefore = "not_before"
        case submittedAt = "submitted_at"
        case maxRuntimeSeconds = "max_runtime_seconds"
        case lastRawStatus = "last_raw_status"
        case mayExist = "may_exist"
        case leaseUntil = "lease_until"
        case aliveAt = "alive_at"
        case retryElsewhere = "retry_elsewhere"
    }
}

extension WorkItem {
    /// Decodes and validates a work item, naming what is wrong.
    public static func decode(_ body: [UInt8]) throws(MessageRejection) -> WorkItem {
        let item = try MessageCoding.decode(WorkItem.self, from: body, schema: Self.schema, reader: "worker")
        guard item.attempt >= 1 else { throw MessageRejection("field 'attempt' must be ≥ 1, got \(item.attempt)") }
        guard item.maxAttempts >= 1 else { throw MessageRejection("field 'max_attempts' must be ≥ 1") }
        guard !item.backend.isEmpty else { throw MessageRejection("field 'backend' is empty") }
        if let host = item.host, host.isEmpty || host.contains(where: { $0 == "@" || $0 == "#" || $0 == "*" || $0.isWhitespace }) {
            throw MessageRejection("field 'host' is not a host name: '\(host)'")
        }
        // A cancel may come before its attempt's job is known; the worker then looks it up.
        if item.kind == .poll && item.backendJobID == nil {
            throw MessageRejection("a poll item needs 'backend_job_id'")
        }
        return item
    }
}
