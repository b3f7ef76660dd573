import Foundation

/// One recorded status event of a task (`events`): what `serve` streams as the task's live log.
public struct TaskEvent: Sendable, Hashable {
    /// The event's own id (a UUID).
    public var id: String
    public var tile: String
    public var attempt: Int
    public var status: String
    public var rawStatus: String?
    public var backend: String?
    public var backendJobID: String?
    public var progress: Double?
    public var message: String?
    public var error: String?
    public var worker: String?
    /// When the worker saw it.
    public var occurredAt: Date
    /// When the recorder stored it (its batch's transaction time).
    public var recordedAt: Date

    public init(id: String, tile: String, attempt: Int, status: String, occurredAt: Date, recordedAt: Date) {
        self.id = id
        self.tile = tile
        self.attempt = attempt
        self.status = status
        self.occurredAt = occurredAt
        self.recordedAt = recordedAt
    }
}
