import Metrics
import Timing

/// The worker's metrics through swift-metrics (exported by whatever backend the process
/// bootstraps; `tilefleet worker` uses Prometheus):
/// - `tilefleet_worker_items_total{kind, outcome}`: items handled.
/// - `tilefleet_worker_backend_request_seconds{backend, call, result}`: backend call latency (histogram).
/// - `tilefleet_worker_items_in_flight`: deliveries being handled now.
/// - `tilefleet_worker_jobs_polled_total{backend}`: polls of live backend jobs (its rate × the poll
///   interval estimates the backend jobs this worker keeps in flight).
/// - `tilefleet_worker_publish_failures_total`: deliveries left unacked because a follow-up was not confirmed.
///
/// Broker and database reconnects are counted by the AMQP and Postgres targets for every role
/// (``MetricsEndpoint/connectionHelp``).
public struct WorkerMetrics: Sendable {
    public init() {}

    /// The `# HELP` text of every metric above, by name: swift-metrics carries none, so
    /// ``MetricsEndpoint`` adds them to the exposition.
    public static let help: [String: String] = [
        "tilefleet_worker_items_total": "Work items handled, by kind and outcome.",
        "tilefleet_worker_backend_request_seconds": "Latency of backend calls in seconds, by backend, call and result (ok or error).",
        "tilefleet_worker_items_in_flight": "Deliveries being handled now.",
        "tilefleet_worker_jobs_polled_total": "Polls of live backend jobs, by backend.",
        "tilefleet_worker_publish_failures_total": "Deliveries left unacked because a follow-up publish was not confirmed.",
    ]

    let inFlight = Meter(label: "tilefleet_worker_items_in_flight")
    let publishFailures = Counter(label: "tilefleet_worker_publish_failures_total")

    func handled(kind: String, outcome: String) {
        Counter(label: "tilefleet_worker_items_total", dimensions: [("kind", kind), ("outcome", outcome)]).increment()
    }

    func backendCall(backend: String, call: String, succeeded: Bool, duration: Duration) {
        Metrics.Timer(label: "tilefleet_worker_backend_request_seconds",
                      dimensions: [("backend", backend), ("call", call), ("result", succeeded ? "ok" : "error")])
            .recordNanoseconds(duration.inNanoseconds)
    }

    func polled(backend: String) {
        Counter(label: "tilefleet_worker_jobs_polled_total", dimensions: [("backend", backend)]).increment()
    }
}
