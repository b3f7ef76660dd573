import AMQP
import Backends
import FleetModel
import Foundation
import Messaging
import Simulator
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A private fleet for one test: its own topology prefix (wait tiers of 1 and 2 s), an in-process
/// simulator, a fleet config pointing at it, `tilefleet worker` subprocesses, and a queue bound
/// to the events exchange from which the test reads what became of every tile.
final class FleetHarness: @unchecked Sendable {
    let topology: Topology
    let simulator: PlatformSimulator
    let server: SimulatorServer
    let configPath: String
    let amqp: AMQPConnection
    let channel: AMQPChannel
    let eventsQueue: String
    let directory: String
    private(set) var workers: [pid_t] = []
    private let consumer: AMQPConsumer
    /// The last event per tile, and every event seen.
    private(set) var latest: [String: StatusEvent] = [:]
    private(set) var eventCount = 0

    static let job = BackendJob(process: .named(id: "ndvi", namespace: nil), arguments: ["tile": .string("x")], title: "ndvi")

    let amqpURL: String
    /// With `signed`: the fleet's key files (in the test directory, named by the config) and the
    /// harness's own use of them (it tags what it publishes, checks what it reads).
    let signing: MessageSigning
    /// Events read whose tag the events key does not vouch for (always 0 unsigned).
    private(set) var badlyTaggedEvents = 0

    var workKeyPath: String { directory + "/work.key" }

    /// `kind`: the `sim` backend's kind (`ogc`: the simulator's OGC API – Processes, basic auth);
    /// `poll`: its poll settings; `waitTiers`: the fleet's delay tiers; `auth`: the backend's
    /// `auth:` mapping in flow YAML (`{method: oidc_device, …}`), if any (`tokenFile` in it is
    /// replaced by ``tokenFile``); `signed`: work and events keys in the configuration.
    init(simulator configuration: SimulatorConfiguration, requestTimeout: String = "20s",
         amqpURL: String = TestEnvironment.amqpURL, kind: String = "openeo", poll: String = "{ min_interval: 1s, max_interval: 2s }",
         waitTiers: [Int] = [1, 2], auth: String? = nil, signed: Bool = false) async throws {
        self.amqpURL = amqpURL
        let id = UUID().uuidString.lowercased().prefix(8)
        topology = Topology(prefix: "test-\(id)", backends: ["sim"], waitTiers: waitTiers)
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tilefleet-worker-\(id)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        simulator = PlatformSimulator(configuration: configuration)
        let simulator = simulator
        server = SimulatorServer { simulator.register(on: $0) }
        let port = try await server.start()
        configPath = directory + "/fleet.yaml"
        var signingSection = ""
        if signed {
            for name in ["work.key", "events.key"] {
                FileManager.default.createFile(atPath: directory + "/" + name, contents: Data(MessageKeyRing.newKey().utf8),
                                               attributes: [.posixPermissions: 0o600])
            }
            signingSection = "signing: {work_key_file: work.key, event_key_file: events.key}\n"
            signing = MessageSigning(work: try MessageKeyFile(path: directory + "/work.key"),
                                     events: try MessageKeyFile(path: directory + "/events.key"))
        } else {
            signing = .unsigned
        }
        try "tilefleet".write(toFile: directory + "/password", atomically: true, encoding: .utf8)
        try """
        \(signingSection)backends:
          - name: sim
            kind: \(kind)
            url: http://127.0.0.1:\(port)/\(kind == "ogc" ? "ogc" : "openeo")
            max_active: 100000
            poll: \(poll)\(kind == "ogc" ? "\n    auth: { method: basic, username: tilefleet, password_file: \(directory)/password }" : "")
            retry: { max_attempts: 3, initial_delay: 20ms, max_delay: 200ms, max_retry_after: 2s }
            request_timeout: \(requestTimeout)
        """.write(toFile: configPath, atomically: true, encoding: .utf8)
        if let auth {
            let line = "\n    auth: " + auth.replacingOccurrences(of: "tokenFile", with: directory + "/tokens.json") + "\n"
            try (String(contentsOfFile: configPath, encoding: .utf8) + line).write(toFile: configPath, atomically: true, encoding: .utf8)
        }
        amqp = try await AMQPConnection.connect(url: amqpURL)
        channel = try await amqp.openChannel()
        try await topology.declare(on: channel)
        try await channel.enablePublisherConfirms()
        eventsQueue = "\(topology.prefix).test-events"
        try await channel.declareQueue(eventsQueue)
        try await channel.bindQueue(eventsQueue, exchange: topology.eventsExchange, routingKey: "#")
        consumer = try await channel.consume(queue: eventsQueue)
    }

