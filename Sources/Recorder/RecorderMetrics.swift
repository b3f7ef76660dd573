import Metrics
import Timing

/// The recorder's metrics through swift-metrics (`tilefleet recorder --metrics-port` serves them in
/// the Prometheus format):
/// - `tilefleet_recorder_messages_total{outcome}`: messages (events, heartbeats, ticks) taken from
///   the queue, `stored` or `rejected` (malformed, untagged, out of bounds, unknown tile); its rate
///   is the events per second.
/// - `tilefleet_recorder_batch_messages`: messages per written batch (histogram).
/// - `tilefleet_recorder_batch_seconds`: from a batch's handing out to its commit, retries included (histogram).
/// - `tilefleet_recorder_write_retries_total{reason}`: batch writes tried again (`database_unavailable`, `race`).
public struct RecorderMetrics: Sendable {
    let factory: any MetricsFactory

    /// Metrics made through `factory`: by default the one the process bootstrapped (read when
    /// this is made, so make it after `MetricsSystem.bootstrap`).
    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
    }

    /// The `# HELP` text of every metric above, by name.
    public static let help: [String: String] = [
        "tilefleet_recorder_messages_total": "Messages taken from the recorder queue, by outcome (stored or rejected).",
        "tilefleet_recorder_batch_messages": "Messages per written batch.",
        "tilefleet_recorder_batch_seconds": "Seconds from a batch's handing out to its commit, retries included.",
        "tilefleet_recorder_write_retries_total": "Batch writes tried again, by reason (database_unavailable, race).",
    ]

    /// A batch of `count` messages committed after `duration`, `rejected` of them rejected.
    func written(count: Int, rejected: Int, duration: Duration) {
        Counter(label: "tilefleet_recorder_messages_total", dimensions: [("outcome", "stored")], factory: factory).increment(by: count - rejected)
        Counter(label: "tilefleet_recorder_messages_total", dimensions: [("outcome", "rejected")], factory: factory).increment(by: rejected)
        Metrics.Recorder(label: "tilefleet_recorder_batch_messages", factory: factory).record(count)
        Metrics.Timer(label: "tilefleet_recorder_batch_seconds", factory: factory).recordNanoseconds(duration.inNanoseconds)
    }

    func retried(reason: String) {
        Counter(label: "tilefleet_recorder_write_retries_total", dimensions: [("reason", reason)], factory: factory).increment()
    }
}
