import Foundation
import Testing
import TestSupport

/// The `tilefleet` executable: exit codes and messages of the coordinator's commands.
@Suite(.serialized) struct CommandLineTests {
    static var binary: String { TestEnvironment.tilefleetBinary }

    @Test func dryRunOfViennaPVPrintsSixTilesAndStoresNothing() throws {
        let (status, output) = try TestEnvironment.run([
            Self.binary, "submit", "--dry-run", "--config", TaskFixtures.path("config/fleet.example.yaml"),
            TaskFixtures.path("config/tasks/vienna-pv.yaml"),
        ], environment: ["TILEFLEET_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("6 cells, 6 jobs"))
        #expect(output.contains("\"idempotency_key\" : \"tilefleet:vienna-pv:"))
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
                [Self.binary, "submit", spec.path, "--database-url", h.db.url.unredactedString],
                environment: ["TILEFLEET_CONFIG": config.path, "TILEFLEET_AMQP_URL": TestEnvironment.amqpURL])
            #expect(status == 0, "\(output)")
            #expect(output.split(separator: "\n").contains("from-cli"))
            #expect(try await h.count("SELECT count(*) FROM tiles WHERE task_id = 'from-cli' AND status = 'queued'") == 2)
            #expect(try await h.queuedMessages() == 2)

            let (again, message) = try TestEnvironment.run(
                [Self.binary, "submit", spec.path, "--database-url", h.db.url.unredactedString],
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
}
