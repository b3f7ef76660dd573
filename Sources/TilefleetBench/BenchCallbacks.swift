import AMQP
import ArgumentParser
import FleetModel
import Foundation
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
        let rig = try await BenchWorkerRig.start(
            "callbacks", simulator: SimulatorConfiguration(duration: .fixed(jobSeconds), queueSeconds: 0, failureRate: 0, requireAuth: false),
            kind: "ogc", pollMin: pollMin, pollMax: pollMax, amqpURL: amqpURL,
            workerArguments: callbacks ? ["--callback-url", "http://127.0.0.1:\(callbackPort)", "--callback-port", "\(callbackPort)",
                                          "--callback-address", "127.0.0.1"] : [])
        do {
            let result = try await measure(on: rig)
            await rig.stop()
            return result
        } catch {
            await rig.stop()
            throw error
        }
    }

    private func measure(on rig: BenchWorkerRig) async throws -> Result {
        let (simulator, topology, channel) = (rig.simulator, rig.topology, rig.channel)
        let consumer = try await channel.consume(queue: topology.recorderQueue, noAck: true)
        let job = BackendJob(process: .named(id: "ndvi", namespace: nil), arguments: ["tile": .string("x")], title: "bench")
        try await rig.submit(task: "bench", tiles: (0..<jobs).map { "tile-\($0)" }, job: job)
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
        return Result(statusPerJob: Double(stats.statusRequests - events) / Double(jobs), delays: delays, finishedEvents: events,
                      callbacks: simulator.subscriberCalls.sent)
    }
}
