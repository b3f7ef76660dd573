import Hummingbird
import Logging
import ServiceLifecycle

/// `POST /callbacks/{token}`: where platforms call back (OGC API – Processes `subscriber`). A known
/// token wakes its job (``CallbackRegistry/wake(_:)``) and is answered 204; any other path or
/// token 404. The body is not read for anything: the poll it brings forward asks the platform.
public struct CallbackReceiver: Service {
    let application: Application<RouterResponder<BasicRequestContext>>

    public init(registry: CallbackRegistry, host: String = "0.0.0.0", port: Int, logger: Logger) {
        let router = Router()
        router.post("callbacks/:token") { _, context -> Response in
            let token = context.parameters.get("token") ?? ""
            return Response(status: registry.wake(token) ? .noContent : .notFound)
        }
        application = Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "tilefleet-worker"),
                                  logger: logger)
    }

    public func run() async throws {
        try await application.run()
    }
}
