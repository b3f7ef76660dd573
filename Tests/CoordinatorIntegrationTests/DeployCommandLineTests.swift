import Foundation
import Simulator
import Testing
import TestSupport

/// `try --task`, `check --task` and `undeploy` with a task that deploys its own process
/// (`service.deploy`), against the simulator's OGC API – Processes Part 2.
@Suite(.serialized) struct DeployCommandLineTests {
    static func tilefleet(_ arguments: [String]) async throws -> (Int32, String) {
        try await TestEnvironment.runOnThread([TestEnvironment.tilefleetBinary] + arguments)
    }

    @Test func tryDeploysCheckFindsItDeployedAndUndeployRemovesIt() async throws {
        let simulator = PlatformSimulator(configuration: SimulatorConfiguration(duration: .fixed(0.1)))
        let server = SimulatorServer { simulator.register(on: $0) }
        let port = try await server.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tf-deploy-cli-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "tilefleet".write(toFile: directory + "/password", atomically: true, encoding: .utf8)
        let config = directory + "/fleet.yaml"
        try """
            backends:
              - name: hpgc
                kind: ogc
                url: http://127.0.0.1:\(port)/ogc
                poll: { min_interval: 100ms, max_interval: 200ms }
                auth: { method: basic, username: tilefleet, password_file: \(directory)/password }
            """.write(toFile: config, atomically: true, encoding: .utf8)
        try #"{"processDescription": {"id": "bandratio", "version": "1.0.0"}, "executionUnit": {"type": "docker", "image": "example/bandratio:1"}}"#
            .write(toFile: directory + "/bandratio.json", atomically: true, encoding: .utf8)
        let task = directory + "/task.yaml"
        try """
            id: band-ratio
            title: Band ratio
            backend: hpgc
            service: { process: bandratio, deploy: bandratio.json }
            tile: { input: bbox, parameter: bbox }
            split: { aoi: "4.0,50.3,4.1,50.35", grid: km:10 }
            """.write(toFile: task, atomically: true, encoding: .utf8)

        let (dryStatus, dry) = try await Self.tilefleet(["submit", "--dry-run", "--config", config, task])
        #expect(dryStatus == 0, "\(dry)")
        #expect(dry.contains("process bandratio is not on hpgc yet: the coordinator deploys bandratio.json before dispatching"))
        #expect(simulator.deployedProcesses.answers.isEmpty, "a dry run deployed")

        let (tryStatus, tried) = try await Self.tilefleet(["try", "--config", config, "--task", task, "--tile", "32631-E570-N5570", "--poll-interval", "0.1"])
        #expect(tryStatus == 0, "\(tried)")
        #expect(tried.contains("takes this task"), "the deployed process was described and checked")
        #expect(tried.contains("process bandratio on hpgc: deployed"))
        #expect(simulator.deployedProcesses.answers == ["POST bandratio 201"])

        let (checkStatus, checked) = try await Self.tilefleet(["check", "--backends-only", "--config", config, "--task", task])
        #expect(checkStatus == 0, "\(checked)")
        #expect(checked.contains("process bandratio on hpgc: unchanged (bandratio.json)"))

        let (undeployStatus, undeployed) = try await Self.tilefleet(["undeploy", "--config", config, task])
        #expect(undeployStatus == 0, "\(undeployed)")
        #expect(undeployed.contains("undeployed process bandratio from hpgc"))
        #expect(simulator.deployedProcesses.ids.isEmpty)
        let (againStatus, again) = try await Self.tilefleet(["undeploy", "--config", config, task])
        #expect(againStatus == 2, "\(again)")
        #expect(again.contains("cannot undeploy bandratio from hpgc"))

        // The built-in `echo` is immutable: try stops before submitting, naming service.deploy.
        try #"{"processDescription": {"id": "echo"}, "executionUnit": {"type": "docker", "image": "example/echo:2"}}"#
            .write(toFile: directory + "/echo.json", atomically: true, encoding: .utf8)
        try String(contentsOfFile: task, encoding: .utf8).replacingOccurrences(of: "process: bandratio, deploy: bandratio.json", with: "process: echo, deploy: echo.json")
            .write(toFile: task, atomically: true, encoding: .utf8)
        let (refusedStatus, refused) = try await Self.tilefleet(["try", "--config", config, "--task", task, "--tile", "32631-E570-N5570"])
        #expect(refusedStatus == 2, "\(refused)")
        #expect(refused.contains("service.deploy: "))
        #expect(refused.contains("the process 'echo' is immutable on this server"))
        #expect(simulator.stats().jobsCreated == 1, "only the first try ran a job")
        await server.stop()
    }
}
