import FleetModel
import Foundation

/// One look at a backend job: the unified status, the platform's own word and what else it said.
public struct BackendJobStatus: Sendable, Hashable, Codable {
    /// The unified status.
    public var status: BackendStatus
    /// The platform's status word as sent (e.g. `queued`, `successful`).
    public var rawStatus: String
    /// Progress in percent (0…100) when the platform reports it.
    public var progress: Double?
    /// The platform's message (an error's text for a failed job), if any.
    public var message: String?
    /// What the job has cost so far in the platform's credits (openEO `costs`), when reported.
    public var costs: Double?
    /// What the job has used so far (openEO `usage`), when reported; screened to fit a status event.
    public var usage: [String: UsageQuantity]?

    public init(status: BackendStatus, rawStatus: String, progress: Double? = nil, message: String? = nil,
                costs: Double? = nil, usage: [String: UsageQuantity]? = nil) {
        self.status = status
        self.rawStatus = rawStatus
        self.progress = progress
        self.message = message
        self.costs = costs
        self.usage = usage
    }
}
