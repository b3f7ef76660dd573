import AMQP
import ArgumentParser
import Backends
import ChildProcess
import FleetModel
import Foundation
import Logging
import Messaging
import Simulator
#if canImport(Glibc)
import Glibc
import TilefleetCLI
import Timing
#endif

/// `tilefleet-bench worker`: end-to-end tiles/s through `tilefleet worker` processes against an
/// in-process simulator whose jobs finish at once; or (`--in-flight`) how many long backend jobs one
/// worker keeps going at a given poll interval, and its CPU and memory while doing so.
struct BenchWorker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Measure worker throughput (tiles/s) or, with --in-flight, CPU and RSS with many long jobs in flight."
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Tiles per throughput run.")
    var tiles = 20_000

    @Option(parsing: .upToNextOption, help: "Worker process counts to measure.")
    var workers: [Int] = [1, 2]

    @Option(help: "Prefetch of each worker.")
    var prefetch = 500

    @Option(help: "Measure long jobs instead: this many in flight in one worker.")
    var inFlight: Int?

    @Option(help: "--in-flight: the poll interval, seconds (also the one wait tier).")
    var pollSeconds = 30

    @Option(help: "--in-flight: how long to sample CPU and RSS once every job is running, seconds.")
    var sampleSeconds = 90

    func run() async throws {
        let amqpURL = try connection.resolvedAMQPURL()
        if let inFlight {
            try await measureInFlight(inFlight, amqpURL: amqpURL)
        } else {
            for count in workers {
                let rate = try await measureThroughput(workers: count, amqpURL: amqpURL)
                print("worker, \(count) process(es): \(BenchReport.format(rate)) tiles/s (\(tiles) tiles, jobs finishing at once, publish → finished event)")
            }
        }
    }

    /// A private fleet: simulator, topology, config file, events queue.
    private struct Fleet {
        let topology: Topology
        let server: SimulatorServer
        let simulator: PlatformSimulator
        let configPath: String
        let amqp: AMQPConnection
        let channel: AMQPChannel
        let eventsQueue: String
        let directory: String
    }

    private func makeFleet(amqpURL: String, jobSeconds: Double, poll: Int, tiers: [Int]) async throws -> Fleet {
        let id = UUID().uuidString.lowercased().prefix(8)
        let simulator = PlatformSimulator(configuration: SimulatorConfiguration(duration: .fixed(jobSeconds), requireAuth: false))
        let server = SimulatorServer { simulator.register(on: $0) }
        let port = try await server.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tilefleet-bench-worker-\(id)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let configPath = directory + "/fleet.yaml"
        try """
        backends:
          - name: sim
            kind: openeo
            url: http://127.0.0.1:\(port)/openeo
            max_active: 1000000
            poll: { min_interval: \(poll)s, max_interval: \(poll)s }
        """.write(toFile: configPath, atomically: true, encoding: .utf8)
        var logger = Logger(label: "tilefleet.bench")
        logger.logLevel = .warning
        let topology = Topology(prefix: "bench-\(id)", backends: ["sim"], waitTiers: tiers)
        let amqp = try await AMQPConnection.connect(url: amqpURL, logger: logger)
        let channel = try await amqp.openChannel()
        try await topology.declare(on: channel)
        try await channel.enablePublisherConfirms(window: 4096)
        // The bench reads the events where the recorder would: no second copy of each event in the broker.
        let eventsQueue = topology.recorderQueue
        return Fleet(topology: topology, server: server, simulator: simulator, configPath: configPath, amqp: amqp, channel: channel,
                     eventsQueue: eventsQueue, directory: directory)
    }

    private func tearDown(_ fleet: Fleet, pids: [pid_t]) async {
        for pid in pids { Self.stop(pid, signal: SIGTERM) }
        try? await fleet.topology.delete(on: fleet.channel)
        await fleet.amqp.close()
        await fleet.server.stop()
        try? FileManager.default.removeItem(atPath: fleet.directory)
    }

    private func spawnWorker(_ fleet: Fleet, amqpURL: String, tiers: [Int], log: String) throws -> pid_t {
        let executable = TilefleetBench.tilefleetExecutable()
        return try Self.spawn([
            executable, "worker", "--config", fleet.configPath, "--amqp-url", amqpURL, "--prefix", fleet.topology.prefix,
            "--wait-tiers", tiers.map(String.init).joined(separator: ","), "--no-metrics", "--prefetch", "\(prefetch)",
            "--log-level", "warning",
        ], logPath: "\(fleet.directory)/\(log)")
    }

    private func publishSubmits(_ count: Int, fleet: Fleet) async throws {
        let job = BackendJob(process: .named(id: "ndvi", namespace: nil), title: "bench")
        for i in 0..<count {
            let item = WorkItem(kind: .submit, task: "bench", tile: "tile-\(i)", maxAttempts: 1, backend: "sim", job: job)
            try await fleet.channel.publish(item.encoded(), exchange: fleet.topology.workExchange, routingKey: "sim")
        }
        try await fleet.channel.waitForConfirms()
    }

    private func measureThroughput(workers count: Int, amqpURL: String) async throws -> Double {
        let fleet = try await makeFleet(amqpURL: amqpURL, jobSeconds: 0, poll: 1, tiers: [1])
        var pids: [pid_t] = []
        do {
            for n in 0..<count { pids.append(try spawnWorker(fleet, amqpURL: amqpURL, tiers: [1], log: "worker-\(n).log")) }
            try await Task.sleep(for: .seconds(2))
            let consumer = try await fleet.channel.consume(queue: fleet.eventsQueue, noAck: true)
            let clock = ContinuousClock()
            let started = clock.now
            try await publishSubmits(tiles, fleet: fleet)
            var finished = Set<String>()
            for await delivery in consumer {
                if delivery.routingKey.hasSuffix(".finished"), let event = try? StatusEvent.decode(delivery.body) {
                    finished.insert(event.tile)
                }
                if finished.count >= tiles { break }
            }
            let elapsed = clock.now - started
            try? await consumer.cancel()
            await tearDown(fleet, pids: pids)
            return Double(tiles) / elapsed.inSeconds
        } catch {
            await tearDown(fleet, pids: pids)
            throw error
        }
    }

    private func measureInFlight(_ jobs: Int, amqpURL: String) async throws {
        let fleet = try await makeFleet(amqpURL: amqpURL, jobSeconds: 24 * 3600, poll: pollSeconds, tiers: [pollSeconds])
        var pids: [pid_t] = []
        do {
            let pid = try spawnWorker(fleet, amqpURL: amqpURL, tiers: [pollSeconds], log: "worker.log")
            pids = [pid]
            try await Task.sleep(for: .seconds(2))
            let clock = ContinuousClock()
            let started = clock.now
            try await publishSubmits(jobs, fleet: fleet)
            while fleet.simulator.stats().jobsStarted < jobs {
                try await Task.sleep(for: .milliseconds(200))
                if clock.now - started > .seconds(600) { throw ValidationError("only \(fleet.simulator.stats().jobsStarted) jobs started in 10 min") }
            }
            let submitted = clock.now - started
            print("worker in-flight: \(jobs) jobs submitted in \(submitted); settling one poll round (\(pollSeconds) s)")
            try await Task.sleep(for: .seconds(pollSeconds + 5))
            let cpu0 = Self.cpuSeconds(pid), requests0 = fleet.simulator.stats().statusRequests, t0 = clock.now
            var peakRSS = 0
            while clock.now - t0 < .seconds(sampleSeconds) {
                try await Task.sleep(for: .seconds(1))
                peakRSS = max(peakRSS, Self.rssKiB(pid))
            }
            let window = clock.now - t0
            let seconds = window.inSeconds
            let cpu = (Self.cpuSeconds(pid) - cpu0) / seconds
            let polls = Double(fleet.simulator.stats().statusRequests - requests0) / seconds
            let active = fleet.simulator.stats().activeByUser.values.reduce(0, +)
            print("worker in-flight: \(active) backend jobs live, poll every \(pollSeconds) s: \(BenchReport.format(polls)) status calls/s, "
                + "CPU \(String(format: "%.3f", cpu)) cores, peak RSS \(peakRSS / 1024) MiB (sampled over \(Int(seconds)) s)")
            await tearDown(fleet, pids: pids)
        } catch {
            await tearDown(fleet, pids: pids)
            throw error
        }
    }

    /// User + system CPU seconds of `pid` from /proc.
    static func cpuSeconds(_ pid: pid_t) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Resident set size of `pid` in KiB.
    static func rssKiB(_ pid: pid_t) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    static func spawn(_ arguments: [String], logPath: String) throws -> pid_t {
        try ChildProcess.spawn(arguments, outputPath: logPath).pid
    }

    static func stop(_ pid: pid_t, signal: Int32) {
        ChildProcess(pid: pid).stop(signal: signal)
    }
}
