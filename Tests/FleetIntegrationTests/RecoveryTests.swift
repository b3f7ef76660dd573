import AMQP
import FleetModel
import Foundation
import Messaging
import Postgres
import Simulator
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The fleet heals itself after losing items, with no command typed, and never starts a second
/// job: every queue deleted mid-run, the broker's data wiped, `resume` run three times while the
/// items are queued, a coordinator killed between its commit and its publish. Real processes on a
/// private broker each; short leases so that healing takes seconds.
@Suite(.serialized) struct RecoveryTests {
    static let maxActive = 15

    /// A lease of 3 s; a submit takes at most 2 × 2 s plus 1 s between: a tile silent for 9 s is republished.
    static let backend = """
        request_timeout: 2s
        retry: { max_attempts: 2, initial_delay: 200ms, max_delay: 500ms, max_retry_after: 1s }
        """
    static let recovery = """
        recovery: { lease: 3s, heal_interval: 1s, clock_skew: 1s }
        """

    /// A fleet of recorder, coordinator and two workers on `broker`, with a task of 97 tiles whose
    /// jobs take 2 s, started; returns once `started` jobs were created.
    static func running(on broker: TestEnvironment.PrivateService, started: Int = 30,
                        roles: [String] = ["recorder", "coordinator", "worker-1", "worker-2"], submit: Bool = true) async throws -> (ProcessFleet, Pids) {
        let fleet = try await ProcessFleet.start(maxActive: maxActive, simulator: SimulatorConfiguration(
            duration: .init(distribution: "fixed", seconds: 2), queueSeconds: 0, failureRate: 0),
            amqpURL: broker.amqpURL, backendExtra: backend, extra: recovery)
        let pids = Pids()
        for role in roles { try pids.spawn(fleet, role) }
        let task = fleet.directory + "/task.yaml"
        try """
        id: heal
        title: heals itself
        backend: sim
        service: { udp: "https://example.org/udp/ndvi.json", id: ndvi }
        split:
          aoi: "16.1482,48.0326,16.7092,48.3081"
          grid: km:4
        """.write(toFile: task, atomically: true, encoding: .utf8)
        guard submit else { return (fleet, pids) }
        let (status, output) = try fleet.run(["submit", "--offline", task])
        #expect(status == 0, "\(output)")
        if started > 0 {
            #expect(try await eventually(timeout: .seconds(60)) { fleet.simulator.stats().jobsCreated >= started })
        }
        return (fleet, pids)
    }

    /// Waits until every tile of the task is terminal, then checks that each finished with
    /// exactly one job per attempt and that `max_active` held.
    static func expectEveryTileFinishedWithOneJob(_ fleet: ProcessFleet, pids: Pids, timeout: Duration = .seconds(240)) async throws {
        let tiles = try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = 'heal'")
        #expect(tiles > 50)
        var done = 0
        _ = try await eventually(timeout: timeout) {
            done = try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = 'heal' AND status IN ('finished', 'failed', 'canceled')")
            return done == tiles
        }
        #expect(done == tiles, "\(done) of \(tiles) tiles terminal; coordinator log: \(pids.log(fleet, "coordinator").suffix(3000))")
        #expect(try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = 'heal' AND status = 'finished'") == tiles)
        let stats = fleet.simulator.stats()
        #expect(stats.duplicateKeys.isEmpty, "second jobs for \(stats.duplicateKeys)")
        #expect(stats.jobsCreated == tiles, "one job per tile")
        #expect(stats.peakActiveByUser.values.max() ?? 0 <= maxActive)
    }

    @Test(.timeLimit(.minutes(6))) func everyQueueDeletedMidRunHealsWithNoSecondJob() async throws {
        let broker = TestEnvironment.PrivateService("rabbitmq", port: 5706)
        try await broker.start()
        defer { try? broker.stop() }
        let (fleet, pids) = try await Self.running(on: broker)
        defer { pids.killAll(); TestCleanup.later { await fleet.stop() } }

        let amqp = try await AMQPConnection.connect(url: broker.amqpURL)
        let channel = try await amqp.openChannel()
        var topology = Topology(prefix: fleet.prefix, waitTiers: [1, 2])
        topology.backends = ["sim"]
        try await topology.delete(on: channel)
        await amqp.close()

        try await Self.expectEveryTileFinishedWithOneJob(fleet, pids: pids)
        #expect(pids.log(fleet, "coordinator").contains("republished tiles whose work items were lost"))
    }

