import Hummingbird
import Prometheus

/// Counts requests by route (the matched pattern, e.g. `/upscale_tasks/{id}`, never the ids
/// themselves, so the label set stays small), method and status: `tilefleet_serve_requests_total`.
/// It wraps ``CorrelationMiddleware``, so errors are counted with the status they were answered with.
public struct RequestMetricsMiddleware: RouterMiddleware {
    public typealias Context = ServeContext
    public static let name = "tilefleet_serve_requests_total"
    static var descriptor: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "tilefleet", subsystem: "serve", metricName: "requests", unitName: "total",
                             helpText: "HTTP requests answered by tilefleet serve, by route pattern, method and status")
    }
    let registry: PrometheusCollectorRegistry

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    public func handle(_ request: Request, context: ServeContext, next: (Request, ServeContext) async throws -> Response) async throws -> Response {
        let response = try await next(request, context)
        let route = context.endpointPath ?? "unmatched"
        registry.makeCounter(descriptor: Self.descriptor, labels: [
            ("route", route), ("method", request.method.rawValue), ("status", String(response.status.code)),
        ]).increment()
        return response
    }
}
