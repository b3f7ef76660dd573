import AMQP
import ArgumentParser
import FleetModel
import Foundation
import Logging
import Messaging
import Simulator
import TilefleetCLI
import Timing
#if canImport(Glibc)
import Glibc
#endif

/// `tilefleet-bench callbacks`: OGC jobs through one `tilefleet worker`, polled only and then with
/// `--callback-url`: status requests per job and the delay from a job's end to its tile's
/// `finished` event. Jobs last a fixed time, so a job's end is its submit plus that time.
struct BenchCallbacks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "callbacks",
        abstract: "Measure status requests per job and end → finished delay, with and without OGC callbacks."
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Jobs per run.")
    var jobs = 40

    @Option(help: "How long each job runs, seconds.")
    var jobSeconds = 20.0

    @Option(help: "poll.min_interval, seconds (it doubles up to --poll-max).")
    var pollMin = 2

    @Option(help: "poll.max_interval, seconds (with callbacks: the safety-net poll interval).")
    var pollMax = 60

    @Option(help: "Port of the worker's callback receiver (loopback).")
    var callbackPort = 19390

    func run() async throws {
        let amqpURL = try connection.resolvedAMQPURL()
        for callbacks in [false, true] {
            let result = try await measure(callbacks: callbacks, amqpURL: amqpURL)
            let delays = result.delays.sorted()
            func percentile(_ p: Double) -> Double { delays[min(delays.count - 1, Int(Double(delays.count - 1) * p))] }
            print(String(format: "callbacks %@: %d jobs of %.0f s, poll %d→%d s: %.2f status requests/job (GET /jobs/{id}, results excluded), "
                         + "end → finished p50 %.2f s, p90 %.2f s, max %.2f s; finished events %d, callbacks delivered %d",
                         callbacks ? "on " : "off", jobs, jobSeconds, pollMin, pollMax, result.statusPerJob, percentile(0.5), percentile(0.9),
                         delays.last ?? 0, result.finishedEvents, result.callbacks))
        }
    }

    struct Result {
        var statusPerJob: Double
        var delays: [Double]
        var finishedEvents: Int
        var callbacks: Int
    }

    private func measure(callbacks: Bool, amqpURL: String) async throws -> Result {
        let id = UUID().uuidString.lowercased().prefix(8)
        let simulator = PlatformSimulator(configuration: SimulatorConfiguration(duration: .fixed(jobSeconds), queueSeconds: 0, failureRate: 0,
                                                                                requireAuth: false))
        let server = SimulatorServer { simulator.register(on: $0) }
        let port = try await server.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tilefleet-bench-callbacks-\(id)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let configPath = directory + "/fleet.yaml"
        try """
        backends:
          - name: sim
            kind: ogc
            url: http://127.0.0.1:\(port)/ogc
            max_active: 100000
            poll: { min_interval: \(pollMin)s, max_interval: \(pollMax)s }
        """.write(toFile: configPath, atomically: true, encoding: .utf8)
        var tiers: [Int] = []
        var tier = pollMin
        while tier < pollMax {
            tiers.append(tier)
            tier *= 2
        }
        tiers.append(pollMax)
        var logger = Logger(label: "tilefleet.bench")
        logger.logLevel = .warning
        let topology = Topology(prefix: "bench-\(id)", backends: ["sim"], waitTiers: tiers)
        let amqp = try await AMQPConnection.connect(url: amqpURL, logger: logger)
        let channel = try await amqp.openChannel()
        try await topology.declare(on: channel)
        try await channel.enablePublisherConfirms()
        var arguments = [TilefleetBench.tilefleetExecutable(), "worker", "--config", configPath, "--amqp-url", amqpURL, "--prefix", topology.prefix,
                         "--wait-tiers", tiers.map(String.init).joined(separator: ","), "--no-metrics", "--log-level", "warning"]
        if callbacks {
            arguments += ["--callback-url", "http://127.0.0.1:\(callbackPort)", "--callback-port", "\(callbackPort)", "--callback-address", "127.0.0.1"]
        }
        let pid = try BenchWorker.spawn(arguments, logPath: directory + "/worker.log")
        defer { BenchWorker.stop(pid, signal: SIGTERM) }
        try await Task.sleep(for: .seconds(2))
        let consumer = try await channel.consume(queue: topology.recorderQueue, noAck: true)
        let job = BackendJob(process: .named(id: "ndvi", namespace: nil), arguments: ["tile": .string("x")], title: "bench")
        for i in 0..<jobs {
            let item = WorkItem(kind: .submit, task: "bench", tile: "tile-\(i)", maxAttempts: 1, backend: "sim", job: job)
            try await channel.publish(item.encoded(), exchange: topology.workExchange, routingKey: "sim")
        }
        try await channel.waitForConfirms()
        let seen = SeenEvents()
        let reader = Task {
            for await delivery in consumer {
                if let event = try? StatusEvent.decode(delivery.body) { seen.add(event) }
            }
        }
        // Every tile finished, then one safety-net poll interval more, so the polls that come after a
        // callback (and what they publish) are counted too.
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(jobSeconds + Double(10 * pollMax))
        var allFinished: ContinuousClock.Instant?
        while clock.now < deadline {
            try await Task.sleep(for: .seconds(1))
            if allFinished == nil, seen.finishedTiles == jobs { allFinished = clock.now }
            if let allFinished, clock.now - allFinished > .seconds(pollMax + 5) { break }
        }
        try? await consumer.cancel()
        reader.cancel()
        _ = await reader.value
        let (submittedAt, finishedAt, events) = seen.snapshot
        let stats = simulator.stats()
        let delays = finishedAt.compactMap { tile, time in submittedAt[tile].map { time.timeIntervalSince($0) - jobSeconds } }
        let result = Result(statusPerJob: Double(stats.statusRequests - events) / Double(jobs), delays: delays, finishedEvents: events,
                            callbacks: simulator.subscriberCalls.sent)
        try? await topology.delete(on: channel)
        await amqp.close()
        await server.stop()
        try? FileManager.default.removeItem(atPath: directory)
        return result
    }
}
