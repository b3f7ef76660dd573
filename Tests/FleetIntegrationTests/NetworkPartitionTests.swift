import Foundation
import Postgres
import Simulator
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Roles on hosts of their own (``HostNetwork``): two workers and the coordinator each in a network
/// namespace, reaching a private RabbitMQ and PostgreSQL and the simulator over their veth link; the
/// recorder stays beside the services. Mid-run one host's link is cut for longer than the AMQP
/// heartbeat timeout, so that the broker drops the host's connection, and then restored.
@Suite(.serialized) struct NetworkPartitionTests {
    struct PartitionError: Error, CustomStringConvertible { let description: String }

    /// The private services' ports: AMQP, EPMD and PostgreSQL from `TILEFLEET_NETNS_PORT` on.
    static let firstPort = ProcessInfo.processInfo.environment["TILEFLEET_NETNS_PORT"].flatMap { Int($0) } ?? 5770
    static var services: [String: String] {
        ["TILEFLEET_SERVICES_DIR": FileManager.default.temporaryDirectory.appendingPathComponent("tilefleet-netns-test-\(firstPort)").path,
         "TILEFLEET_AMQP_PORT": "\(firstPort)", "TILEFLEET_EPMD_PORT": "\(firstPort + 1)", "TILEFLEET_PG_PORT": "\(firstPort + 2)",
         "TILEFLEET_SERVICES_LISTEN": HostNetwork.gateway]
    }
    /// Every role's broker URL: a 2 s heartbeat, so a cut-off host is dropped within seconds.
    static let amqpURL = "amqp://guest:guest@\(HostNetwork.gateway):\(firstPort)/%2F?heartbeat=2"
    static let databaseURL = "postgresql://tilefleet:tilefleet-local@\(HostNetwork.gateway):\(firstPort + 2)/tilefleet"
    /// How long a link stays cut: several heartbeat timeouts.
    static let cut: Duration = .seconds(20)

    /// What a run with one host cut off measured.
    struct Run {
        var tiles = 0
        /// Seconds from the cut until the broker had dropped the host's connection.
        var droppedAfter = 0.0
        /// Seconds from the restore until the host was connected again.
        var backAfter = 0.0
        var terminalAtCut = 0
        var terminalAtRestore = 0
        /// Tiles worker 1 was last seen on before the cut that another worker finished before the restore.
        var handedOver = 0
        /// Tiles dispatched after the restore.
        var dispatchedAfterRestore = 0
        var stats: SimulatorStats
        var doubledInDatabase = 0
        var rolesRunning = false
        var logs = ""
    }

    static func rabbitmqctl(_ arguments: [String]) async throws -> String {
        let (status, output) = try await TestEnvironment.runOnThread(
            ["/bin/bash", TestEnvironment.projectRoot.appendingPathComponent("deploy/local/services.sh").path, "rabbitmqctl"] + arguments,
            environment: services)
        guard status == 0 else { throw PartitionError(description: "rabbitmqctl \(arguments.joined(separator: " ")) failed:\n\(output)") }
        return output
    }

