import ArgumentParser
import Logging
import Metrics
import Prometheus
import Telemetry

/// The `/metrics` options every long-running role shares. A worker serves metrics on 9464 unless
/// told otherwise; the coordinator and the recorder serve them only when given a port (several of
/// them often run on one host, and a fixed default would clash).
struct MetricsOptions: ParsableArguments {
    @Option(help: "Port of the Prometheus /metrics endpoint (0: any free port). A worker serves on 9464 by default; the coordinator and the recorder only when this is given.")
    var metricsPort: Int?

    @Flag(help: "Serve no /metrics endpoint.")
    var noMetrics = false

    @Option(help: "IP address the /metrics endpoint listens on (0.0.0.0 or :: for every interface).")
    var metricsAddress = "127.0.0.1"

    func validate() throws {
        if let metricsPort { try OptionRange.requirePort(metricsPort, "--metrics-port") }
        try OptionRange.requireAddress(metricsAddress, "--metrics-address")
    }

    /// Bootstraps swift-metrics with Prometheus and returns the endpoint serving it on
    /// `--metrics-port` (else `defaultPort`), or nil, bootstrapping nothing, when metrics are off.
    /// Call it before the role creates its services: metrics made earlier go nowhere.
    func bootstrap(defaultPort: Int?, help: [String: String], serverName: String, logger: Logger) -> MetricsEndpoint? {
        guard !noMetrics, let port = metricsPort ?? defaultPort else { return nil }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return MetricsEndpoint(registry: registry, host: metricsAddress, port: port,
                               help: help.merging(MetricsEndpoint.connectionHelp) { own, _ in own },
                               serverName: serverName, logger: logger)
    }
}
