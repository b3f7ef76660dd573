import ArgumentParser
import Foundation
import Simulator
import TilefleetCLI
#if canImport(Glibc)
import Glibc
#endif

/// `tilefleet-bench estimate`: how close `tilefleet estimate` lands. Per run, against one simulator
/// (lognormal run times, costs per second and per km² with noise) and a whole fleet of processes:
/// a task submitted with `--sample` projects its credits and wall time; then the same area as a
/// second task runs in full from scratch, and its credits and makespan are what the projection is
/// compared with.
struct BenchEstimate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "estimate",
        abstract: "Projection from a sample (submit --sample, estimate) against the full run of the same task."
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "The area (a bbox) cut at --grid.")
    var aoi = "16.1482,48.0326,16.7092,48.3081"

    @Option(help: "The grid.")
    var grid = "km:1"

    @Option(help: "The sample: a share (2%) or a number of tiles.")
    var sample = "2%"

    @Option(help: "max_active of the backend.")
    var maxActive = 50

    @Option(help: "Median seconds a job runs (lognormal, sigma 0.4).")
    var jobSeconds = 2.0

    @Option(help: "Runs, each with its own simulator seed.")
    var runs = 3

    func run() async throws {
        for run in 1...runs {
            let result = try await measure(seed: UInt64(run))
            func share(_ projected: Double, _ actual: Double) -> String { String(format: "%+.1f %%", 100 * (projected - actual) / actual) }
            print(String(format: """
                estimate run %d: %d tiles, sample %d, max_active %d: credits projected %.1f (90%% %.1f–%.1f), full run %.1f (%@); \
                wall time projected %.1f s (90%% %.1f–%.1f), full run %.1f s (%@)
                """, run, result.tiles, result.sample, maxActive, result.credits.value, result.credits.low, result.credits.high,
                result.actualCredits, share(result.credits.value, result.actualCredits), result.wall.value, result.wall.low,
                result.wall.high, result.makespan, share(result.wall.value, result.makespan)))
        }
    }

    struct Projection: Decodable {
        var value: Double
        var low: Double
        var high: Double
    }

    struct Result {
        var tiles: Int
        var sample: Int
        var credits: Projection
        var wall: Projection
        var actualCredits: Double
        var makespan: Double
    }

    private func measure(seed: UInt64) async throws -> Result {
        var configuration = SimulatorConfiguration(duration: .init(distribution: "lognormal", seconds: nil, median: jobSeconds, sigma: 0.4),
                                                   requireAuth: false)
        configuration.seed = seed
        let fleet = try await BenchFleet.start("estimate", simulator: configuration, maxActive: maxActive, connection: connection)
        do {
            let result = try await measure(on: fleet)
            await fleet.stop()
            return result
        } catch {
            await fleet.stop()
            throw error
        }
    }

    private func measure(on fleet: BenchFleet) async throws -> Result {
        let sampled = try fleet.writeTask(id: "\(fleet.backend)-sampled", title: "estimate benchmark (sampled)", aoi: aoi, grid: grid)
        let full = try fleet.writeTask(id: "\(fleet.backend)-full", title: "estimate benchmark (full)", aoi: aoi, grid: grid)
        try fleet.spawn("recorder", ["recorder"])
        try fleet.spawn("coordinator", ["coordinator"])
        try fleet.spawn("worker-1", ["worker", "--no-metrics"])
        try fleet.spawn("worker-2", ["worker", "--no-metrics"])
        try await Task.sleep(for: .seconds(2))

        let submitted = await fleet.run(["submit", "--offline", "--sample", sample, sampled])
        guard submitted.status == 0 else { throw ValidationError("submit --sample failed: \(submitted.output)") }
        let estimated = await fleet.run(["estimate", "\(fleet.backend)-sampled", "--wait", "--json"])
        guard estimated.status == 0, let line = estimated.output.split(separator: "\n").last else {
            throw ValidationError("estimate failed: \(estimated.output)")
        }
        struct Estimate: Decodable {
            var tiles: Int
            var sample: Int
            var credits: Projection
            var wall_seconds: Projection
        }
        let estimate = try JSONDecoder().decode(Estimate.self, from: Data(line.utf8))

        let clock = ContinuousClock()
        let started = clock.now
        let ran = await fleet.run(["submit", "--offline", full])
        guard ran.status == 0 else { throw ValidationError("submit failed: \(ran.output)") }
        let task = "\(fleet.backend)-full"
        try await fleet.waitUntilEnded(task: task)
        let makespan = (clock.now - started).inSeconds
        // Costs arrive with the last status events: wait until every finished attempt has its reading.
        while try await fleet.database.query("""
            SELECT count(*) FROM backend_jobs WHERE task_id = \(task) AND status = 'finished' AND costs IS NULL
            """)[0].decode(Int.self, at: 0) > 0 {
            try await Task.sleep(for: .milliseconds(50))
        }
        let credits = try await fleet.database.query("SELECT coalesce(sum(costs), 0) FROM backend_jobs WHERE task_id = \(task)")[0]
            .decode(Double.self, at: 0)
        return Result(tiles: estimate.tiles, sample: estimate.sample, credits: estimate.credits, wall: estimate.wall_seconds,
                      actualCredits: credits, makespan: makespan)
    }
}
