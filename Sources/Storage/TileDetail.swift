import Foundation

/// One tile as `serve` shows it: status, attempt, backend job, times, error and its job's
/// parameters (the APEx job's `parameters`, the map's tile popup).
public struct TileDetail: Sendable, Hashable {
    public var task: String
    public var tile: String
    public var status: String
    public var attempt: Int
    public var backend: String
    public var backendJobID: String?
    public var rawStatus: String?
    public var progress: Double?
    public var message: String?
    public var lastError: String?
    /// The job's parameters as stored: canonical JSON text of an object.
    public var parametersJSON: String
    /// GeoJSON geometry text (WGS84), when the tile has one.
    public var geometry: String?
    public var areaKm2: Double?
    public var createdAt: Date
    public var dispatchedAt: Date?
    public var submittedAt: Date?
    public var startedAt: Date?
    public var finishedAt: Date?
    public var updatedAt: Date
    /// What keeps the tile waiting while in flight, if anything does.
    public var trouble: String?

    public init(task: String, tile: String, status: String, attempt: Int, backend: String, parametersJSON: String,
                createdAt: Date, updatedAt: Date) {
        self.task = task
        self.tile = tile
        self.status = status
        self.attempt = attempt
        self.backend = backend
        self.parametersJSON = parametersJSON
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Seconds from dispatch to the backend accepting the job.
    public var queueWaitSeconds: Double? { TileResult.seconds(dispatchedAt, submittedAt) }
    /// Seconds the backend job ran (so far, for a running one: nil).
    public var runSeconds: Double? { TileResult.seconds(startedAt ?? submittedAt, finishedAt) }
}
