import Coordinator
import Foundation
import Postgres
import Simulator
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A task over two backends — two simulators — run by the whole fleet as users run it
/// (`tilefleet recorder`, `coordinator`, two `worker`s): failover when one stops, and the
/// effective limit following a platform's concurrency limit. Simulators listen on 19100-19199.
@Suite(.serialized) struct MultiBackendFleetTests {
    static let vienna = "16.1482,48.0326,16.7092,48.3081"

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// `alt`: a second simulator on `port`, configured in the fleet as backend `alt`.
    static func alt(port: Int, maxActive: Int) -> String {
        """
        - name: alt
          kind: openeo
          url: http://127.0.0.1:\(port)/openeo
          max_active: \(maxActive)
          poll: { min_interval: 1s, max_interval: 2s }
          auth: { method: basic, username: tilefleet, password_env: TILEFLEET_SIM_PASSWORD }
          request_timeout: 2s
          retry: { max_attempts: 1 }
        """
    }

    /// A stopped simulator may leave connections that never answer: calls give up after 2 s, once.
    static let quickFailures = "request_timeout: 2s\nretry: { max_attempts: 1 }"

    /// The fleet dispatches to both backends; `sim` stops before any of its submits lands. Its
    /// submits fail (connection refused), the coordinator marks it unhealthy (an event, `status`,
    /// `check`), moves the tiles waiting there to `alt`, and every tile ends finished on `alt`
    /// with one job each: none on the stopped platform, no second job anywhere.
    @Test func aStoppedBackendsTilesFinishOnTheOtherWithNoSecondJob() async throws {
        let simMax = 4, altMax = 3
        let jobs = SimulatorConfiguration(duration: .init(distribution: "fixed", seconds: 0.5), queueSeconds: 0, failureRate: 0)
        let fleet = try await ProcessFleet.start(maxActive: simMax, simulator: jobs, backendExtra: Self.quickFailures,
                                                 moreBackends: Self.alt(port: 19112, maxActive: altMax), port: 19111)
        defer { TestCleanup.later { await fleet.stop() } }
        let alt = PlatformSimulator(configuration: jobs)
        let altServer = SimulatorServer(port: 19112) { alt.register(on: $0) }
        _ = try await altServer.start()
        defer { TestCleanup.later { try? await altServer.stop() } }
        let task = fleet.directory + "/task.yaml"
        try """
        id: failover
        title: failover between two backends
        backends: [sim, alt]
        service: { udp: "https://example.org/udp/ndvi.json", id: ndvi }
        split:
          aoi: "\(Self.vienna)"
          grid: km:5
        """.write(toFile: task, atomically: true, encoding: .utf8)

        var pids = [try fleet.spawn("recorder", ["recorder"]), try fleet.spawn("coordinator", ["coordinator", "--metrics-port", "19114"])]
        defer { for pid in pids { TestEnvironment.stop(pid, signal: SIGKILL) } }
        let (status, output) = try fleet.run(["submit", "--offline", task])
        #expect(status == 0, "\(output)")
        let tiles = try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = 'failover'")
        #expect(tiles > simMax + altMax)
        // Both backends got their share before the stop.
        #expect(try await fleet.count("SELECT count(*) FROM tiles WHERE backend = 'sim' AND status = 'queued'") == simMax)
        #expect(try await fleet.count("SELECT count(*) FROM tiles WHERE backend = 'alt' AND status = 'queued'") == altMax)

        await fleet.server.stop()
        pids.append(try fleet.spawn("worker-1", ["worker", "--no-metrics"]))
        pids.append(try fleet.spawn("worker-2", ["worker", "--no-metrics"]))

        var unhealthy = 0
        try await eventually(timeout: .seconds(60)) {
            unhealthy = try await fleet.count("SELECT count(*) FROM backend_health_events WHERE backend = 'sim' AND NOT healthy")
            return unhealthy > 0
        }
        #expect(unhealthy == 1, "sim was not marked unhealthy once")
        var finished = 0
        try await eventually(timeout: .seconds(240)) {
            finished = try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = 'failover' AND status = 'finished'")
            return finished == tiles
        }
        #expect(finished == tiles)
        #expect(try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = 'failover' AND backend <> 'alt'") == 0)
        // The tiles that waited on sim moved on as their next attempt.
        #expect(try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = 'failover' AND attempt = 2") == simMax)
        #expect(try await fleet.count("SELECT count(*) FROM backend_jobs WHERE backend = 'sim' AND job_id IS NOT NULL") == 0)

        let simStats = fleet.simulator.stats(), altStats = alt.stats()
        #expect(simStats.jobsCreated == 0)
        #expect(altStats.jobsCreated == tiles, "one job per tile on alt, no second job")
        #expect(altStats.duplicateKeys.isEmpty)
        #expect(altStats.peakActiveByUser.values.max() ?? 0 <= altMax)
        #expect(simStats.peakActiveByUser.values.max() ?? 0 <= simMax)

        // The coordinator's metrics, status and check say why sim takes no tiles.
        let (_, metrics) = try TestEnvironment.run(["/usr/bin/curl", "-s", "http://127.0.0.1:19114/metrics"])
        #expect(metrics.contains("tilefleet_coordinator_backend_healthy{backend=\"sim\"} 0"), "\(metrics)")
        #expect(metrics.contains("tilefleet_coordinator_backend_healthy{backend=\"alt\"} 1"), "\(metrics)")
        #expect(metrics.contains("tilefleet_coordinator_backend_effective_limit{backend=\"alt\"} \(altMax)"), "\(metrics)")
        #expect(metrics.contains("# HELP tilefleet_coordinator_backend_effective_limit"), "\(metrics)")
        let (statusCode, statusJSON) = try fleet.run(["status", "--format", "json"])
        #expect(statusCode == 0, "\(statusJSON)")
        #expect(statusJSON.contains("\"health\" : \"unhealthy\""), "\(statusJSON)")
        let (checkCode, checkOutput) = try fleet.run(["check", "--backend", "sim"])
        #expect(checkCode == 1)
        #expect(checkOutput.contains("unhealthy since"), "\(checkOutput)")

        for pid in pids { TestEnvironment.stop(pid, signal: SIGTERM) }
        pids = []
    }

