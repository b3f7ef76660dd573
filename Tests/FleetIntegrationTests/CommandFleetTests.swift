import Foundation
import Postgres
import Simulator
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The Geocube-like example (`config/tasks/cologne-geocube.yaml`) through the whole fleet: a
/// command backend whose jobs are `python3 cologne_tile.py` runs on the workers' own host, one per
/// 256 × 256 pixel tile at 10 m in EPSG:32632, each writing a GeoJSON that becomes the tile's asset.
@Suite(.serialized) struct CommandFleetTests {
    @Test func theCologneExampleRunsOneProgramPerTileThroughTheFleet() async throws {
        // The example names the backend `local`: the fleet's config gets one, its jobs under a directory of the test's.
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tilefleet-cologne-\(UUID().uuidString.prefix(8))").path
        let jobs = root + "/jobs", results = root + "/results"
        let fleet = try await ProcessFleet.start(maxActive: 2, simulator: SimulatorConfiguration(), moreBackends: """
            - name: local
              kind: command
              max_active: 6
              poll: { min_interval: 1s, max_interval: 2s }
              command:
                work_dir: \(jobs)
                output_dir: \(results)
                max_per_host: 2
                timeout: 2m
                limits: { cpu_time: 60s, memory: 1GiB }
                supervisor: \(TestEnvironment.tilefleetBinary)
            """)
        defer {
            TestCleanup.later { await fleet.stop() }
            try? FileManager.default.removeItem(atPath: root)
        }

        var pids = try fleet.spawnRoles()
        defer { for pid in pids { TestEnvironment.stop(pid, signal: SIGKILL) } }

        // Not --offline: the preflight checks that the program exists on this host.
        let (status, output) = try fleet.run(["submit", TestEnvironment.projectRoot.appendingPathComponent("config/tasks/cologne-geocube.yaml").path])
        #expect(status == 0, "\(output)")
        let tiles = try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = 'cologne-geocube'")
        #expect(tiles >= 4, "the AOI covers at least 2 × 2 cells of 2,560 m")

        var done = 0
        try await eventually(timeout: .seconds(240)) {
            done = try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = 'cologne-geocube' AND status IN ('finished', 'failed', 'canceled')")
            return done == tiles
        }
        #expect(done == tiles)
        #expect(try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = 'cologne-geocube' AND status = 'finished'") == tiles)

        // One job directory per tile: no program ran twice, none ran for a failed attempt.
        let directories = try FileManager.default.contentsOfDirectory(atPath: jobs).filter { !$0.hasPrefix(".") }
        #expect(directories.count == tiles)

        // Each tile's asset is its program's GeoJSON: 256 × 256 pixels of 10 m in EPSG:32632.
        let (resultsStatus, csv) = try fleet.run(["results", "cologne-geocube", "--format", "csv"])
        #expect(resultsStatus == 0, "\(csv)")
        let rows = csv.split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
        #expect(rows.count == tiles)
        for row in rows {
            let href = try #require(row.first { $0.hasPrefix("file://") }, "\(row)")
            let path = try #require(URL(string: href)?.path)
            #expect(path.hasPrefix(results + "/"))
            let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
            let feature = try #require((document?["features"] as? [[String: Any]])?.first)
            let properties = try #require(feature["properties"] as? [String: Any])
            #expect(properties["width"] as? Int == 256 && properties["height"] as? Int == 256)
            #expect(properties["crs"] as? String == "EPSG:32632")
            #expect(properties["window"] as? String == "2023-05-01/2023-10-01")  // openEO's temporal extent: the end excluded
            let pixelsInArea = try #require(properties["pixels_in_aoi"] as? Int)
            #expect(pixelsInArea > 0 && pixelsInArea <= 256 * 256)
        }

        // The program's output is the job's log.
        let tile = try #require(rows.first?.first)
        let (logsStatus, logs) = try fleet.run(["logs", "cologne-geocube", tile])
        #expect(logsStatus == 0, "\(logs)")
        #expect(logs.contains("256x256 pixels of 10 m in EPSG:32632 ("))
        #expect(logs.contains("in the area), window 2023-05-01/2023-10-01: \(results)/"))

        for pid in pids { #expect(TestEnvironment.stop(pid, signal: SIGTERM) == 0) }
        pids = []
    }

    /// A job survives as a job: the worker that started a program is killed while it runs; another
    /// worker on the host picks up the job's polls, finds the program still running under its
    /// supervisor and finishes the tile. The program ran once.
    @Test func aProgramOutlivesTheWorkerThatStartedIt() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tilefleet-outlive-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let fleet = try await ProcessFleet.start(maxActive: 2, simulator: SimulatorConfiguration(), moreBackends: """
            - name: local
              kind: command
              max_active: 2
              poll: { min_interval: 1s, max_interval: 2s }
              command: { work_dir: \(root)/jobs, supervisor: \(TestEnvironment.tilefleetBinary) }
            """)
        defer {
            TestCleanup.later { await fleet.stop() }
            try? FileManager.default.removeItem(atPath: root)
        }
        try """
            import os, time
            open("\(root)/starts", "a").write(os.environ["TILEFLEET_JOB_ID"] + "\\n")
            while not os.path.exists("\(root)/go"):
                time.sleep(0.05)
            open(os.path.join(os.environ["TILEFLEET_OUTPUT_DIR"], "done.txt"), "w").write("done")
            """.write(toFile: root + "/slow.py", atomically: true, encoding: .utf8)
        try """
            id: outlive
            title: outlive
            backend: local
            service: { command: [python3, slow.py] }
            tile: { input: bbox-native }
            split: { aoi: "6.95,50.93,6.96,50.935", grid: "crs:32632:2560" }
            max_attempts: 1
            """.write(toFile: root + "/task.yaml", atomically: true, encoding: .utf8)
        var pids = [try fleet.spawn("recorder", ["recorder"]), try fleet.spawn("coordinator", ["coordinator"])]
        let first = try fleet.spawn("worker-1", ["worker", "--no-metrics"])
        defer { for pid in pids { TestEnvironment.stop(pid, signal: SIGKILL) } }
        let (status, output) = try fleet.run(["submit", "--offline", root + "/task.yaml"])
        #expect(status == 0, "\(output)")
        let tiles = try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = 'outlive'")
        #expect(tiles == 1)
        // The program runs: the worker that started it is killed.
        try await eventually(timeout: .seconds(60)) { FileManager.default.fileExists(atPath: root + "/starts") }
        TestEnvironment.stop(first, signal: SIGKILL)
        pids.append(try fleet.spawn("worker-2", ["worker", "--no-metrics"]))
        FileManager.default.createFile(atPath: root + "/go", contents: Data())
        let finished = try await eventually(timeout: .seconds(120)) {
            try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = 'outlive' AND status = 'finished'") == 1
        }
        #expect(finished)
        #expect(try String(contentsOfFile: root + "/starts", encoding: .utf8).split(separator: "\n").count == 1, "the program started twice")
        #expect(try await fleet.count("SELECT count(*) FROM assets WHERE task_id = 'outlive' AND href LIKE 'file://%/done.txt'") == 1)
    }
}