    /// The token file an `auth` with `tokenFile` names.
    var tokenFile: String { directory + "/tokens.json" }

    /// Starts a `tilefleet worker` subprocess; its output goes to `worker-<n>.log` in the test directory.
    @discardableResult
    func spawnWorker(_ extra: [String] = []) throws -> pid_t {
        let log = "\(directory)/worker-\(workers.count).log"
        let pid = try TestEnvironment.spawn([
            TestEnvironment.tilefleetBinary, "worker", "--config", configPath, "--amqp-url", amqpURL,
            "--prefix", topology.prefix, "--wait-tiers", topology.waitTiers.map(String.init).joined(separator: ","), "--prefetch", "200",
        ] + (extra.contains("--metrics-port") ? [] : ["--no-metrics"]) + extra, logPath: log)
        workers.append(pid)
        return pid
    }

    /// The output of worker `n`.
    func workerLog(_ n: Int) -> String {
        (try? String(contentsOfFile: "\(directory)/worker-\(n).log", encoding: .utf8)) ?? ""
    }

    /// Publishes `count` submit items, tiles `tile-0` … (confirmed).
    func publishSubmits(_ count: Int, task: String = "task-1", maxAttempts: Int = 3) async throws {
        for i in 0..<count {
            let item = WorkItem(kind: .submit, task: task, tile: "tile-\(i)", maxAttempts: maxAttempts, backend: "sim", job: Self.job)
            let body = item.encoded()
            try await channel.publish(body, exchange: topology.workExchange, routingKey: "sim",
                                      properties: signing.tagged(AMQPProperties(), body: body, purpose: .work))
        }
        try await channel.waitForConfirms()
    }

    func publishRaw(_ body: String, headers: AMQPTable = [:]) async throws {
        try await channel.publishConfirmed(Array(body.utf8), exchange: topology.workExchange, routingKey: "sim",
                                           properties: AMQPProperties(headers: headers))
    }

    /// Reads events until `count` tiles (of `task`, if given) are terminal (finished, failed or
    /// canceled) or `timeout` passes; returns those terminal events by tile.
    func waitForTerminal(_ count: Int, task: String? = nil, timeout: Duration) async throws -> [String: StatusEvent] {
        if terminal(of: task).count < count {
            _ = await collect(consumer, timeout: timeout, transform: { delivery -> Void? in
                try? self.channel.ack(delivery)
                guard let event = try? StatusEvent.decode(delivery.body) else { return nil }
                do { try self.signing.check(delivery, purpose: .events) } catch { self.badlyTaggedEvents += 1 }
                self.eventCount += 1
                let position = event.status.tilePosition(attempt: event.attempt)
                if let old = self.latest[event.task + "/" + event.tile], old.status.tilePosition(attempt: old.attempt) > position {
                    return nil
                }
                self.latest[event.task + "/" + event.tile] = event
                return ()
            }, until: { _ in self.terminal(of: task).count >= count })
        }
        return terminal(of: task)
    }

    /// The tiles of `task` (of every task if nil) whose latest event is terminal.
    func terminal(of task: String?) -> [String: StatusEvent] {
        terminal.filter { task == nil || $0.value.task == task }
    }

    /// The tiles whose latest event is terminal.
    var terminal: [String: StatusEvent] {
        latest.filter { [.finished, .failed, .canceled].contains($0.value.status) }
    }

    /// Messages in the dead-letter queue, with their reasons.
    func deadLetters(max: Int, timeout: Duration) async throws -> [(body: String, reason: String)] {
        let dead = try await channel.consume(queue: topology.deadQueue, noAck: true)
        let letters = await collect(dead, timeout: timeout, transform: { delivery -> (body: String, reason: String)? in
            var reason = ""
            if case .string(let text)? = delivery.headers[Topology.reasonHeader] { reason = text }
            return (String(decoding: delivery.body, as: UTF8.self), reason)
        }, until: { $0.count >= max })
        try? await dead.cancel()
        return letters
    }

    /// Stops every worker still running (SIGKILL) and removes the topology, the simulator and the
    /// test directory (worker logs included: failing expectations quote them).
    func shutDown() async {
        for pid in workers { TestEnvironment.stop(pid, signal: SIGKILL) }
        workers = []
        try? await consumer.cancel()
        _ = try? await channel.deleteQueue(eventsQueue)
        try? await topology.delete(on: channel)
        await amqp.close()
        await server.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Whether the process is still running (not exited, not a zombie).
    func isRunning(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == 0
    }

    func forget(_ pid: pid_t) {
        workers.removeAll { $0 == pid }
    }
}
