import FleetModel

/// One backend of a task over several (`backends:` in a task spec): its name, its weight when the
/// task spreads its tiles by weight, and what differs there from the task's own service and
/// `job_options`.
public struct BackendChoice: Sendable, Hashable, Codable {
    /// A backend name from the fleet configuration.
    public var name: String
    /// The share of the task's tiles this backend takes while several have free slots (see
    /// ``BackendSlotAssigner``); nil: the task fills its backends in order of preference.
    public var weight: Int?
    /// The service on this backend (`service:` override), when it is not the task's.
    public var process: BackendJob.Process?
    /// Where ``process`` came from, for people reading the task.
    public var serviceSource: String?
    /// Job options merged over the task's `job_options` on this backend.
    public var jobOptions: [String: JSONValue]?

    public init(name: String, weight: Int? = nil, process: BackendJob.Process? = nil, serviceSource: String? = nil,
                jobOptions: [String: JSONValue]? = nil) {
        self.name = name
        self.weight = weight
        self.process = process
        self.serviceSource = serviceSource
        self.jobOptions = jobOptions
    }
}
