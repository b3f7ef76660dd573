import ArgumentParser
import Foundation
import Simulator
import TilefleetCLI
#if canImport(Glibc)
import Glibc
#endif

/// `tilefleet-bench sizing`: what a whole fleet takes with many long jobs in flight, for the sizing
/// guide in docs/operations.md. One task of about `--tiles` tiles whose jobs last `--job-minutes`,
/// `max_active` above the task, a recorder, a coordinator and `--workers` workers; once every job
/// runs, each part's CPU and memory over `--sample-seconds`: the fleet's processes, RabbitMQ
/// (`beam.smp`) and PostgreSQL (every `postgres` process), and the platform's status requests and
/// the events stored per second.
struct BenchSizing: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sizing",
        abstract: "CPU and memory of each part of a fleet with many long jobs in flight (the sizing guide)."
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "About how many tiles (jobs in flight): the Vienna bbox is cut to match.")
    var tiles = 10_000

    @Option(help: "How long each job runs, minutes.")
    var jobMinutes = 20.0

    @Option(help: "poll.min_interval, seconds (doubling to --poll-max).")
    var pollMin = 30

    @Option(help: "poll.max_interval, seconds.")
    var pollMax = 60

    @Option(help: "Worker processes.")
    var workers = 2

    @Option(help: "How long to sample once every job runs, seconds.")
    var sampleSeconds = 60

    func run() async throws {
        let tiers = BenchWorkerRig.waitTiers(from: pollMin, to: pollMax)
        let fleet = try await BenchFleet.start("sizing", simulator: SimulatorConfiguration(duration: .fixed(jobMinutes * 60), queueSeconds: 0,
                                                                                          failureRate: 0, requireAuth: false),
                                               maxActive: tiles * 2, pollSeconds: pollMin...pollMax, waitTiers: tiers, connection: connection)
        do {
            try await measure(fleet)
            await fleet.stop()
        } catch {
            await fleet.stop()
            throw error
        }
    }

    private func measure(_ fleet: BenchFleet) async throws {
        let task = try fleet.writeTask(id: fleet.backend, title: "sizing benchmark", aoi: "16.1482,48.0326,16.7092,48.3081",
                                       grid: "km:\(String(format: "%.3f", (1273 / Double(tiles)).squareRoot()))")
        var roles = [("recorder", try fleet.spawn("recorder", ["recorder"])), ("coordinator", try fleet.spawn("coordinator", ["coordinator"]))]
        for n in 1...workers { roles.append(("worker-\(n)", try fleet.spawn("worker-\(n)", ["worker", "--no-metrics"]))) }
        try await Task.sleep(for: .seconds(2))
        let submitted = await fleet.run(["submit", "--offline", "--yes", task])
        guard submitted.status == 0 else { throw ValidationError("submit failed: \(submitted.output)") }
        let count = try await fleet.database.query("SELECT count(*) FROM tiles WHERE task_id = \(fleet.backend)")[0].decode(Int.self, at: 0)
        let clock = ContinuousClock()
        let started = clock.now
        while try await fleet.database.query("""
            SELECT count(*) FROM tiles WHERE task_id = \(fleet.backend) AND status = 'running'
            """)[0].decode(Int.self, at: 0) < count {
            guard clock.now - started < .seconds(jobMinutes * 60 / 2) else { throw ValidationError("the jobs did not all start in time") }
            try await Task.sleep(for: .seconds(1))
        }
        let ramp = (clock.now - started).inSeconds
        let broker = Self.pids(named: "beam.smp"), database = Self.pids(named: "postgres")
        func cpu(_ pids: [pid_t]) -> Double { pids.reduce(0) { $0 + BenchWorker.cpuSeconds($1) } }
        func rss(_ pids: [pid_t]) -> Int { pids.reduce(0) { $0 + BenchWorker.rssKiB($1) } }
        let before = (roles.map { cpu([$0.1]) }, cpu(broker), cpu(database), fleet.simulator.stats().statusRequests,
                      try await Self.events(fleet), clock.now)
        var peak = [Int](repeating: 0, count: roles.count + 2)
        let end = clock.now + .seconds(sampleSeconds)
        while clock.now < end {
            for (index, role) in roles.enumerated() { peak[index] = max(peak[index], rss([role.1])) }
            peak[roles.count] = max(peak[roles.count], rss(broker))
            peak[roles.count + 1] = max(peak[roles.count + 1], rss(database))
            try await Task.sleep(for: .seconds(1))
        }
        let seconds = (clock.now - before.5).inSeconds
        let statusPerSecond = Double(fleet.simulator.stats().statusRequests - before.3) / seconds
        let eventsPerSecond = Double(try await Self.events(fleet) - before.4) / seconds
        print(String(format: "sizing: %d jobs of %.0f min in flight (all running after %.0f s), polls %d→%d s, %d workers: "
                     + "%.0f status requests/s, %.1f events stored/s (sampled over %.0f s)",
                     count, jobMinutes, ramp, pollMin, pollMax, workers, statusPerSecond, eventsPerSecond, seconds))
        for (index, role) in roles.enumerated() {
            print(String(format: "  %-12@ %.3f cores, peak RSS %d MiB", role.0 as NSString, (cpu([role.1]) - before.0[index]) / seconds,
                         peak[index] / 1024))
        }
        print(String(format: "  %-12@ %.3f cores, peak RSS %d MiB", "RabbitMQ" as NSString, (cpu(broker) - before.1) / seconds, peak[roles.count] / 1024))
        print(String(format: "  %-12@ %.3f cores, peak RSS %d MiB (all its processes)", "PostgreSQL" as NSString,
                     (cpu(database) - before.2) / seconds, peak[roles.count + 1] / 1024))
    }

    /// Events stored so far (status events; heartbeats update tiles and are not rows).
    private static func events(_ fleet: BenchFleet) async throws -> Int {
        try await fleet.database.query("SELECT count(*) FROM events WHERE task_id = \(fleet.backend)")[0].decode(Int.self, at: 0)
    }

    /// The processes whose command name is `name` (from /proc).
    static func pids(named name: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry in
            guard let pid = pid_t(entry),
                  let comm = try? String(contentsOfFile: "/proc/\(entry)/comm", encoding: .utf8) else { return nil }
            return comm.trimmingCharacters(in: .whitespacesAndNewlines) == name ? pid : nil
        }
    }
}
