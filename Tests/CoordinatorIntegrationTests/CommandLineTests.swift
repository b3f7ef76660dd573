import Foundation
import Simulator
import Testing
import TestSupport

/// The `tilefleet` executable: exit codes and messages of the coordinator's commands.
@Suite(.serialized) struct CommandLineTests {
    static var binary: String { TestEnvironment.tilefleetBinary }

    @Test func dryRunOfViennaPVPrintsSixTilesAndStoresNothing() throws {
        let (status, output) = try TestEnvironment.run([
            Self.binary, "submit", "--dry-run", "--offline", "--config", TaskFixtures.path("config/fleet.example.yaml"),
            TaskFixtures.path("config/tasks/vienna-pv.yaml"),
        ], environment: ["TILEFLEET_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("6 cells, 6 jobs"))
        #expect(output.contains("\"idempotency_key\" : \"tilefleet:vienna-pv:"))
        #expect(output.contains("preflight skipped (--offline)"))
    }

    @Test func aBadSpecExitsWithStatusTwoNamingEveryProblem() throws {
        let spec = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).yaml")
        try Data("title: x\nbackend: cdsee\nservice: {process: p}\nsplit: {aoi: '16.1,48.0,16.7,48.3', grid: km20}\n".utf8).write(to: spec)
        defer { try? FileManager.default.removeItem(at: spec) }
        let (status, output) = try TestEnvironment.run([
            Self.binary, "submit", "--config", TaskFixtures.path("config/fleet.example.yaml"), spec.path,
        ])
        #expect(status == 2)
        #expect(output.contains("backend: unknown backend 'cdsee', did you mean 'cdse'?"))
        #expect(output.contains("split.grid: unknown grid 'km20', did you mean 'km:20'?"))
    }

    @Test func submitStoresDispatchesAndPrintsTheTaskID() async throws {
        let h = try await Harness.make(maxActive: 2)
        do {
            let config = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-\(UUID().uuidString).yaml")
            try Data("""
                topology: {prefix: \(h.topology.prefix)}
                backends:
                  - {name: sim, kind: openeo, url: "http://127.0.0.1:8080/openeo", max_active: 2}
                """.utf8).write(to: config)
            defer { try? FileManager.default.removeItem(at: config) }
            let spec = FileManager.default.temporaryDirectory.appendingPathComponent("task-\(UUID().uuidString).yaml")
            try Data(TaskFixtures.spec(id: "from-cli").utf8).write(to: spec)
            defer { try? FileManager.default.removeItem(at: spec) }
            let (status, output) = try TestEnvironment.run(
                [Self.binary, "submit", spec.path, "--offline", "--database-url", h.db.url.unredactedString],
                environment: ["TILEFLEET_CONFIG": config.path, "TILEFLEET_AMQP_URL": TestEnvironment.amqpURL])
            #expect(status == 0, "\(output)")
            #expect(output.split(separator: "\n").contains("from-cli"))
            #expect(try await h.count("SELECT count(*) FROM tiles WHERE task_id = 'from-cli' AND status = 'queued'") == 2)
            #expect(try await h.queuedMessages() == 2)

            let (again, message) = try TestEnvironment.run(
                [Self.binary, "submit", spec.path, "--offline", "--database-url", h.db.url.unredactedString],
                environment: ["TILEFLEET_CONFIG": config.path, "TILEFLEET_AMQP_URL": TestEnvironment.amqpURL])
            #expect(again == 2)
            #expect(message.contains("a task with id 'from-cli' already exists"))

            let (listed, table) = try TestEnvironment.run(
                [Self.binary, "status", "from-cli", "--format", "csv", "--database-url", h.db.url.unredactedString],
                environment: ["TILEFLEET_CONFIG": config.path])
            #expect(listed == 0)
            #expect(table.contains("from-cli,sim,active,0,"))
            #expect(table.contains("tiles/h,eta"))
        } catch {
            await h.tearDown()
            throw error
        }
        await h.tearDown()
    }

    @Test func aMalformedBrokerURLIsExitTwoNamingIt() throws {
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-\(UUID().uuidString).yaml")
        try Data("backends:\n  - {name: sim, kind: openeo, url: 'http://127.0.0.1:1/openeo'}\n".utf8).write(to: config)
        defer { try? FileManager.default.removeItem(at: config) }
        let (status, output) = try TestEnvironment.run([
            Self.binary, "worker", "--no-metrics", "--config", config.path, "--amqp-url", "http://127.0.0.1:5673/",
        ])
        #expect(status == 2, "\(output)")
        #expect(output.contains("broker URL: "), "\(output)")
    }

    @Test func checkNamesAnUnreachableBrokerAndDatabaseWithTheirFixes() throws {
        let (status, output) = try TestEnvironment.run([
            Self.binary, "check", "--config", TaskFixtures.path("config/fleet.example.yaml"), "--backend", "hpgc",
            "--amqp-url", "amqp://guest:guest@127.0.0.1:1/%2F", "--database-url", "postgresql://nobody@127.0.0.1:1/none",
        ])
        #expect(status == 1, "\(output)")
        #expect(output.contains("ok       configuration"), "\(output)")
        #expect(output.contains("PROBLEM  broker"), "\(output)")
        #expect(output.contains("fix: start RabbitMQ"), "\(output)")
        #expect(output.contains("PROBLEM  database"), "\(output)")
        #expect(output.contains("fix: start PostgreSQL"), "\(output)")
        #expect(!output.contains("guest:guest"), "no password in the output: \(output)")
    }

    /// The preflight against the bundled simulator's openEO API: a process graph that reads
    /// `bbox` while the task fills `spatial_extent` is refused before the database is touched
    /// (its URL leads nowhere), with every problem named; named right, `--dry-run` prints the job
    /// with the tile in the graph, as it will be sent.
    @Test func thePreflightRefusesAMisnamedTileParameterAndDryRunPrintsTheResolvedGraph() async throws {
        try await withLoopbackServer(SimulatorServer { PlatformSimulator(configuration: .init()).register(on: $0) }) { _, origin in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("preflight-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            try Data("""
                backends:
                  - {name: sim, kind: openeo, url: "\(origin)/openeo", auth: {method: basic, username: tilefleet, password_env: SIM_PASSWORD}}
                """.utf8).write(to: directory.appendingPathComponent("fleet.yaml"))
            try Data("""
                {"process_graph": {
                  "load": {"process_id": "load_collection", "arguments": {"id": "S2", "spatial_extent": {"from_parameter": "bbox"}}},
                  "save": {"process_id": "save_result", "arguments": {"data": {"from_node": "load"}, "format": "GTiff"}, "result": true}}}
                """.utf8).write(to: directory.appendingPathComponent("graph.json"))
            let task = directory.appendingPathComponent("task.yaml").path
            try Data("""
                id: misnamed
                title: misnamed
                backend: sim
                service: {process_graph: graph.json}
                parameters: {bandz: [B04]}
                split: {aoi: "16.1,48.0,16.3,48.1", grid: km:20}
                """.utf8).write(to: URL(fileURLWithPath: task))
            let environment = ["TILEFLEET_CONFIG": directory.appendingPathComponent("fleet.yaml").path, "SIM_PASSWORD": "tilefleet",
                               "TILEFLEET_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"]
            let (refused, problems) = try await TestEnvironment.runOnThread([Self.binary, "submit", task], environment: environment)
            #expect(refused == 2, "\(problems)")
            #expect(problems.contains("task.yaml: tile.parameter: the process graph has no parameter 'spatial_extent': the tile would not reach the job (its parameters: bbox)"), "\(problems)")
            #expect(problems.contains("task.yaml: parameters.bandz: the process graph has no parameter 'bandz'"), "\(problems)")
            #expect(problems.contains("task.yaml: parameters: the process graph requires 'bbox'"), "\(problems)")

            try Data("""
                id: named-right
                title: named right
                backend: sim
                service: {process_graph: graph.json}
                tile: {parameter: bbox}
                split: {aoi: "16.1,48.0,16.3,48.1", grid: km:20}
                """.utf8).write(to: URL(fileURLWithPath: task))
            let (status, output) = try await TestEnvironment.runOnThread([Self.binary, "submit", "--dry-run", task], environment: environment)
            #expect(status == 0, "\(output)")
            #expect(output.contains("POST \(origin)/openeo/jobs"), "\(output)")
            #expect(!output.contains("from_parameter"), "the graph is printed resolved: \(output)")
            #expect(output.contains("\"type\" : \"Polygon\""), "\(output)")
            #expect(output.contains("preflight: the process graph on sim takes this task"), "\(output)")
        }
    }
}
