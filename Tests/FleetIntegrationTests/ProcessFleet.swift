import Foundation
import Postgres
import Simulator
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A private fleet: its own database, topology prefix, config file and simulator.
struct ProcessFleet {
    let db: TestDatabase
    let simulator: PlatformSimulator
    let server: SimulatorServer
    let directory: String
    let config: String
    let prefix: String
    let amqpURL: String

    /// `auth`: the `sim` backend's `auth:` mapping (flow YAML; relative files are in the fleet's directory);
    /// `backendExtra`: more keys of the `sim` backend (YAML lines at the backend's level);
    /// `topologyExtra`: more keys of `topology:`; `moreBackends`: more backends (YAML list items);
    /// `extra`: more top-level sections; `databaseURL`: the server the fleet's database is made on;
    /// `simulatorHost`: the address the simulator listens on (and the backend's URL names);
    /// `port`: the simulator's port (0: any free one).
    static func start(maxActive: Int, simulator configuration: SimulatorConfiguration, amqpURL: String = TestEnvironment.amqpURL,
                      auth: String = "{ method: basic, username: tilefleet, password_env: TILEFLEET_SIM_PASSWORD }",
                      databaseURL: String = TestEnvironment.databaseURL, simulatorHost: String = "127.0.0.1",
                      backendExtra: String = "", topologyExtra: String = "", moreBackends: String = "",
                      extra: String = "", port: Int = 0) async throws -> ProcessFleet {
        let db = try await TestDatabase.create(serverURL: databaseURL)
        let prefix = "e2e-\(UUID().uuidString.prefix(8).lowercased())"
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tilefleet-\(prefix)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let simulator = PlatformSimulator(configuration: configuration)
        let server = SimulatorServer(host: simulatorHost, port: port) { simulator.register(on: $0) }
        let port = try await server.start()
        let config = directory + "/fleet.yaml"
        try """
        broker:
          url: \(amqpURL)
        database:
          url: \(db.url.unredactedString)
        topology:
          prefix: \(prefix)
          wait_tiers: [1, 2]
          \(topologyExtra)
        coordinator:
          interval: 1s
        backends:
          - name: sim
            kind: openeo
            url: http://\(simulatorHost):\(port)/openeo
            max_active: \(maxActive)
            poll: { min_interval: 1s, max_interval: 2s }
            auth: \(auth)
        \(backendExtra.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
        \(moreBackends.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        \(extra)
        """.write(toFile: config, atomically: true, encoding: .utf8)
        return ProcessFleet(db: db, simulator: simulator, server: server, directory: directory, config: config, prefix: prefix,
                            amqpURL: amqpURL)
    }

    /// Runs `tilefleet <arguments> --config <config>` in the background; output in `<name>.log`.
    /// `as`: environment that wins over the fleet's (a role's own broker or database URL);
    /// `launcher`: what runs the command (`ip netns exec NAME` for a host of its own).
    func spawn(_ name: String, _ arguments: [String], as role: [String: String] = [:], launcher: [String] = []) throws -> pid_t {
        try TestEnvironment.spawn(launcher + [TestEnvironment.tilefleetBinary] + arguments + ["--config", config],
                                  environment: environment.merging(role) { $1 }, logPath: "\(directory)/\(name).log")
    }

    /// The fleet as users run it: a recorder, a coordinator and two workers (logs `recorder.log`,
    /// `coordinator.log`, `worker-1.log`, `worker-2.log`).
    func spawnRoles() throws -> [pid_t] {
        [
            try spawn("recorder", ["recorder"]),
            try spawn("coordinator", ["coordinator"]),
            try spawn("worker-1", ["worker", "--no-metrics"]),
            try spawn("worker-2", ["worker", "--no-metrics"]),
        ]
    }

    /// Runs `tilefleet <arguments> --config <config>` to the end.
    func run(_ arguments: [String], as role: [String: String] = [:]) throws -> (Int32, String) {
        try TestEnvironment.run([TestEnvironment.tilefleetBinary] + arguments + ["--config", config],
                                environment: environment.merging(role) { $1 })
    }

    /// ``run(_:as:)`` on a thread of its own, for commands that wait on the fleet (the simulator
    /// answers on the cooperative pool this would otherwise block).
    func runOnThread(_ arguments: [String], as role: [String: String] = [:]) async throws -> (Int32, String) {
        try await TestEnvironment.runOnThread([TestEnvironment.tilefleetBinary] + arguments + ["--config", config],
                                              environment: environment.merging(role) { $1 })
    }

    /// The URLs in the environment win over the file: point them at this fleet's too.
    var environment: [String: String] {
        ["TILEFLEET_SIM_PASSWORD": "tilefleet", "TILEFLEET_AMQP_URL": amqpURL,
         "TILEFLEET_DATABASE_URL": db.url.unredactedString]
    }

    func count(_ sql: PostgresQuery) async throws -> Int {
        try await db.connection.query(sql)[0].decode(Int.self, at: 0)
    }

    func stop() async {
        try? await server.stop()
        await db.drop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

