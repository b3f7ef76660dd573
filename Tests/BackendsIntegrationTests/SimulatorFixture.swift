import Backends
import FleetConfig
import FleetModel
import Foundation
import HTTP
import Simulator
import TestSupport

/// Runs `body` against a fresh simulator server and HTTP client, then shuts both down.
func withSimulator(
    _ configuration: SimulatorConfiguration = SimulatorConfiguration(duration: .fixed(0.2)),
    _ body: (_ client: HTTPClient, _ origin: String, _ simulator: PlatformSimulator) async throws -> Void
) async throws {
    let simulator = PlatformSimulator(configuration: configuration)
    try await withLoopbackServer(SimulatorServer { simulator.register(on: $0) },
                                 client: .init(timeout: .seconds(5))) { client, origin in
        try await body(client, origin, simulator)
    }
}

/// Fast retries for tests.
let testPolicy = RequestRetryPolicy(maxAttempts: 4, initialDelay: .milliseconds(10), maxDelay: .milliseconds(50), maxRetryAfter: .seconds(2))

func openEOBasic(_ client: HTTPClient, _ origin: String, password: String = "tilefleet") -> OpenEOBackend {
    let base = origin + "/openeo"
    let plain = BackendTransport(client: client, policy: testPolicy)
    let auth = OpenEOAuthenticator.basic(baseURL: base, username: "tilefleet", password: Secret(password), transport: plain)
    return OpenEOBackend(name: "sim", baseURL: base, transport: plain.with(authenticator: auth))
}

func ogcBasic(_ client: HTTPClient, _ origin: String) -> OGCProcessesBackend {
    let transport = BackendTransport(
        client: client,
        policy: testPolicy,
        authenticator: StaticAuthenticator.basic(username: "tilefleet", password: Secret("tilefleet"))
    )
    return OGCProcessesBackend(name: "sim-ogc", baseURL: origin + "/ogc", transport: transport)
}

/// Polls until the job is final; returns every distinct raw status seen, in order.
func follow(_ backend: some Backend, _ id: String, timeout: Duration = .seconds(10)) async throws -> (BackendJobStatus, [String]) {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    var seen: [String] = []
    while true {
        let status = try await backend.status(of: id)
        if seen.last != status.rawStatus { seen.append(status.rawStatus) }
        if status.status.isFinal || clock.now > deadline { return (status, seen) }
        try await Task.sleep(for: .milliseconds(20))
    }
}
