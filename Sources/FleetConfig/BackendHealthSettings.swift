/// When the coordinator takes a backend out of dispatch and how often it probes it meanwhile: a
/// backend's `health:` settings in the fleet config (docs/backends.md, "Health and failover").
///
/// ```yaml
/// health: { unhealthy_after: 3, probe_interval: 30s }
/// ```
public struct BackendHealthSettings: Sendable, Hashable {
    /// Failed submits in a row that make the backend unhealthy (one refusal of the credentials does at once).
    public var unhealthyAfter: Int
    /// How often an unhealthy backend is probed; nil: every `coordinator.interval`, at least 10 s.
    public var probeInterval: Duration?

    public init(unhealthyAfter: Int = 3, probeInterval: Duration? = nil) {
        self.unhealthyAfter = unhealthyAfter
        self.probeInterval = probeInterval
    }

    /// The probe interval in use, given the coordinator's dispatch interval.
    public func probeInterval(dispatchInterval: Duration) -> Duration {
        probeInterval ?? max(dispatchInterval, .seconds(10))
    }
}
