import Testing
@testable import Telemetry
import Worker

/// The `# HELP` lines the endpoint adds to what swift-metrics exports.
@Suite struct MetricsEndpointTests {
    @Test func eachTypeLineGetsItsHelpOnceBeforeIt() {
        let exposition = """
            # TYPE tilefleet_worker_items_total counter
            tilefleet_worker_items_total{kind="submit",outcome="submitted"} 3
            # HELP already_helped Its own text.
            # TYPE already_helped gauge
            already_helped 1

            """
        let text = MetricsEndpoint.addingHelp(to: exposition, help: [
            "tilefleet_worker_items_total": "Items.\nSecond line with a \\ backslash.",
            "already_helped": "Not used.",
        ])
        #expect(text == """
            # HELP tilefleet_worker_items_total Items.\\nSecond line with a \\\\ backslash.
            # TYPE tilefleet_worker_items_total counter
            tilefleet_worker_items_total{kind="submit",outcome="submitted"} 3
            # HELP already_helped Its own text.
            # TYPE already_helped gauge
            already_helped 1

            """)
    }

    @Test func everyWorkerMetricHasAHelpText() {
        #expect(Set(WorkerMetrics.help.keys) == [
            "tilefleet_worker_items_total", "tilefleet_worker_backend_request_seconds", "tilefleet_worker_items_in_flight",
            "tilefleet_worker_jobs_polled_total", "tilefleet_worker_publish_failures_total",
        ])
        #expect(WorkerMetrics.help.values.allSatisfy { !$0.isEmpty })
    }
}