    /// The addresses the broker has client connections from.
    static func connectedPeers() async throws -> Set<String> {
        Set(try await rabbitmqctl(["-q", "list_connections", "peer_host"]).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && $0 != "peer_host" })
    }

    /// Runs a task with the coordinator on host `co` and the workers on `w1` and `w2`, and cuts
    /// `victim`'s link at a fifth of the run for ``cut``.
    static func runCuttingOff(_ victim: String, task: String) async throws -> Run {
        let network = try await HostNetwork.make(hosts: ["w1", "w2", "co"])
        defer { network.remove() }
        let script = TestEnvironment.projectRoot.appendingPathComponent("deploy/local/services.sh").path
        try? FileManager.default.removeItem(atPath: services["TILEFLEET_SERVICES_DIR"]!)
        let (status, output) = try await TestEnvironment.runOnThread(["/bin/bash", script, "start"], environment: services)
        guard status == 0 else { throw PartitionError(description: "services.sh start failed:\n\(output)") }
        defer {
            _ = try? TestEnvironment.run(["/bin/bash", script, "stop"], environment: services)
            try? FileManager.default.removeItem(atPath: services["TILEFLEET_SERVICES_DIR"]!)
        }
        let maxActive = 30
        let fleet = try await ProcessFleet.start(maxActive: maxActive, simulator: SimulatorConfiguration(
            duration: .init(distribution: "fixed", seconds: 2), queueSeconds: 0, failureRate: 0),
            amqpURL: amqpURL, databaseURL: databaseURL, simulatorHost: HostNetwork.gateway,
            // Short requests: a cut-off host's submit gives up within seconds; a tile whose items
            // were lost is republished after lease + longest submit + skew.
            backendExtra: "request_timeout: 5s\nretry: { max_attempts: 2, initial_delay: 100ms, max_delay: 1s, max_retry_after: 2s }",
            extra: "recovery: { lease: 20s, heal_interval: 2s, clock_skew: 2s }")
        defer { TestCleanup.later { await fleet.stop() } }
        let file = fleet.directory + "/task.yaml"
        try """
        id: \(task)
        title: a host cut off mid-run
        backend: sim
        service: { udp: "https://example.org/udp/ndvi.json", id: ndvi }
        split: { aoi: "16.1482,48.0326,16.4,48.3081", grid: km:1 }
        """.write(toFile: file, atomically: true, encoding: .utf8)
        var pids = [
            try fleet.spawn("recorder", ["recorder"]),
            try fleet.spawn("coordinator", ["coordinator"], launcher: network.command(on: "co", [])),
            try fleet.spawn("worker-1", ["worker", "--no-metrics"], launcher: network.command(on: "w1", [])),
            try fleet.spawn("worker-2", ["worker", "--no-metrics"], launcher: network.command(on: "w2", [])),
        ]
        defer { for pid in pids { TestEnvironment.stop(pid, signal: SIGKILL) } }
        let (submitted, submitOutput) = try fleet.run(["submit", "--offline", "--yes", file])
        guard submitted == 0 else { throw PartitionError(description: "submit failed: \(submitOutput)") }
        let tiles = try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = \(task)")
        func terminal() async throws -> Int {
            try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = \(task) AND status IN ('finished', 'failed', 'canceled')")
        }
        let address = network.address(victim)
        guard try await eventually(timeout: .seconds(60), { try await connectedPeers().isSuperset(of: ["w1", "w2", "co"].map(network.address)) }) else {
            throw PartitionError(description: "not every host connected to the broker: \(try await connectedPeers())")
        }
        _ = try await eventually(timeout: .seconds(180)) { try await terminal() >= tiles / 5 }

        try await network.cut(victim)
        let cutAt = ContinuousClock.now
        let cutDate = Date()
        let terminalAtCut = try await terminal()
        let dropped = try await eventually(timeout: .seconds(60), every: .milliseconds(250)) { try await !connectedPeers().contains(address) }
        let droppedAfter = Date().timeIntervalSince(cutDate)
        guard dropped else { throw PartitionError(description: "the broker kept \(victim)'s connection for a minute after the cut") }
        if ContinuousClock.now - cutAt < cut { try await Task.sleep(for: cut - (ContinuousClock.now - cutAt)) }
        let terminalAtRestore = try await terminal()
        try await network.restore(victim)
        let restoredDate = Date()
        let back = try await eventually(timeout: .seconds(120), every: .milliseconds(250)) { try await connectedPeers().contains(address) }
        let backAfter = Date().timeIntervalSince(restoredDate)
        guard back else { throw PartitionError(description: "\(victim) did not connect to the broker again within two minutes") }

        var done = 0
        _ = try await eventually(timeout: .seconds(300)) {
            done = try await terminal()
            return done == tiles
        }
        let logs = ["recorder", "coordinator", "worker-1", "worker-2"].map { name in
            "\(name):\n" + String(((try? String(contentsOfFile: "\(fleet.directory)/\(name).log", encoding: .utf8)) ?? "").suffix(1200))
        }.joined(separator: "\n")
        guard done == tiles else { throw PartitionError(description: "\(done) of \(tiles) tiles terminal\n\(logs)") }
        let doubled = try await fleet.count("""
            SELECT count(*) FROM (SELECT idempotency_key FROM backend_jobs WHERE task_id = \(task) AND status <> 'failed'
                                  GROUP BY idempotency_key HAVING count(*) > 1) doubled
            """)
        // A worker's id ends in its PID (`ip netns exec` execs the worker: the PID is its own).
        let worker1 = "%:\(pids[2])"
        let handedOver = try await fleet.count("""
            SELECT count(*) FROM (
                SELECT DISTINCT ON (tile_id) tile_id, worker_id, status FROM events
                WHERE task_id = \(task) AND occurred_at < \(cutDate) ORDER BY tile_id, occurred_at DESC) last
            WHERE last.worker_id LIKE \(worker1) AND last.status NOT IN ('finished', 'failed', 'canceled')
              AND EXISTS (SELECT 1 FROM events e WHERE e.task_id = \(task) AND e.tile_id = last.tile_id AND e.status = 'finished'
                          AND e.occurred_at < \(restoredDate) AND e.worker_id NOT LIKE \(worker1))
            """)
        let dispatchedAfterRestore = try await fleet.count(
            "SELECT count(*) FROM tiles WHERE task_id = \(task) AND dispatched_at > \(restoredDate)")
        let running = pids.allSatisfy { TestEnvironment.exitStatusIfEnded($0) == nil }
        for pid in pids { TestEnvironment.stop(pid, signal: SIGTERM) }
        pids = []
        print("host \(victim) cut off for \(cut): broker dropped it after \(String(format: "%.1f", droppedAfter)) s, "
              + "connected again \(String(format: "%.1f", backAfter)) s after the restore; tiles terminal \(terminalAtCut) at the cut, "
              + "\(terminalAtRestore) at the restore, \(tiles) at the end; \(handedOver) of worker 1's tiles finished by worker 2 "
              + "during the cut; \(dispatchedAfterRestore) tiles dispatched after the restore")
        return Run(tiles: tiles, droppedAfter: droppedAfter, backAfter: backAfter, terminalAtCut: terminalAtCut,
                   terminalAtRestore: terminalAtRestore, handedOver: handedOver, dispatchedAfterRestore: dispatchedAfterRestore, stats: fleet.simulator.stats(), doubledInDatabase: doubled,
                   rolesRunning: running, logs: logs)
    }

    /// Nothing lost, nothing doubled, the limit held, every role still up.
    static func expectWhole(_ run: Run, maxActive: Int = 30) {
        #expect(run.tiles >= 500)
        #expect(run.stats.duplicateKeys.isEmpty, "a second job for \(run.stats.duplicateKeys.prefix(5))\n\(run.logs)")
        #expect(run.stats.jobsCreated == run.tiles, "\(run.logs)")
        #expect(run.doubledInDatabase == 0)
        #expect(run.stats.peakActiveByUser.values.max() ?? 0 <= maxActive)
        #expect(run.rolesRunning, "\(run.logs)")
    }

    @Test(.timeLimit(.minutes(10))) func aWorkerCutOffHandsItsItemsToTheOthersAndDoublesNothing() async throws {
        let run = try await Self.runCuttingOff("w1", task: "cut-worker")
        Self.expectWhole(run)
        // The other worker carried on while the first was cut off: its unacked items came back.
        #expect(run.terminalAtRestore > run.terminalAtCut, "no tile finished while worker 1 was cut off\n\(run.logs)")
        #expect(run.handedOver > 0, "no tile worker 1 held at the cut was finished by worker 2 before the restore\n\(run.logs)")
    }

    @Test(.timeLimit(.minutes(10))) func theCoordinatorCutOffResumesDispatchingAndDoublesNothing() async throws {
        let run = try await Self.runCuttingOff("co", task: "cut-coordinator")
        Self.expectWhole(run)
        #expect(run.dispatchedAfterRestore > 0, "the coordinator dispatched nothing after its link came back\n\(run.logs)")
    }
}
