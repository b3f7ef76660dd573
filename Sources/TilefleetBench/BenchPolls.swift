import AMQP
import ArgumentParser
import FleetModel
import Foundation
import Messaging
import Simulator
import TilefleetCLI
#if canImport(Glibc)
import Glibc
#endif

/// `tilefleet-bench polls`: openEO jobs of a fixed length through one `tilefleet worker`, in waves of
/// one task, on the simulator with a scaled clock: requests to the platform per finished job and the
/// delay from a job's end to its tile's `finished` event, for the first wave (polls doubling, nothing
/// learned yet) and the waves after it (polls around the learned end).
struct BenchPolls: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "polls",
        abstract: "Measure requests per job and end → finished delay of the learned poll schedule on a scaled clock."
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Job lengths in (simulated) minutes, comma-separated.")
    var minutes = "2,10,60"

    @Option(help: "Real seconds each job lasts: the simulator's clock scale is the job's length over this.")
    var realSeconds = 30.0

    @Option(help: "Waves of jobs per length (the first one teaches the worker).")
    var waves = 4

    @Option(help: "Jobs per wave.")
    var jobsPerWave = 10

    @Option(help: "poll.min_interval in real seconds (also the shortest wait tier).")
    var pollMin = 1

    @Option(help: "poll.max_interval in real seconds (the longest wait tier).")
    var pollMax = 60

    func validate() throws {
        guard realSeconds >= 5, realSeconds.isFinite else { throw ValidationError("--real-seconds must be at least 5") }
        guard waves >= 2, jobsPerWave >= 1, pollMin >= 1, pollMax >= pollMin else {
            throw ValidationError("--waves ≥ 2, --jobs-per-wave ≥ 1 and 1 ≤ --poll-min ≤ --poll-max")
        }
        guard !lengths.isEmpty else { throw ValidationError("--minutes needs job lengths in minutes above 0, e.g. 2,10,60") }
    }

    var lengths: [Double] {
        minutes.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }.filter { $0 > 0 && $0.isFinite }
    }

    func run() async throws {
        let amqpURL = try connection.resolvedAMQPURL()
        for length in lengths {
            let waves = try await measure(minutes: length, amqpURL: amqpURL)
            let scale = length * 60 / realSeconds
            var groups = waves.indices.map { ("wave \($0 + 1)" + ($0 == 0 ? " (doubling)" : ""), $0..<($0 + 1)) }
            if waves.count > 2 { groups.append(("waves 3–\(waves.count)", 2..<waves.count)) }
            for (label, range) in groups {
                let chosen = Array(waves[range])
                let jobs = chosen.reduce(0) { $0 + $1.jobs }
                let requests = chosen.reduce(0) { $0 + $1.requests }
                let delays = chosen.flatMap(\.delays).sorted()
                func percentile(_ p: Double) -> Double { delays.isEmpty ? .nan : delays[min(delays.count - 1, Int((Double(delays.count - 1) * p).rounded(.up)))] }
                print(String(format: "%4.0f min jobs (clock ×%.0f), %@: %d jobs, %.2f requests/job, end → finished p50 %.1f %% (%.0f s simulated), "
                             + "p95 %.1f %% (%.0f s), max %.1f %%",
                             length, scale, label, jobs, Double(requests) / Double(max(jobs, 1)),
                             100 * percentile(0.5) / realSeconds, percentile(0.5) * scale, 100 * percentile(0.95) / realSeconds,
                             percentile(0.95) * scale, 100 * (delays.last ?? .nan) / realSeconds))
            }
        }
    }

    struct Wave {
        var jobs: Int
        var requests: Int
        /// Real seconds from each job's end to its tile's `finished` event.
        var delays: [Double]
    }

    private func measure(minutes: Double, amqpURL: String) async throws -> [Wave] {
        var simulated = SimulatorConfiguration(duration: .fixed(minutes * 60), queueSeconds: 0, failureRate: 0, requireAuth: false)
        simulated.clockScale = minutes * 60 / realSeconds
        let rig = try await BenchWorkerRig.start("polls", simulator: simulated, kind: "openeo", pollMin: pollMin, pollMax: pollMax,
                                                 amqpURL: amqpURL)
        do {
            let waves = try await measure(minutes: minutes, on: rig)
            await rig.stop()
            return waves
        } catch {
            await rig.stop()
            throw error
        }
    }

    private func measure(minutes: Double, on rig: BenchWorkerRig) async throws -> [Wave] {
        let (simulator, topology, channel) = (rig.simulator, rig.topology, rig.channel)
        let consumer = try await channel.consume(queue: topology.recorderQueue, noAck: true)
        let seen = SeenEvents()
        let reader = Task {
            for await delivery in consumer {
                if let event = try? StatusEvent.decode(delivery.body) { seen.add(event) }
            }
        }
        let job = BackendJob(process: .named(id: "ndvi", namespace: nil), arguments: ["tile": .string("x")], title: "bench")
        var results: [Wave] = []
        let clock = ContinuousClock()
        for wave in 0..<waves {
            let before = simulator.stats().requests
            let finishedBefore = seen.finishedTiles
            let tiles = (0..<jobsPerWave).map { "w\(wave)-\($0)" }
            try await rig.submit(task: topology.prefix, tiles: tiles, job: job)
            let deadline = clock.now + .seconds(realSeconds * 4 + Double(2 * pollMax))
            while clock.now < deadline, seen.finishedTiles < finishedBefore + jobsPerWave {
                try await Task.sleep(for: .milliseconds(200))
            }
            let requests = simulator.stats().requests - before
            let (submittedAt, finishedAt, _) = seen.snapshot
            let delays = tiles.compactMap { tile in
                finishedAt[tile].flatMap { end in submittedAt[tile].map { end.timeIntervalSince($0) - realSeconds } }
            }
            guard delays.count == jobsPerWave else {
                throw ValidationError("wave \(wave + 1) of \(minutes) min jobs: only \(delays.count) of \(jobsPerWave) tiles finished in time; see \(rig.directory)/worker.log")
            }
            results.append(Wave(jobs: jobsPerWave, requests: requests, delays: delays))
        }
        try? await consumer.cancel()
        reader.cancel()
        _ = await reader.value
        return results
    }
}
