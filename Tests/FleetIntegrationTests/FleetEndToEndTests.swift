import Foundation
import HTTP
import Postgres
import Simulator
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The whole fleet as users run it: `tilefleet recorder`, `tilefleet coordinator` and two
/// `tilefleet worker` processes against the real broker and database, the simulator as the
/// backend, and a task submitted with `tilefleet submit`.
@Suite(.serialized) struct FleetEndToEndTests {
    /// 352 tiles (the Vienna AOI at km:2) with `max_active: 20`; the exactness of the limit under
    /// racing dispatchers is `DispatchTests.maxActiveIsNeverExceededByConcurrentDispatchers`.
    /// Work items and events are tagged (`signing:`), so every role checks what it takes.
    @Test func aTaskRunsThroughTheWholeFleetWithinMaxActive() async throws {
        let maxActive = 20
        let fleet = try await ProcessFleet.start(maxActive: maxActive, simulator: SimulatorConfiguration(
            duration: .init(distribution: "fixed", seconds: 0.3), queueSeconds: 0, failureRate: 0),
            extra: "signing: {work_key_file: work.key, event_key_file: events.key}")
        defer { TestCleanup.later { await fleet.stop() } }
        for name in ["work.key", "events.key"] {
            let (status, output) = try TestEnvironment.run([TestEnvironment.tilefleetBinary, "keys", "new", fleet.directory + "/" + name])
            #expect(status == 0, "\(output)")
        }
        let task = fleet.directory + "/task.yaml"
        try """
        id: e2e
        title: end to end
        backend: sim
        service: { udp: "https://example.org/udp/ndvi.json", id: ndvi }
        split:
          aoi: "16.1482,48.0326,16.7092,48.3081"
          grid: km:2
        """.write(toFile: task, atomically: true, encoding: .utf8)

        var pids = try fleet.spawnRoles()
        defer { for pid in pids { TestEnvironment.stop(pid, signal: SIGKILL) } }

        let (status, output) = try fleet.run(["submit", "--offline", task])
        #expect(status == 0, "\(output)")
        let tiles = try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = 'e2e'")
        #expect(tiles == 352)

        var done = 0
        try await eventually(timeout: .seconds(300)) {
            done = try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = 'e2e' AND status IN ('finished', 'failed', 'canceled')")
            return done == tiles
        }
        #expect(done == tiles)
        #expect(try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = 'e2e' AND status = 'finished'") == tiles)
        #expect(try await fleet.count("SELECT count(DISTINCT tile_id) FROM assets WHERE task_id = 'e2e'") == tiles)
        // Every event, heartbeat and tick carried a valid tag.
        #expect(try await fleet.count("SELECT count(*) FROM rejected_events") == 0)

        let stats = fleet.simulator.stats()
        #expect(stats.peakActiveByUser.values.max() ?? 0 <= maxActive)
        #expect(stats.peakActiveByUser.values.max() ?? 0 >= 2, "the fleet never ran jobs in parallel")
        #expect(stats.duplicateKeys.isEmpty)
        #expect(stats.jobsCreated == tiles)

        let (resultsStatus, results) = try fleet.run(["results", "e2e", "--format", "csv"])
        #expect(resultsStatus == 0)
        // The header, then one line per asset: the tile comes first.
        let lines = results.split(separator: "\n").dropFirst(1)
        #expect(Set(lines.map { $0.split(separator: ",")[0] }).count == tiles)

        // Everything stops cleanly on SIGTERM.
        for pid in pids { #expect(TestEnvironment.stop(pid, signal: SIGTERM) == 0) }
        pids = []
    }

    /// Cancel right after dispatch, before any worker has submitted a job: the cancel items carry
    /// no job id yet, and the worker that later submits the jobs finds each one by its
    /// idempotency key and cancels it. Nothing is left running on the platform.
    @Test func cancelingBeforeTheJobsAreSubmittedStillCancelsThemOnThePlatform() async throws {
        let maxActive = 8
        let fleet = try await ProcessFleet.start(maxActive: maxActive, simulator: SimulatorConfiguration(
            duration: .init(distribution: "fixed", seconds: 120), queueSeconds: 0, failureRate: 0))
        defer { TestCleanup.later { await fleet.stop() } }
        let task = fleet.directory + "/task.yaml"
        try """
        id: e2e-cancel
        title: canceled before submission
        backend: sim
        service: { udp: "https://example.org/udp/ndvi.json", id: ndvi }
        split:
          aoi: "16.1482,48.0326,16.7092,48.3081"
          grid: km:5
        """.write(toFile: task, atomically: true, encoding: .utf8)

        // The recorder and the coordinator serve /metrics when given a port.
        let recorderMetrics = Int.random(in: 30_000...34_999), coordinatorMetrics = Int.random(in: 35_000...39_999)
        var pids = [try fleet.spawn("recorder", ["recorder", "--metrics-port", "\(recorderMetrics)"]),
                    try fleet.spawn("coordinator", ["coordinator", "--metrics-port", "\(coordinatorMetrics)"])]
        defer { for pid in pids { TestEnvironment.stop(pid, signal: SIGKILL) } }
        let (status, output) = try fleet.run(["submit", "--offline", task])
        #expect(status == 0, "\(output)")
        let tiles = try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = 'e2e-cancel'")
        #expect(tiles > maxActive)

        var queued = 0
        try await eventually {
            queued = try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = 'e2e-cancel' AND status = 'queued'")
            return queued >= maxActive
        }
        #expect(queued == maxActive, "the coordinator dispatched \(queued) tiles")

        let (cancelStatus, cancelOutput) = try fleet.run(["cancel", "e2e-cancel"])
        #expect(cancelStatus == 0, "\(cancelOutput)")
        #expect(cancelOutput.contains("canceled \(tiles - maxActive) pending tiles"), "\(cancelOutput)")
        #expect(cancelOutput.contains("\(maxActive) of them have no backend job yet"), "\(cancelOutput)")

        // Only now a worker: it takes the submits and the cancels from the same queue.
        pids.append(try fleet.spawn("worker", ["worker", "--no-metrics"]))
        var canceled = 0
        try await eventually(timeout: .seconds(60)) {
            canceled = try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = 'e2e-cancel' AND status = 'canceled'")
            return canceled >= tiles
        }
        #expect(canceled == tiles)

        var stats = fleet.simulator.stats()
        try await eventually(timeout: .seconds(10)) {
            stats = fleet.simulator.stats()
            return !stats.activeByUser.values.contains(where: { $0 > 0 })
        }
        // The worker cannot know the task was canceled: it submits every dispatched tile, then
        // its cancels find those jobs and stop them.
        #expect(stats.jobsCreated == maxActive)
        #expect(stats.activeByUser.values.allSatisfy { $0 == 0 }, "jobs still running on the platform: \(stats.activeByUser)")
        #expect(stats.duplicateKeys.isEmpty)
        #expect(try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = 'e2e-cancel' AND status = 'pending'") == 0)

        let recorded = try await Self.scrape(port: recorderMetrics)
        #expect(recorded.contains(#"tilefleet_recorder_messages_total{outcome="stored"}"#), "\(recorded)")
        #expect(recorded.contains("tilefleet_recorder_batch_seconds_count"))
        #expect(recorded.contains("tilefleet_database_reconnects_total 0"))
        #expect(recorded.contains("tilefleet_broker_reconnects_total 0"))
        let coordinated = try await Self.scrape(port: coordinatorMetrics)
        // `submit` dispatches a first pass itself, so the coordinator released some of the tiles, or none.
        let released = coordinated.firstMatch(of: /tilefleet_coordinator_tiles_dispatched_total\{backend="sim"\} ([0-9]+)/).flatMap { Int($0.1) }
        #expect(released.map { $0 <= maxActive } == true, "\(coordinated)")
        #expect(coordinated.contains(#"tilefleet_coordinator_backend_max_active{backend="sim"} \#(maxActive).0"#), "\(coordinated)")
        #expect(coordinated.contains(#"tilefleet_coordinator_backend_healthy{backend="sim"} 1.0"#))
        #expect(coordinated.contains(#"tilefleet_coordinator_free_slots{backend="sim"}"#))
        #expect(coordinated.contains("tilefleet_coordinator_dispatch_passes_total"))
        for text in [recorded, coordinated] {
            let lines = text.split(separator: "\n")
            for index in lines.indices where lines[index].hasPrefix("# TYPE ") {
                let name = lines[index].split(separator: " ")[2]
                #expect(index > 0 && lines[index - 1].hasPrefix("# HELP \(name) "), "no HELP for \(name)")
            }
        }

        for pid in pids { #expect(TestEnvironment.stop(pid, signal: SIGTERM) == 0) }
        pids = []
    }

    /// The text of `GET /metrics` on a loopback port.
    static func scrape(port: Int) async throws -> String {
        let client = HTTPClient()
        let response: HTTPClient.Response
        do {
            response = try await client.execute(HTTPClient.Request("http://127.0.0.1:\(port)/metrics"))
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
        #expect(response.status == 200)
        return String(decoding: response.body, as: UTF8.self)
    }
}
