import ArgumentParser
import Foundation
import Simulator
import TilefleetCLI
#if canImport(Glibc)
import Glibc
#endif

/// `tilefleet-bench redelivery`: the makespan of a task of short jobs at `max_active`, through a
/// whole fleet of processes (recorder, coordinator, two workers) against an in-process simulator —
/// once undisturbed, once with one of the two workers killed with SIGKILL as soon as the first jobs
/// appear, holding its share of the first submits: the other worker takes them over, pauses for
/// twice its slowest recent submit, looks their jobs up (one shared listing) and submits the rest.
struct BenchRedelivery: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redelivery",
        abstract: "Makespan of short jobs at max_active, undisturbed and with a worker killed holding submits; second jobs counted."
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "The area (a bbox) cut at km:1: about 500 tiles by default.")
    var aoi = "16.20,48.10,16.47,48.30"

    @Option(help: "max_active of the backend.")
    var maxActive = 100

    @Option(help: "Seconds each job runs on the simulator.")
    var jobSeconds = 2.0

    @Option(help: "Prefetch of each worker (the submits the killed one holds).")
    var prefetch = 50

    @Option(help: "Runs of each kind.")
    var runs = 3

    func run() async throws {
        for kill in [false, true] {
            for _ in 0..<runs {
                let result = try await measure(killing: kill)
                let ideal = Double((result.tiles + maxActive - 1) / maxActive) * jobSeconds
                print("""
                    redelivery, \(kill ? "worker killed holding its first submits" : "undisturbed"): \(result.tiles) tiles of \
                    \(seconds(jobSeconds)) s at max_active \(maxActive): makespan \(seconds(result.makespan)) s \
                    (\(seconds(result.makespan / ideal))× the ideal \(seconds(ideal)) s), \
                    second jobs \(result.secondJobs), peak active \(result.peak)
                    """)
            }
        }
    }

    private func seconds(_ value: Double) -> String { String(format: "%.1f", value) }

    struct Result {
        var tiles: Int
        var makespan: Double
        var secondJobs: Int
        var peak: Int
    }

    private func measure(killing: Bool) async throws -> Result {
        let fleet = try await BenchFleet.start("redeliver", simulator: SimulatorConfiguration(duration: .fixed(jobSeconds), requireAuth: false),
                                               maxActive: maxActive, connection: connection)
        let task = try fleet.writeTask(id: fleet.backend, title: "redelivery benchmark", aoi: aoi, grid: "km:1")
        do {
            try fleet.spawn("recorder", ["recorder"])
            try fleet.spawn("coordinator", ["coordinator"])
            let first = try fleet.spawn("worker-1", ["worker", "--no-metrics", "--prefetch", "\(prefetch)"])
            try fleet.spawn("worker-2", ["worker", "--no-metrics", "--prefetch", "\(prefetch)"])
            try await Task.sleep(for: .seconds(2))

            let clock = ContinuousClock()
            let started = clock.now
            let submitted = await fleet.run(["submit", "--offline", task])
            guard submitted.status == 0 else { throw ValidationError("submit failed: \(submitted.output)") }
            if killing {
                // Each worker holds half the first dispatch; the first dies as soon as the first jobs
                // appear, with its submits taken and mostly not yet sent.
                while fleet.simulator.stats().jobsCreated < 5 { try await Task.sleep(for: .milliseconds(5)) }
                BenchWorker.stop(first, signal: SIGKILL)
            }
            let tiles = try await fleet.database.query("SELECT count(*) FROM tiles WHERE task_id = \(fleet.backend)")[0].decode(Int.self, at: 0)
            try await fleet.waitUntilEnded(task: fleet.backend)
            let makespan = (clock.now - started).inSeconds
            let stats = fleet.simulator.stats()
            await fleet.stop()
            return Result(tiles: tiles, makespan: makespan, secondJobs: stats.jobsPerKey.values.reduce(0) { $0 + max($1 - 1, 0) },
                          peak: stats.peakActiveByUser.values.max() ?? 0)
        } catch {
            await fleet.stop()
            throw error
        }
    }
}
