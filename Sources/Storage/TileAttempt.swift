import Foundation

/// One attempt's backend job of a tile (`backend_jobs`): what `serve` lists as a tile's attempts.
public struct TileAttempt: Sendable, Hashable {
    public var attempt: Int
    public var backend: String?
    public var jobID: String?
    public var status: String
    public var rawStatus: String?
    public var submittedAt: Date?
    public var startedAt: Date?
    public var finishedAt: Date?
    public var error: String?
    /// The platform's usage report (credits, CPU, memory) as JSON text, when it gave one.
    public var usageJSON: String?

    public init(attempt: Int, backend: String?, jobID: String?, status: String) {
        self.attempt = attempt
        self.backend = backend
        self.jobID = jobID
        self.status = status
    }
}
