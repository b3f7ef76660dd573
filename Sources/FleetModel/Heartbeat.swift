import Foundation

/// A worker's sign of life for a tile attempt whose item it handled without a status change:
/// published to `tilefleet.events` with routing key `_alive.<task>.<tile>`, stored by the recorder
/// as the tile's `seen_at` (and its `trouble`), never as an event row.
///
/// A worker sends one before the lease of the item it hands on would outrun the last one, so a
/// tile that sends none for a lease period plus the longest submit has no item left that can act:
/// the coordinator may republish it without a second job. It also carries what keeps the item
/// from going on (a "try later", a failing status call), so `status` shows why a tile waits.
public struct Heartbeat: Sendable, Codable, Equatable, VersionedMessage {
    /// The wire schema this type reads and writes.
    public static let schema = "tilefleet.heartbeat/1"

    public var schema: String
    public var id: UUID
    public var task: String
    public var tile: String
    public var attempt: Int
    public var backend: String?
    /// Which worker sent it (host:pid).
    public var worker: String?
    /// When the worker handled the item.
    public var time: Date
    /// What keeps the item from going on, while it is deferred after a failure; nil when all is well.
    public var trouble: String?
    /// How many times in a row the item was deferred for trouble.
    public var tries: Int?

    public init(id: UUID = UUID(), task: String, tile: String, attempt: Int, backend: String? = nil, worker: String? = nil,
                time: Date, trouble: String? = nil, tries: Int? = nil) {
        self.schema = Self.schema
        self.id = id
        self.task = task
        self.tile = tile
        self.attempt = attempt
        self.backend = backend
        self.worker = worker
        self.time = time
        self.trouble = trouble
        self.tries = tries
    }

    /// The routing key on `tilefleet.events`: outside every task's `<task>.#`, so `watch` never sees it.
    public var routingKey: String { "_alive.\(task).\(tile)" }

    /// Decodes and validates a heartbeat, naming what is wrong.
    public static func decode(_ body: [UInt8]) throws(MessageRejection) -> Heartbeat {
        let beat = try MessageCoding.decode(Heartbeat.self, from: body, schema: Self.schema, reader: "recorder")
        try MessageCoding.checkTileAttempt(task: beat.task, tile: beat.tile, attempt: beat.attempt)
        try MessageLimits.check(beat.trouble, "trouble", limit: MessageLimits.trouble)
        return beat
    }
}
