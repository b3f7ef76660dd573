import ArgumentParser
import ChildProcess
import Foundation
import Logging
import Postgres
import Simulator
import Storage
import TilefleetCLI
#if canImport(Glibc)
import Glibc
#endif

/// A whole fleet of `tilefleet` processes against an in-process simulator, for the fleet
/// benchmarks: a fleet configuration with one openEO backend on the simulator and a topology of
/// its own, a migrated database, and the roles spawned on demand (logs in ``directory``).
final class BenchFleet {
    /// The backend's name, unique per fleet (tasks may use it as their id).
    let backend: String
    let directory: String
    /// `--config`, `--amqp-url` and `--database-url` for every `tilefleet` command of this fleet.
    let common: [String]
    let database: PostgresConnection
    let simulator: PlatformSimulator
    let tilefleet = TilefleetBench.tilefleetExecutable()
    private let server: SimulatorServer
    private var pids: [pid_t] = []

    private init(backend: String, directory: String, common: [String], database: PostgresConnection,
                 simulator: PlatformSimulator, server: SimulatorServer) {
        self.backend = backend
        self.directory = directory
        self.common = common
        self.database = database
        self.simulator = simulator
        self.server = server
    }

    /// Starts the simulator and writes the fleet configuration (`max_active`, polls from
    /// `pollSeconds.lowerBound` doubling to its upper bound, by default every second, and `waitTiers`);
    /// no role runs yet.
    static func start(_ name: String, simulator configuration: SimulatorConfiguration, maxActive: Int,
                      pollSeconds: ClosedRange<Int> = 1...1, waitTiers: [Int] = [1, 2],
                      connection: ConnectionOptions) async throws -> BenchFleet {
        var logger = Logger(label: "tilefleet.bench")
        logger.logLevel = .warning
        let id = UUID().uuidString.prefix(8).lowercased()
        let backend = "\(name)-\(id)"
        let simulator = PlatformSimulator(configuration: configuration)
        let server = SimulatorServer { simulator.register(on: $0) }
        let port = try await server.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tilefleet-bench-\(backend)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let amqpURL = try connection.resolvedAMQPURL()
        let databaseURL = try connection.resolvedDatabaseURL()
        try """
        topology: { prefix: bench-\(id), wait_tiers: [\(waitTiers.map(String.init).joined(separator: ", "))] }
        coordinator: { interval: 1s }
        backends:
          - name: \(backend)
            kind: openeo
            url: http://127.0.0.1:\(port)/openeo
            max_active: \(maxActive)
            poll: { min_interval: \(pollSeconds.lowerBound)s, max_interval: \(pollSeconds.upperBound)s }
        """.write(toFile: directory + "/fleet.yaml", atomically: true, encoding: .utf8)
        let database = try await PostgresConnection.connect(to: databaseURL, logger: logger)
        try await Migrator().migrate(database)
        return BenchFleet(backend: backend, directory: directory,
                          common: ["--config", directory + "/fleet.yaml", "--amqp-url", amqpURL, "--database-url", databaseURL],
                          database: database, simulator: simulator, server: server)
    }

    /// Writes a task spec on this fleet's backend over `aoi` cut at `grid`; returns its path.
    func writeTask(id: String, title: String, aoi: String, grid: String) throws -> String {
        let path = "\(directory)/\(id).yaml"
        try """
        id: \(id)
        title: \(title)
        backend: \(backend)
        service: { process: ndvi }
        split: { aoi: "\(aoi)", grid: "\(grid)" }
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Starts `tilefleet <arguments>` with this fleet's settings (log `<name>.log`); ``stop()`` ends it.
    @discardableResult
    func spawn(_ name: String, _ arguments: [String]) throws -> pid_t {
        let pid = try ChildProcess.spawn([tilefleet] + arguments + common, outputPath: "\(directory)/\(name).log").pid
        pids.append(pid)
        return pid
    }

    /// Runs `tilefleet <arguments>` with this fleet's settings to its end, on a thread of its own.
    func run(_ arguments: [String]) async -> (status: Int32, output: String) {
        await ChildProcess.runOnThread([tilefleet] + arguments + common)
    }

    /// Waits until every tile of `task` has ended.
    func waitUntilEnded(task: String) async throws {
        while try await database.query("""
            SELECT count(*) FROM tiles WHERE task_id = \(task) AND status NOT IN ('finished', 'failed', 'canceled')
            """)[0].decode(Int.self, at: 0) > 0 {
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Stops every role with SIGTERM, the simulator and the database connection, and removes the directory.
    func stop() async {
        for pid in pids { ChildProcess(pid: pid).stop(signal: SIGTERM) }
        pids = []
        await database.close()
        await server.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
