import Hummingbird
import HummingbirdWebSocket
import Logging
import Prometheus
import ServiceLifecycle

/// `tilefleet serve` as a service: the APEx routes, tilefleet's own routes, the live map, the
/// websockets and `/metrics` on one port. Run in a `ServiceGroup`, it stops on SIGTERM after the
/// requests in flight (Hummingbird's graceful shutdown).
public struct ServeService: Service {
    let application: Application<RouterResponder<ServeContext>>

    /// - Parameters:
    ///   - onServerRunning: called with the bound port once the server listens.
    public init(fleet: ServeFleet, tokens: BearerTokens, host: String, port: Int, registry: PrometheusCollectorRegistry,
                leafletDirectory: String = MapRoutes.defaultLeafletDirectory, logger: Logger,
                onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) {
        let router = Router(context: ServeContext.self)
        router.middlewares.add(RequestMetricsMiddleware(registry: registry))
        router.middlewares.add(CorrelationMiddleware())
        router.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        let apex = APExRoutes(fleet: fleet)
        let authenticated = router.group().add(middleware: BearerAuthMiddleware(tokens: tokens))
        apex.register(open: router, authenticated: authenticated)
        FleetRoutes(fleet: fleet).register(on: authenticated)
        MapRoutes(leafletDirectory: leafletDirectory, baseMap: fleet.configuration.serve.baseMap, logger: logger).register(on: router)

        let sockets = Router(context: BasicWebSocketRequestContext.self)
        StatusSocket(routes: apex, tokens: tokens).register(on: sockets)
        EventSocket(fleet: fleet, tokens: tokens).register(on: sockets)
        application = Application(
            router: router, server: .http1WebSocketUpgrade(webSocketRouter: sockets),
            configuration: .init(address: .hostname(host, port: port), serverName: "tilefleet-serve"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    public func run() async throws {
        try await application.run()
    }
}
