import FleetModel
import Foundation

/// A task with its tile counts per status (`tilefleet status` / `list`).
public struct TaskSummary: Sendable, Hashable {
    public var id: String
    public var title: String
    public var backend: String
    public var status: String
    public var priority: Int
    public var createdAt: Date
    public var counts: [String: Int]
    /// Tiles that reached a terminal status in the last ten minutes, × 6.
    public var tilesPerHour: Int = 0
    /// When a tile of the task last changed (its latest finish or status), if any did.
    public var lastChangeAt: Date?
    /// Platform jobs of the task a cancel was sent for whose end tilefleet has not seen: they may
    /// still run (and cost) while their cancels are retried.
    public var jobsMayRun: Int = 0
    /// Who asked for the task (`serve`'s user, or the operator's `USER`).
    public var requestedBy: String?
    /// When the task row itself last changed (created, canceled, retried).
    public var updatedAt: Date?
    /// Credits the platform reported for the task's attempts (ended ones and the latest reading
    /// of running ones); nil when it reported none.
    public var credits: Double?
    /// The task's budget and what counts against it, when it has one.
    public var budget: TaskBudget?
    /// Only its estimate sample runs until `tilefleet estimate TASK --run`.
    public var sampling = false
    /// Tiles in flight that wait on trouble (a "try later", a failing backend call), if any do.
    public var trouble: Trouble?

    /// What keeps a task's tiles waiting: how many wait, and the trouble most of them report.
    public struct Trouble: Sendable, Hashable {
        /// Tiles in flight with a trouble (whatever it is).
        public var tiles: Int
        /// The most common trouble text (the latest reported among equals).
        public var text: String
        /// When the earliest tile with this trouble began to have it.
        public var since: Date
        /// The most tries in a row of a tile with this trouble.
        public var tries: Int?

        public init(tiles: Int, text: String, since: Date, tries: Int?) {
            self.tiles = tiles
            self.text = text
            self.since = since
            self.tries = tries
        }
    }

    /// Where an active task stands against its budget (nil: no budget, or not active).
    public var budgetState: TaskBudget.State? {
        guard status == "active", !isDone, let budget else { return nil }
        return budget.state(pending: count("pending"))
    }

    public var total: Int { counts.values.reduce(0, +) }
    public func count(_ status: String) -> Int { counts[status] ?? 0 }
    /// Finished, failed or canceled.
    public var terminal: Int { count("finished") + count("failed") + count("canceled") }
    public var isDone: Bool { total > 0 && terminal == total }
    /// Seconds from creation to the last change: a finished task's own duration.
    public var elapsedSeconds: Double? { lastChangeAt.map { max(0, $0.timeIntervalSince(createdAt)) } }
    /// Seconds until done at the last ten minutes' pace (nil when nothing finished lately).
    public var etaSeconds: Double? { tilesPerHour > 0 ? Double(total - terminal) * 3600 / Double(tilesPerHour) : nil }

    public init(id: String, title: String, backend: String, status: String, priority: Int, createdAt: Date, counts: [String: Int]) {
        self.id = id
        self.title = title
        self.backend = backend
        self.status = status
        self.priority = priority
        self.createdAt = createdAt
        self.counts = counts
    }
}
