@testable import Coordinator
import Prometheus
@testable import Recorder
@testable import Telemetry
import Testing

/// What the coordinator's and the recorder's metrics say after known passes, read back from a
/// private Prometheus registry as a scrape would.
@Suite struct RoleMetricsTests {
    private func scrape(_ registry: PrometheusCollectorRegistry, help: [String: String]) -> String {
        MetricsEndpoint.addingHelp(to: String(decoding: registry.emitToBuffer(), as: UTF8.self), help: help)
    }

    /// Every `# TYPE` line of `exposition` is preceded by its `# HELP` line.
    private func everyTypeHasHelp(_ exposition: String) -> Bool {
        let lines = exposition.split(separator: "\n")
        return lines.indices.allSatisfy { index in
            let words = lines[index].split(separator: " ")
            guard words.count >= 3, words[0] == "#", words[1] == "TYPE" else { return true }
            return index > 0 && lines[index - 1].hasPrefix("# HELP \(words[2]) ")
        }
    }

    @Test func aDispatchPassCountsTilesAndLeavesFreeSlotsPerBackend() {
        let registry = PrometheusCollectorRegistry()
        let metrics = CoordinatorMetrics(factory: PrometheusMetricsFactory(registry: registry))
        metrics.dispatched([DispatchOutcome(backend: "cdse", activeBefore: 3, published: ["t1": 4, "t2": 1]),
                            DispatchOutcome(backend: "vito", activeBefore: 10, published: [:])],
                           limits: ["cdse": 20, "vito": 10], duration: .milliseconds(12))
        metrics.dispatched([DispatchOutcome(backend: "cdse", activeBefore: 8, published: ["t1": 2])],
                           limits: ["cdse": 20, "vito": 10], duration: .milliseconds(3))
        metrics.recovered(polls: 2, submits: 1)
        metrics.failed(pass: "strays")
        let text = scrape(registry, help: CoordinatorMetrics.help)
        #expect(text.contains("tilefleet_coordinator_dispatch_passes_total 2"))
        #expect(text.contains("tilefleet_coordinator_tiles_dispatched_total{backend=\"cdse\"} 7"))
        #expect(text.contains("tilefleet_coordinator_tiles_dispatched_total{backend=\"vito\"} 0"))
        #expect(text.contains("tilefleet_coordinator_active_jobs{backend=\"cdse\"} 10.0"))
        #expect(text.contains("tilefleet_coordinator_free_slots{backend=\"cdse\"} 10.0"))
        #expect(text.contains("tilefleet_coordinator_free_slots{backend=\"vito\"} 0.0"))
        #expect(text.contains("tilefleet_coordinator_tiles_recovered_total{kind=\"poll\"} 2"))
        #expect(text.contains("tilefleet_coordinator_tiles_recovered_total{kind=\"submit\"} 1"))
        #expect(text.contains("tilefleet_coordinator_pass_failures_total{pass=\"strays\"} 1"))
        #expect(text.contains("tilefleet_coordinator_dispatch_pass_seconds_count 2"))
        #expect(everyTypeHasHelp(text), "\(text)")
    }

    @Test func aWrittenBatchCountsStoredAndRejectedMessages() {
        let registry = PrometheusCollectorRegistry()
        let metrics = RecorderMetrics(factory: PrometheusMetricsFactory(registry: registry))
        metrics.written(count: 500, rejected: 2, duration: .milliseconds(20))
        metrics.written(count: 40, rejected: 0, duration: .milliseconds(5))
        metrics.retried(reason: "database_unavailable")
        let text = scrape(registry, help: RecorderMetrics.help)
        #expect(text.contains("tilefleet_recorder_messages_total{outcome=\"stored\"} 538"))
        #expect(text.contains("tilefleet_recorder_messages_total{outcome=\"rejected\"} 2"))
        #expect(text.contains("tilefleet_recorder_batch_messages_count 2"))
        #expect(text.contains("tilefleet_recorder_batch_messages_sum 540"))
        #expect(text.contains("tilefleet_recorder_batch_seconds_count 2"))
        #expect(text.contains("tilefleet_recorder_write_retries_total{reason=\"database_unavailable\"} 1"))
        #expect(everyTypeHasHelp(text), "\(text)")
    }
}