    /// The platform takes 5 jobs at once while `max_active` is 20: the coordinator's effective
    /// limit comes down to the platform's and stays there, every tile finishes with one job, and
    /// after settling the platform refuses only the limit's probes — a tile refused is parked and
    /// started again by the dispatcher when a slot frees, not retried blindly by a worker — so the
    /// refusals after settling (the simulator's own count) are at most one per increase the
    /// accepted starts can have earned (one per `increaseAfter`), plus one probe under way.
    /// Prints the figures docs/benchmarks.md reports (settling time, refused starts per minute,
    /// makespan against the ideal at 5).
    @Test func theEffectiveLimitFollowsThePlatformsConcurrencyLimit() async throws {
        let platformLimit = 5, maxActive = 20, seconds = 3.0
        let fleet = try await ProcessFleet.start(maxActive: maxActive, simulator: SimulatorConfiguration(
            duration: .init(distribution: "fixed", seconds: seconds), queueSeconds: 0, failureRate: 0,
            concurrencyLimit: platformLimit), port: 19113)
        defer { TestCleanup.later { await fleet.stop() } }
        let task = fleet.directory + "/task.yaml"
        try """
        id: adaptive
        title: a platform limit below max_active
        backend: sim
        service: { udp: "https://example.org/udp/ndvi.json", id: ndvi }
        split:
          aoi: "\(Self.vienna)"
          grid: km:4
        """.write(toFile: task, atomically: true, encoding: .utf8)

        var pids = try fleet.spawnRoles()
        defer { for pid in pids { TestEnvironment.stop(pid, signal: SIGKILL) } }
        let started = ContinuousClock.now
        let (status, output) = try fleet.run(["submit", "--offline", task])
        #expect(status == 0, "\(output)")
        let tiles = try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = 'adaptive'")

        // Sampled once a second: the stored effective limit and the platform's refused starts.
        var samples: [(at: Double, limit: Int?, refused: Int)] = []
        var finished = 0
        try await eventually(timeout: .seconds(600), every: .seconds(1)) {
            let rows = try await fleet.db.connection.query("SELECT effective_limit FROM backend_health WHERE backend = 'sim'")
            let limit = try rows.first?.decode(Int?.self, at: 0)
            samples.append((Self.seconds(ContinuousClock.now - started), limit, fleet.simulator.stats().limitRejections))
            finished = try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = 'adaptive' AND status = 'finished'")
            return finished == tiles
        }
        let makespan = Self.seconds(ContinuousClock.now - started)
        #expect(finished == tiles)
        let stats = fleet.simulator.stats()
        #expect(stats.jobsCreated == tiles, "one job per tile")
        #expect(stats.duplicateKeys.isEmpty)
        #expect(stats.peakActiveByUser.values.max() ?? 0 <= platformLimit)
        // The limit came down from max_active to the platform's, and stayed next to it.
        let settledAt = samples.firstIndex { ($0.limit ?? maxActive) <= platformLimit + 1 }
        #expect(settledAt != nil, "the effective limit never came down: \(samples.map(\.limit))")
        if let settledAt {
            #expect(samples[settledAt...].allSatisfy { ($0.limit ?? maxActive) <= platformLimit + 1 && ($0.limit ?? 0) >= 1 },
                    "\(samples.map(\.limit))")
            // Figures for docs/benchmarks.md.
            let settle = samples[settledAt].at
            let after = samples[settledAt...]
            let refusedAfter = (after.last?.refused ?? 0) - after.first!.refused
            // Every start after settling is one of the tiles; each `increaseAfter` of them earns one probe.
            let probes = tiles / AdaptiveLimit(maxActive: maxActive).increaseAfter + 1
            #expect(refusedAfter <= probes, "refused starts after settling: \(refusedAfter), probes at most \(probes)")
            let minutes = max((after.last!.at - after.first!.at) / 60, 1.0 / 60)
            let ideal = (Double(tiles) / Double(platformLimit)).rounded(.up) * seconds
            print("""
                adaptive limit: tiles \(tiles), platform limit \(platformLimit), max_active \(maxActive), job \(seconds) s
                  settled (effective limit ≤ \(platformLimit + 1)) after \(String(format: "%.1f", settle)) s
                  refused starts: \(stats.limitRejections) in all, \(refusedAfter) after settling (\(String(format: "%.1f", Double(refusedAfter) / minutes)) per minute)
                  makespan \(String(format: "%.1f", makespan)) s, ideal at \(platformLimit) \(String(format: "%.1f", ideal)) s, ratio \(String(format: "%.2f", makespan / ideal))
                  limits sampled: \(samples.map { $0.limit.map(String.init) ?? "-" }.joined(separator: " "))
                """)
        }
        // Where a slot's turnover goes, per tile (figures for docs/benchmarks.md): the poll that sees
        // the job's end after its 3 s, the recorder storing that, the dispatch that hands the slot on
        // (after the latest end stored before it), and the submit path (item to the job accepted).
        let turnover = try await fleet.db.connection.query("""
            WITH s AS (SELECT tile_id, min(occurred_at) AS at FROM events WHERE task_id = 'adaptive' AND status = 'submitted' GROUP BY tile_id),
                 f AS (SELECT tile_id, min(occurred_at) AS at, min(recorded_at) AS rec FROM events WHERE task_id = 'adaptive' AND status = 'finished' GROUP BY tile_id),
                 j AS (SELECT extract(epoch FROM f.at - s.at)::float8 - \(seconds) AS poll, extract(epoch FROM f.rec - f.at)::float8 AS recorder,
                              extract(epoch FROM t.item_at - (SELECT max(e.rec) FROM f e WHERE e.rec <= t.item_at))::float8 AS dispatch,
                              extract(epoch FROM s.at - t.item_at)::float8 AS submit
                       FROM tiles t JOIN s USING (tile_id) JOIN f USING (tile_id) WHERE t.task_id = 'adaptive')
            SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY poll), avg(poll),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY recorder), avg(recorder),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY dispatch), avg(dispatch),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY submit), avg(submit)
            FROM j
            """)[0]
        let figures = try (0..<8).map { String(format: "%.3f", try turnover.decode(Double?.self, at: $0) ?? .nan) }
        print("""
              turnover (p50 / mean s): poll after the end \(figures[0]) / \(figures[1]), recorder \(figures[2]) / \(figures[3]), \
            dispatch \(figures[4]) / \(figures[5]), submit \(figures[6]) / \(figures[7])
            """)
        for pid in pids { TestEnvironment.stop(pid, signal: SIGTERM) }
        pids = []
    }
}
