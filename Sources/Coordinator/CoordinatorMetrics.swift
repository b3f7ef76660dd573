import Metrics
import Timing

/// The coordinator's metrics through swift-metrics (`tilefleet coordinator --metrics-port` serves
/// them in the Prometheus format):
/// - `tilefleet_coordinator_dispatch_passes_total`: dispatch passes over all backends.
/// - `tilefleet_coordinator_dispatch_pass_seconds`: how long a pass over all backends took (histogram).
/// - `tilefleet_coordinator_tiles_dispatched_total{backend}`: tiles released to the work queues.
/// - `tilefleet_coordinator_active_jobs{backend}`: tiles in flight after the last pass.
/// - `tilefleet_coordinator_free_slots{backend}`: `max_active` minus the tiles in flight after the last pass.
/// - `tilefleet_coordinator_tiles_recovered_total{kind}`: tiles republished by recovery passes, as polls or submits.
/// - `tilefleet_coordinator_pass_failures_total{pass}`: dispatch, recovery and stray-job passes that failed.
/// - `tilefleet_coordinator_job_ends_total{backend}`: `finished` events read off the events
///   exchange, each freeing its slot before the recorder stores it (``EndedJobs``).
/// - `tilefleet_coordinator_backend_effective_limit{backend}`, `…_backend_max_active{backend}`,
///   `…_backend_healthy{backend}`: what ``BackendMonitor`` judged in its last round.
public struct CoordinatorMetrics: Sendable {
    let factory: any MetricsFactory

    /// Metrics made through `factory`: by default the one the process bootstrapped (read when
    /// this is made, so make it after `MetricsSystem.bootstrap`).
    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
    }

    /// The `# HELP` text of every metric above, by name.
    public static let help: [String: String] = [
        "tilefleet_coordinator_dispatch_passes_total": "Dispatch passes over all backends.",
        "tilefleet_coordinator_dispatch_pass_seconds": "Duration of a dispatch pass over all backends in seconds.",
        "tilefleet_coordinator_tiles_dispatched_total": "Tiles released to the work queues, by backend.",
        "tilefleet_coordinator_active_jobs": "Tiles in flight after the last dispatch pass, by backend.",
        "tilefleet_coordinator_free_slots": "max_active minus the tiles in flight after the last dispatch pass, by backend.",
        "tilefleet_coordinator_tiles_recovered_total": "Tiles republished by recovery passes, by kind (poll or submit).",
        "tilefleet_coordinator_pass_failures_total": "Passes that failed, by pass (dispatch, recovery, strays).",
        "tilefleet_coordinator_job_ends_total": "Finished jobs the coordinator read off the events exchange, freeing their slots before the recorder stored them, by backend.",
        "tilefleet_coordinator_backend_effective_limit": "Jobs the coordinator lets a backend have at once: its max_active, or less after the platform said try later.",
        "tilefleet_coordinator_backend_max_active": "A backend's configured max_active.",
        "tilefleet_coordinator_backend_healthy": "1 while the backend takes new tiles, 0 while it is unhealthy (until a probe succeeds).",
    ]

    /// Records one pass over all backends: its duration and, per backend, what it released and
    /// the slots left (`limits` are the backends' `max_active`).
    func dispatched(_ outcomes: [DispatchOutcome], limits: [String: Int], duration: Duration) {
        Counter(label: "tilefleet_coordinator_dispatch_passes_total", factory: factory).increment()
        Metrics.Timer(label: "tilefleet_coordinator_dispatch_pass_seconds", factory: factory).recordNanoseconds(duration.inNanoseconds)
        for outcome in outcomes {
            let dimensions = [("backend", outcome.backend)]
            Counter(label: "tilefleet_coordinator_tiles_dispatched_total", dimensions: dimensions, factory: factory).increment(by: outcome.total)
            let active = outcome.activeBefore + outcome.total
            Gauge(label: "tilefleet_coordinator_active_jobs", dimensions: dimensions, factory: factory).record(active)
            Gauge(label: "tilefleet_coordinator_free_slots", dimensions: dimensions, factory: factory).record(max(0, (limits[outcome.backend] ?? 0) - active))
        }
    }

    func recovered(polls: Int, submits: Int) {
        Counter(label: "tilefleet_coordinator_tiles_recovered_total", dimensions: [("kind", "poll")], factory: factory).increment(by: polls)
        Counter(label: "tilefleet_coordinator_tiles_recovered_total", dimensions: [("kind", "submit")], factory: factory).increment(by: submits)
    }

    /// A backend as the monitor judged it this round.
    func backend(_ name: String, effectiveLimit: Int, maxActive: Int, healthy: Bool) {
        let dimensions = [("backend", name)]
        Gauge(label: "tilefleet_coordinator_backend_effective_limit", dimensions: dimensions, factory: factory).record(effectiveLimit)
        Gauge(label: "tilefleet_coordinator_backend_max_active", dimensions: dimensions, factory: factory).record(maxActive)
        Gauge(label: "tilefleet_coordinator_backend_healthy", dimensions: dimensions, factory: factory).record(healthy ? 1 : 0)
    }

    /// A `finished` event read off the events exchange, noted for the next pass.
    func jobEnded(backend: String) {
        Counter(label: "tilefleet_coordinator_job_ends_total", dimensions: [("backend", backend)], factory: factory).increment()
    }

    func failed(pass: String) {
        Counter(label: "tilefleet_coordinator_pass_failures_total", dimensions: [("pass", pass)], factory: factory).increment()
    }
}
