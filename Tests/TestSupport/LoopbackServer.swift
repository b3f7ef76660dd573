import HTTP
import Simulator

/// Runs `body` with `server` started on a free loopback port and a fresh HTTP client, then shuts
/// both down, whether `body` throws or not.
public func withLoopbackServer(
    _ server: SimulatorServer, client configuration: HTTPClient.Configuration = .init(),
    _ body: (_ client: HTTPClient, _ baseURL: String) async throws -> Void
) async throws {
    let port = try await server.start()
    let client = HTTPClient(configuration: configuration)
    do {
        try await body(client, "http://127.0.0.1:\(port)")
    } catch {
        await client.shutdown()
        await server.stop()
        throw error
    }
    await client.shutdown()
    await server.stop()
}