    @Test(.timeLimit(.minutes(6))) func aWipedBrokerHealsWithNoSecondJob() async throws {
        let broker = TestEnvironment.PrivateService("rabbitmq", port: 5706)
        try await broker.start()
        defer { try? broker.stop() }
        let (fleet, pids) = try await Self.running(on: broker)
        defer { pids.killAll(); TestCleanup.later { await fleet.stop() } }

        // The workers die first, so that every item is in the broker when its data goes.
        pids.kill("worker-1")
        pids.kill("worker-2")
        try await broker.wipe()
        try await broker.start()
        try pids.spawn(fleet, "worker-3")
        try pids.spawn(fleet, "worker-4")

        try await Self.expectEveryTileFinishedWithOneJob(fleet, pids: pids)
        #expect(pids.log(fleet, "coordinator").contains("republished tiles whose work items were lost"))
    }

    @Test(.timeLimit(.minutes(6))) func resumeThreeTimesWhileItemsAreQueuedAddsNoJob() async throws {
        let broker = TestEnvironment.PrivateService("rabbitmq", port: 5706)
        try await broker.start()
        defer { try? broker.stop() }
        // No worker yet: every dispatched submit waits in its queue while resume runs.
        let (fleet, pids) = try await Self.running(on: broker, started: 0, roles: ["recorder", "coordinator"])
        defer { pids.killAll(); TestCleanup.later { await fleet.stop() } }
        #expect(try await eventually {
            try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = 'heal' AND status = 'queued'") == Self.maxActive
        })
        for _ in 0..<3 {
            let (status, output) = try fleet.run(["resume"])
            #expect(status == 0, "\(output)")
            #expect(output.contains("republished 0 poll items and 0 submit items"), "\(output)")
        }
        try pids.spawn(fleet, "worker-1")
        try pids.spawn(fleet, "worker-2")
        try await Self.expectEveryTileFinishedWithOneJob(fleet, pids: pids)
    }

    /// `submit` dispatches the first tiles itself, as a coordinator does: it commits its claim,
    /// then its publish hangs (the broker's memory alarm stops it reading from publishers), and it
    /// is killed there. The coordinator, started after, finds the tiles queued with no item and
    /// republishes them once their lease has run out.
    @Test(.timeLimit(.minutes(6))) func aDispatcherKilledBetweenCommitAndPublishLosesNoTile() async throws {
        let broker = TestEnvironment.PrivateService("rabbitmq", port: 5706)
        try await broker.start()
        defer {
            _ = try? TestEnvironment.run(["/bin/bash", TestEnvironment.servicesScript, "rabbitmqctl", "set_vm_memory_high_watermark", "0.4"],
                                         environment: broker.environment)
            try? broker.stop()
        }
        let (fleet, pids) = try await Self.running(on: broker, started: 0, roles: ["recorder", "worker-1", "worker-2"], submit: false)
        defer { pids.killAll(); TestCleanup.later { await fleet.stop() } }
        _ = try await broker.rabbitmqctl(["set_vm_memory_high_watermark", "0"])
        try pids.spawn(fleet, "submit", arguments: ["submit", "--offline", fleet.directory + "/task.yaml"])
        #expect(try await eventually {
            try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = 'heal' AND status = 'queued'") == Self.maxActive
        }, "the claim was committed")
        try await Task.sleep(for: .seconds(2))
        #expect(pids.isRunning("submit"), "the publish hangs: \(pids.log(fleet, "submit"))")
        pids.kill("submit")
        _ = try await broker.rabbitmqctl(["set_vm_memory_high_watermark", "0.4"])
        try pids.spawn(fleet, "coordinator")

        try await Self.expectEveryTileFinishedWithOneJob(fleet, pids: pids)
    }
}

/// The role processes of one test, by name.
final class Pids: @unchecked Sendable {
    private var byName: [String: pid_t] = [:]
    private let lock = NSLock()

    /// Spawns `tilefleet <role>` (a name `worker-N` runs a worker), or `tilefleet <arguments>`.
    func spawn(_ fleet: ProcessFleet, _ name: String, arguments: [String]? = nil) throws {
        let command = name.hasPrefix("worker") ? "worker" : name
        let arguments = arguments ?? (command == "worker" ? ["worker", "--no-metrics"] : [command])
        let pid = try fleet.spawn(name, arguments)
        lock.withLock { byName[name] = pid }
    }

    func kill(_ name: String) {
        guard let pid = lock.withLock({ byName.removeValue(forKey: name) }) else { return }
        TestEnvironment.stop(pid, signal: SIGKILL)
    }

    /// Whether `name` is still running (not exited, not a zombie).
    func isRunning(_ name: String) -> Bool {
        guard let pid = lock.withLock({ byName[name] }) else { return false }
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == 0
    }

    func killAll() {
        for name in lock.withLock({ Array(byName.keys) }) { kill(name) }
    }

    /// The log of role `name`.
    func log(_ fleet: ProcessFleet, _ name: String) -> String {
        (try? String(contentsOfFile: "\(fleet.directory)/\(name).log", encoding: .utf8)) ?? ""
    }
}
