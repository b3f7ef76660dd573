import AMQP
import FleetModel
import Foundation
import Logging
import Messaging
import Simulator
#if canImport(Glibc)
import Glibc
#endif

/// One `tilefleet worker` against an in-process simulator, on a topology of its own, for the
/// benchmarks that publish work items themselves and read the events from the recorder's queue
/// (no coordinator, no recorder, no database): the backend `sim` of `kind` with polls from
/// `pollMin` doubling to `pollMax` seconds, and a wait tier for each step.
final class BenchWorkerRig {
    let simulator: PlatformSimulator
    let topology: Topology
    /// A channel in confirm mode, for publishing items and consuming events.
    let channel: AMQPChannel
    let directory: String
    private let server: SimulatorServer
    private let amqp: AMQPConnection
    private let pid: pid_t

    private init(simulator: PlatformSimulator, topology: Topology, channel: AMQPChannel, directory: String, server: SimulatorServer,
                 amqp: AMQPConnection, pid: pid_t) {
        self.simulator = simulator
        self.topology = topology
        self.channel = channel
        self.directory = directory
        self.server = server
        self.amqp = amqp
        self.pid = pid
    }

    /// Starts the simulator, declares the topology and starts the worker (with `workerArguments`
    /// added); returns once the worker has had two seconds to start consuming.
    static func start(_ name: String, simulator configuration: SimulatorConfiguration, kind: String, pollMin: Int, pollMax: Int,
                      amqpURL: String, workerArguments: [String] = []) async throws -> BenchWorkerRig {
        let id = UUID().uuidString.lowercased().prefix(8)
        let simulator = PlatformSimulator(configuration: configuration)
        let server = SimulatorServer { simulator.register(on: $0) }
        let port = try await server.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tilefleet-bench-\(name)-\(id)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let configPath = directory + "/fleet.yaml"
        try """
        backends:
          - name: sim
            kind: \(kind)
            url: http://127.0.0.1:\(port)/\(kind == "ogc" ? "ogc" : "openeo")
            max_active: 100000
            poll: { min_interval: \(pollMin)s, max_interval: \(pollMax)s }
        """.write(toFile: configPath, atomically: true, encoding: .utf8)
        let tiers = waitTiers(from: pollMin, to: pollMax)
        var logger = Logger(label: "tilefleet.bench")
        logger.logLevel = .warning
        let topology = Topology(prefix: "bench-\(id)", backends: ["sim"], waitTiers: tiers)
        let amqp = try await AMQPConnection.connect(url: amqpURL, logger: logger)
        let channel = try await amqp.openChannel()
        try await topology.declare(on: channel)
        try await channel.enablePublisherConfirms()
        let arguments = [TilefleetBench.tilefleetExecutable(), "worker", "--config", configPath, "--amqp-url", amqpURL, "--prefix", topology.prefix,
                         "--wait-tiers", tiers.map(String.init).joined(separator: ","), "--no-metrics", "--log-level", "warning"] + workerArguments
        let pid = try BenchWorker.spawn(arguments, logPath: directory + "/worker.log")
        try await Task.sleep(for: .seconds(2))
        return BenchWorkerRig(simulator: simulator, topology: topology, channel: channel, directory: directory, server: server,
                              amqp: amqp, pid: pid)
    }

    /// Wait tiers for polls from `pollMin` doubling to `pollMax` seconds: one per step.
    static func waitTiers(from pollMin: Int, to pollMax: Int) -> [Int] {
        var tiers: [Int] = []
        var tier = pollMin
        while tier < pollMax {
            tiers.append(tier)
            tier *= 2
        }
        tiers.append(pollMax)
        return tiers
    }

    /// Publishes a submit of `job` for each tile of `task` and waits for the confirms.
    func submit(task: String, tiles: [String], job: BackendJob) async throws {
        for tile in tiles {
            let item = WorkItem(kind: .submit, task: task, tile: tile, maxAttempts: 1, backend: "sim", job: job)
            try await channel.publish(item.encoded(), exchange: topology.workExchange, routingKey: "sim")
        }
        try await channel.waitForConfirms()
    }

    /// Stops the worker with SIGTERM, deletes the topology, closes the broker connection, stops the
    /// simulator and removes the directory.
    func stop() async {
        BenchWorker.stop(pid, signal: SIGTERM)
        try? await topology.delete(on: channel)
        await amqp.close()
        await server.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
