import Coordinator
import FleetConfig
import Foundation
import Logging
import Postgres
import ServiceLifecycle
import Simulator
import Testing
import TestSupport

/// A task that names an application package (`service.deploy`): the coordinator deploys it on the
/// OGC API – Processes server before any tile is dispatched, and holds the tiles back while the
/// server refuses it.
@Suite(.serialized) struct DeployBeforeDispatchTests {
    /// A harness whose `sim` backend is an OGC API – Processes simulator; the package file beside it.
    static func harness(_ simulatorPort: Int, directory: String) async throws -> Harness {
        try "tilefleet".write(toFile: directory + "/password", atomically: true, encoding: .utf8)
        let configuration = try FleetConfiguration.parse(yaml: """
            topology:
              prefix: test-\(UUID().uuidString.prefix(8))
            backends:
              - name: sim
                kind: ogc
                url: http://127.0.0.1:\(simulatorPort)/ogc
                max_active: 4
                auth: { method: basic, username: tilefleet, password_file: \(directory)/password }
            """, file: "test.yaml", environment: [:])
        return try await Harness.make(configuration: configuration)
    }

    static func spec(id: String, process: String, package: String) -> String {
        """
        id: \(id)
        title: Deployed \(id)
        backend: sim
        service:
          process: \(process)
          deploy: \(package)
        tile: { input: bbox }
        split:
          aoi: "4.0,50.3,4.276,50.479"
          grid: km:10
        """
    }

    static func package(_ id: String, in directory: String) throws -> String {
        let path = directory + "/\(id).json"
        try #"{"processDescription": {"id": "\#(id)", "version": "1.0.0"}, "executionUnit": {"type": "docker", "image": "example/\#(id):1"}}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func theCoordinatorDeploysThePackageBeforeItDispatchesTheTask() async throws {
        let simulator = PlatformSimulator()
        let server = SimulatorServer { simulator.register(on: $0) }
        let port = try await server.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tf-deploy-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let h = try await Self.harness(port, directory: directory)
        do {
            let plan = try await h.submit(Self.spec(id: "deployed", process: "bandratio", package: try Self.package("bandratio", in: directory)))
            #expect(plan.spec.deploy?.processID == "bandratio")
            // A dispatcher on its own holds the task back and hands it over for deployment.
            let dispatcher = try await h.dispatcher()
            #expect(try await dispatcher.dispatch(backend: "sim", maxActive: 4).total == 0)
            #expect(await dispatcher.takeAwaitingDeployment().map(\.id) == ["deployed"])
            #expect(simulator.deployedProcesses.answers.isEmpty)

            let serviceDB = try await PostgresConnection.connect(to: h.db.url)
            let service = CoordinatorService(database: serviceDB, amqp: h.amqp, configuration: h.configuration, signing: .unsigned, interval: .milliseconds(200))
            let group = ServiceGroup(configuration: .init(services: [.init(service: service)], logger: Logger(label: "test")))
            let running = Task { try await group.run() }
            let queued = try await eventually(timeout: .seconds(30)) {
                try await h.count("SELECT count(*) FROM tiles WHERE task_id = 'deployed' AND status = 'queued'") == min(4, plan.records.count)
            }
            await group.triggerGracefulShutdown()
            try await running.value
            await serviceDB.close()
            #expect(queued, "the task's tiles were not dispatched")
            #expect(simulator.deployedProcesses.answers == ["POST bandratio 201"])
            #expect(simulator.deployedProcesses.ids == ["bandratio"])
        } catch {
            await h.tearDown()
            await server.stop()
            throw error
        }
        await h.tearDown()
        await server.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    @Test func aProcessTheServerRefusesKeepsTheTilesPending() async throws {
        let simulator = PlatformSimulator()
        let server = SimulatorServer { simulator.register(on: $0) }
        let port = try await server.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tf-deploy-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let h = try await Self.harness(port, directory: directory)
        do {
            // `echo` is built into the simulator: it exists (409) and is immutable (403).
            try await h.submit(Self.spec(id: "refused", process: "echo", package: try Self.package("echo", in: directory)))
            let serviceDB = try await PostgresConnection.connect(to: h.db.url)
            let service = CoordinatorService(database: serviceDB, amqp: h.amqp, configuration: h.configuration, signing: .unsigned, interval: .milliseconds(200))
            let group = ServiceGroup(configuration: .init(services: [.init(service: service)], logger: Logger(label: "test")))
            let running = Task { try await group.run() }
            // Two refusals: the deployment was tried again on a later pass.
            let retried = try await eventually(timeout: .seconds(30)) {
                simulator.deployedProcesses.answers.filter { $0 == "PUT echo 403" }.count >= 2
            }
            await group.triggerGracefulShutdown()
            try await running.value
            await serviceDB.close()
            #expect(retried)
            #expect(try await h.count("SELECT count(*) FROM tiles WHERE task_id = 'refused' AND status = 'pending'")
                == h.count("SELECT count(*) FROM tiles WHERE task_id = 'refused'"))
            #expect(try await h.count("SELECT count(*) FROM tiles WHERE task_id = 'refused'") > 0)
        } catch {
            await h.tearDown()
            await server.stop()
            throw error
        }
        await h.tearDown()
        await server.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
