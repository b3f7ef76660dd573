import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// A local HTTP server on Hummingbird: the test peer of the HTTP client and the seed of the backend
/// simulator. The caller (a test, a benchmark, a simulated backend) adds its own routes.
///
/// Use it either as a `Service` inside a `ServiceGroup` (``run()``), or from tests with ``start()`` and
/// ``stop()``. Port 0 binds an ephemeral port; ``port`` reports the one bound.
///
/// ```swift
/// let server = SimulatorServer { router in DiagnosticRoutes().register(on: router) }
/// let port = try await server.start()
/// defer { Task { await server.stop() } }
/// ```
public final class SimulatorServer: Service, Sendable {
    /// The router type routes are registered on.
    public typealias Router = Hummingbird.Router<SimulatorRequestContext>

    /// The configured host, e.g. `127.0.0.1`.
    public let host: String
    private let application: Application<RouterResponder<SimulatorRequestContext>>
    private let state: State

    /// Creates a server listening on `host:port` (port 0: any free one) whose routes `routes` adds.
    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        logger: Logger? = nil,
        routes: (Router) -> Void
    ) {
        let router = Router(context: SimulatorRequestContext.self)
        routes(router)
        let state = State()
        var serverLogger = logger ?? Logger(label: "tilefleet.simulator")
        if logger == nil {
            serverLogger.logLevel = .warning
        }
        self.host = host
        self.state = state
        self.application = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "tilefleet-simulator"),
            onServerRunning: { channel in
                state.serverStarted(port: channel.localAddress?.port ?? 0)
            },
            logger: serverLogger
        )
    }

    /// The bound port, once the server is listening.
    public var port: Int? { self.state.port }

    /// `http://host:port`, once the server is listening.
    public var baseURL: String? { self.port.map { "http://\(self.host):\($0)" } }

    /// Runs the server until graceful shutdown or cancellation (the `Service` shape).
    public func run() async throws {
        do {
            try await self.application.run()
            self.state.serverStopped(error: nil)
        } catch {
            self.state.serverStopped(error: error)
            throw error
        }
    }

    /// Starts the server in the background and returns the bound port once it is listening.
    @discardableResult
    public func start() async throws -> Int {
        let group = ServiceGroup(
            configuration: .init(services: [self], gracefulShutdownSignals: [], logger: self.application.logger)
        )
        let task = Task { try await group.run() }
        self.state.setRunning(group: group, task: task)
        return try await self.state.waitForPort()
    }

    /// Shuts a server started with ``start()`` down gracefully, cancelling it if in-flight requests
    /// take longer than `gracePeriod`.
    public func stop(gracePeriod: Duration = .seconds(5)) async {
        guard let (group, task) = self.state.takeRunning() else { return }
        await group.triggerGracefulShutdown()
        let watchdog = Task {
            try await Task.sleep(for: gracePeriod)
            task.cancel()
        }
        _ = await task.result
        watchdog.cancel()
    }
}

extension SimulatorServer {
    /// Port discovery and the background run of ``start()``; lock-protected.
    final class State: @unchecked Sendable {
        private let lock = NSLock()
        private var boundPort: Int?
        private var failure: (any Error)?
        private var waiters: [CheckedContinuation<Int, any Error>] = []
        private var running: (ServiceGroup, Task<Void, any Error>)?

        var port: Int? { self.lock.withLock { self.boundPort } }

        func serverStarted(port: Int) {
            let waiters = self.lock.withLock {
                self.boundPort = port
                defer { self.waiters.removeAll() }
                return self.waiters
            }
            waiters.forEach { $0.resume(returning: port) }
        }

        func serverStopped(error: (any Error)?) {
            let waiters = self.lock.withLock {
                self.failure = error ?? CancellationError()
                defer { self.waiters.removeAll() }
                return self.waiters
            }
            waiters.forEach { $0.resume(throwing: error ?? CancellationError()) }
        }

        func waitForPort() async throws -> Int {
            try await withCheckedThrowingContinuation { continuation in
                let outcome: Result<Int, any Error>? = self.lock.withLock {
                    if let port = self.boundPort { return .success(port) }
                    if let failure = self.failure { return .failure(failure) }
                    self.waiters.append(continuation)
                    return nil
                }
                if let outcome {
                    continuation.resume(with: outcome)
                }
            }
        }

        func setRunning(group: ServiceGroup, task: Task<Void, any Error>) {
            self.lock.withLock {
                precondition(self.running == nil, "SimulatorServer.start() called twice")
                self.running = (group, task)
            }
        }

        func takeRunning() -> (ServiceGroup, Task<Void, any Error>)? {
            self.lock.withLock {
                defer { self.running = nil }
                return self.running
            }
        }
    }
}
