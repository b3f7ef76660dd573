import FleetModel
import Foundation
import HTTP
import Simulator
import Synchronization
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A whole private fleet for one test: a fresh database, its own topology prefix, an in-process
/// simulator, and `tilefleet coordinator`, `recorder`, `worker` and `serve` subprocesses on them,
/// with two API users (alice, bob) whose tokens reach `serve` by environment variable.
final class ServeHarness: @unchecked Sendable {
    let db: TestDatabase
    let simulator: SimulatorServer
    let simulatorURL: String
    let scratch: ScratchFleet
    let port: Int
    let client = HTTPClient()
    private(set) var pids: [String: pid_t] = [:]
    let environment: [String: String]

    static let tokens = ["alice": "alice-token-7f3a", "bob": "bob-token-91c2"]

    init(simulator configuration: SimulatorConfiguration = SimulatorConfiguration(duration: .fixed(1), requireAuth: false)) async throws {
        db = try await TestDatabase.create()
        let platform = PlatformSimulator(configuration: configuration)
        simulator = SimulatorServer { platform.register(on: $0) }
        let simulatorPort = try await simulator.start()
        simulatorURL = "http://127.0.0.1:\(simulatorPort)/openeo"
        let prefix = "test-serve-\(UUID().uuidString.lowercased().prefix(8))"
        scratch = try ScratchFleet("serve", fleetYAML: """
            topology: { prefix: \(prefix), wait_tiers: [1, 2] }
            coordinator: { interval: 1s }
            backends:
              - name: sim
                kind: openeo
                url: \(simulatorURL)
                max_active: 50
                poll: { min_interval: 1s, max_interval: 1s }
                retry: { max_attempts: 3, initial_delay: 20ms, max_delay: 200ms, max_retry_after: 2s }
            serve:
              users:
                - { name: alice, token_env: SERVE_TEST_ALICE }
                - { name: bob, token_env: SERVE_TEST_BOB }
            """)
        port = Self.nextPort()
        environment = [
            "TILEFLEET_DATABASE_URL": db.url.unredactedString, "TILEFLEET_AMQP_URL": TestEnvironment.amqpURL,
            "TILEFLEET_CONFIG": scratch.configPath, "SERVE_TEST_ALICE": Self.tokens["alice"]!, "SERVE_TEST_BOB": Self.tokens["bob"]!,
        ]
    }

    /// Ports 19100–19199 are kept for these tests: each harness of the process takes the next one,
    /// from a random start (another test process picks another).
    private static let portCounter = Mutex(Int.random(in: 0..<100))
    static func nextPort() -> Int {
        portCounter.withLock { counter in
            defer { counter += 1 }
            return 19100 + counter % 100
        }
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts a role; its output goes to `<name>.log` in the scratch directory.
    func spawn(_ name: String, _ arguments: [String]) throws {
        pids[name] = try TestEnvironment.spawn([TestEnvironment.tilefleetBinary] + arguments, environment: environment,
                                               logPath: scratch.logPath("\(name).log"))
    }

    /// `serve` alone (for the API's own tests), waiting until `/health` answers.
    func startServe() async throws {
        try spawn("serve", ["serve", "--port", String(port)])
        let up = try await eventually(timeout: .seconds(60), every: .milliseconds(200)) {
            (try? await self.request("/health").status) == 200
        }
        if !up { throw HarnessError("serve did not answer /health on port \(port):\n\(log("serve"))") }
    }

    /// The whole fleet: coordinator, recorder, one worker, and serve.
    func startFleet() async throws {
        try spawn("coordinator", ["coordinator"])
        try spawn("recorder", ["recorder"])
        try spawn("worker", ["worker", "--no-metrics"])
        try await startServe()
    }

    func log(_ name: String) -> String { scratch.contents(ofLog: "\(name).log") }

    /// An HTTP exchange with `serve`.
    func request(_ path: String, method: HTTPClient.Method = .get, user: String? = nil, json: JSONValue? = nil,
                 headers extra: [(String, String)] = []) async throws -> HTTPClient.Response {
        var headers = HTTPClient.Headers()
        if let user { headers.add(name: "Authorization", value: "Bearer \(Self.tokens[user] ?? user)") }
        if json != nil { headers.add(name: "Content-Type", value: "application/json") }
        for (name, value) in extra { headers.add(name: name, value: value) }
        return try await client.execute(HTTPClient.Request(baseURL + path, method: method, headers: headers,
                                                           body: json.map { Data($0.canonicalJSON.utf8) }, timeout: .seconds(30)))
    }

    /// The body as JSON.
    static func json(_ response: HTTPClient.Response) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: response.body)
    }

    /// Sends SIGTERM to a role and returns its exit status.
    func terminate(_ name: String) -> Int32? {
        guard let pid = pids.removeValue(forKey: name) else { return nil }
        return TestEnvironment.stop(pid, signal: SIGTERM)
    }

    func shutDown() async {
        for (_, pid) in pids { TestEnvironment.stop(pid, signal: SIGKILL) }
        pids = [:]
        await client.shutdown()
        await simulator.stop()
        await db.drop()
        scratch.remove()
    }

    struct HarnessError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
