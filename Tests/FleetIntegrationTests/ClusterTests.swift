import Foundation
import Postgres
import Simulator
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The fleet on a three-node RabbitMQ cluster (`deploy/local/cluster.sh`) with quorum queues:
/// every role is given the three nodes' URLs and starts on the first; that node is killed with
/// SIGKILL mid-run and started again later.
@Suite(.serialized) struct ClusterTests {
    struct ClusterError: Error, CustomStringConvertible { let description: String }

    static let firstPort = 5730
    static var environment: [String: String] {
        ["TILEFLEET_SERVICES_DIR": FileManager.default.temporaryDirectory.appendingPathComponent("tilefleet-cluster-test").path,
         "TILEFLEET_CLUSTER_PORT": "\(firstPort)", "TILEFLEET_CLUSTER_EPMD_PORT": "4390"]
    }
    static let script = TestEnvironment.projectRoot.appendingPathComponent("deploy/local/cluster.sh").path

    static func cluster(_ arguments: [String]) async throws -> String {
        let (status, output) = try await TestEnvironment.runOnThread(["/bin/bash", script] + arguments, environment: environment)
        guard status == 0 else { throw ClusterError(description: "cluster.sh \(arguments.joined(separator: " ")) failed:\n\(output)") }
        return output
    }

    @Test(.timeLimit(.minutes(12))) func killingTheNodeEveryRoleIsOnLosesNothing() async throws {
        // A fresh cluster: no queue or message of an earlier run.
        try? FileManager.default.removeItem(atPath: Self.environment["TILEFLEET_SERVICES_DIR"]!)
        _ = try await Self.cluster(["start"])
        defer {
            _ = try? TestEnvironment.run(["/bin/bash", Self.script, "stop"], environment: Self.environment)
            try? FileManager.default.removeItem(atPath: Self.environment["TILEFLEET_SERVICES_DIR"]!)
        }
        let urls = (0..<3).map { "amqp://guest:guest@127.0.0.1:\(Self.firstPort + $0)/%2F" }.joined(separator: ",")
        let maxActive = 60
        let fleet = try await ProcessFleet.start(maxActive: maxActive, simulator: SimulatorConfiguration(
            duration: .init(distribution: "fixed", seconds: 1), queueSeconds: 0, failureRate: 0), amqpURL: urls,
            // Short requests: a tile whose items were lost in the failover is republished after
            // lease + longest submit + skew, under a minute here.
            backendExtra: "request_timeout: 5s\nretry: { max_attempts: 2, initial_delay: 100ms, max_delay: 1s, max_retry_after: 2s }",
            topologyExtra: "quorum_queues: true",
            extra: "recovery: { lease: 20s, heal_interval: 2s, clock_skew: 2s }")
        defer { TestCleanup.later { await fleet.stop() } }
        let task = fleet.directory + "/task.yaml"
        try """
        id: cluster
        title: a node lost mid-run
        backend: sim
        service: { udp: "https://example.org/udp/ndvi.json", id: ndvi }
        split: { aoi: "16.1482,48.0326,16.7092,48.3081", grid: km:1 }
        """.write(toFile: task, atomically: true, encoding: .utf8)
        var pids = try fleet.spawnRoles()
        defer { for pid in pids { TestEnvironment.stop(pid, signal: SIGKILL) } }
        let (status, output) = try fleet.run(["submit", "--offline", "--yes", task])
        #expect(status == 0, "\(output)")
        let tiles = try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = 'cluster'")
        #expect(tiles >= 1000)

        func terminal() async throws -> Int {
            try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = 'cluster' AND status IN ('finished', 'failed', 'canceled')")
        }
        try await eventually(timeout: .seconds(120)) { try await terminal() >= tiles / 5 }
        // Every role started on the first URL: the node they all use dies.
        _ = try await Self.cluster(["kill", "1"])
        let atKill = try await terminal()
        #expect(atKill < tiles, "the run ended before the node was killed")
        try await Task.sleep(for: .seconds(15))
        _ = try await Self.cluster(["start-node", "1"])

        var done = 0
        try await eventually(timeout: .seconds(240)) {
            done = try await terminal()
            return done == tiles
        }
        let logs = ["worker-1", "recorder", "coordinator"].map { name in
            "\(name):\n" + String(((try? String(contentsOfFile: "\(fleet.directory)/\(name).log", encoding: .utf8)) ?? "").suffix(1500))
        }.joined(separator: "\n")
        #expect(done == tiles, "\(logs)")
        #expect(try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = 'cluster' AND status = 'finished'") == tiles)
        let stats = fleet.simulator.stats()
        #expect(stats.duplicateKeys.isEmpty, "a second job for \(stats.duplicateKeys.prefix(5))")
        #expect(stats.jobsCreated == tiles)
        #expect(stats.peakActiveByUser.values.max() ?? 0 <= maxActive)
        // The roles moved to another node and back to work: all are still running.
        for pid in pids { #expect(TestEnvironment.exitStatusIfEnded(pid) == nil) }
        for pid in pids { #expect(TestEnvironment.stop(pid, signal: SIGTERM) == 0) }
        pids = []
    }
}
