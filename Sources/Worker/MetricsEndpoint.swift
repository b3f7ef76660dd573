import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle

/// `GET /metrics` in the Prometheus text format, as a service beside the worker.
public struct MetricsEndpoint: Service {
    let application: Application<RouterResponder<BasicRequestContext>>

    public init(registry: PrometheusCollectorRegistry, host: String = "0.0.0.0", port: Int, logger: Logger) {
        let router = Router()
        router.get("metrics") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        application = Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "tilefleet-worker"),
                                  logger: logger)
    }

    public func run() async throws {
        try await application.run()
    }
}
