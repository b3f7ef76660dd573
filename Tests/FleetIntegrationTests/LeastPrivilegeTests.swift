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

/// The fleet on the broker users and PostgreSQL roles that `deploy/` sets up
/// (`deploy/rabbitmq/setup.sh`, `deploy/postgres/roles.sql`) with `topology.declared_by:
/// coordinator`: a whole run works, and each user and role is refused what it must not do.
@Suite(.serialized) struct LeastPrivilegeTests {
    static let users = ["tilefleet-coordinator", "tilefleet-worker", "tilefleet-recorder", "tilefleet-watch"]

    /// A vhost with the four users of `permissions.tsv`, their passwords, and a URL per user.
    struct Broker {
        let vhost: String
        let passwords: [String: String]
        let base: URLComponents

        func url(_ user: String) -> String {
            var components = base
            components.user = user
            components.password = passwords[user]
            components.percentEncodedPath = "/" + vhost
            return components.string!
        }

        func connect(_ user: String) async throws -> AMQPChannel {
            let amqp = try await AMQPConnection.connect(url: url(user))
            return try await amqp.openChannel()
        }

        static func make(prefix: String) throws -> Broker {
            let vhost = "tf-perm-" + UUID().uuidString.prefix(8).lowercased()
            let secrets = FileManager.default.temporaryDirectory.appendingPathComponent("tilefleet-\(vhost)").path
            try FileManager.default.createDirectory(atPath: secrets, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: secrets) }
            var passwords: [String: String] = [:]
            for user in users {
                passwords[user] = UUID().uuidString
                FileManager.default.createFile(atPath: secrets + "/" + user, contents: Data(passwords[user]!.utf8),
                                               attributes: [.posixPermissions: 0o600])
            }
            let setup = TestEnvironment.projectRoot.appendingPathComponent("deploy/rabbitmq/setup.sh").path
            let (status, output) = try TestEnvironment.run(["/bin/bash", setup, secrets], environment: [
                "TILEFLEET_VHOST": vhost, "TILEFLEET_PREFIX": prefix, "RABBITMQCTL": "/bin/bash \(TestEnvironment.servicesScript) rabbitmqctl",
            ])
            #expect(status == 0, "setup.sh failed:\n\(output)")
            return Broker(vhost: vhost, passwords: passwords, base: URLComponents(string: TestEnvironment.amqpURL)!)
        }

        func remove() {
            let ctl = ["/bin/bash", TestEnvironment.servicesScript, "rabbitmqctl"]
            _ = try? TestEnvironment.run(ctl + ["delete_vhost", vhost])
            for user in LeastPrivilegeTests.users { _ = try? TestEnvironment.run(ctl + ["delete_user", user]) }
        }
    }

    /// Expects `body` to fail with the broker's 403 ACCESS_REFUSED (a refused publish closes the
    /// channel, which fails the publish's confirm with the broker's reason).
    static func refused(_ what: String, _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("\(what) was allowed")
        } catch AMQPError.channelClosed(let code, let text) {
            #expect(code == 403, "\(what): \(code) \(text)")
        } catch AMQPError.publishUnconfirmed(let reason) {
            #expect(reason.contains("403 ACCESS_REFUSED"), "\(what): \(reason)")
        } catch {
            Issue.record("\(what): \(error)")
        }
    }

    static func psql(_ url: String, _ sql: String) throws -> (Int32, String) {
        try TestEnvironment.run(["/usr/bin/psql", url, "-X", "-v", "ON_ERROR_STOP=1", "-c", sql])
    }

    @Test(.timeLimit(.minutes(6))) func theFleetRunsOnItsLeastPrivilegesAndEachRoleIsRefusedTheRest() async throws {
        let fleet = try await ProcessFleet.start(maxActive: 10, simulator: SimulatorConfiguration(
            duration: .init(distribution: "fixed", seconds: 0.3), queueSeconds: 0, failureRate: 0),
            topologyExtra: "declared_by: coordinator")
        defer { TestCleanup.later { await fleet.stop() } }
        let broker = try Broker.make(prefix: fleet.prefix)
        defer { broker.remove() }

        // PostgreSQL: the writer migrates and owns; the recorder gets its grants afterwards.
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let writer = "tf_w_\(suffix)", reader = "tf_r_\(suffix)", recorder = "tf_rec_\(suffix)"
        let admin = fleet.db.url.unredactedString
        let roles = TestEnvironment.projectRoot.appendingPathComponent("deploy/postgres/roles.sql").path
        defer {
            _ = try? Self.psql(admin, "DROP OWNED BY \(recorder), \(reader), \(writer); DROP ROLE \(recorder); DROP ROLE \(reader); DROP ROLE \(writer);")
        }
        func applyRoles() throws {
            let (status, output) = try TestEnvironment.run(["/usr/bin/psql", admin, "-X", "-v", "ON_ERROR_STOP=1", "-v", "writer=\(writer)",
                                                            "-v", "reader=\(reader)", "-v", "recorder=\(recorder)", "-f", roles])
            #expect(status == 0, "roles.sql failed:\n\(output)")
        }
        try applyRoles()
        let password = UUID().uuidString
        #expect(try Self.psql(admin, "ALTER ROLE \(recorder) PASSWORD '\(password)'").0 == 0)
        try applyRoles()  // the tables exist now (ProcessFleet's database is migrated)
        var recorderURL = fleet.db.url
        recorderURL.user = recorder
        recorderURL.password = password

        let coordinatorRole = ["TILEFLEET_AMQP_URL": broker.url("tilefleet-coordinator")]
        // Workers and the recorder start first: they wait for the coordinator's queues.
        var pids = [
            try fleet.spawn("worker", ["worker", "--no-metrics"], as: ["TILEFLEET_AMQP_URL": broker.url("tilefleet-worker")]),
            try fleet.spawn("recorder", ["recorder"], as: ["TILEFLEET_AMQP_URL": broker.url("tilefleet-recorder"),
                                                            "TILEFLEET_DATABASE_URL": recorderURL.unredactedString]),
        ]
        defer { for pid in pids { TestEnvironment.stop(pid, signal: SIGKILL) } }
        try await Task.sleep(for: .seconds(2))
        pids.append(try fleet.spawn("coordinator", ["coordinator"], as: coordinatorRole))
        let task = fleet.directory + "/task.yaml"
        try """
        id: narrow
        title: least privilege
        backend: sim
        service: { udp: "https://example.org/udp/ndvi.json", id: ndvi }
        split: { aoi: "16.30,48.15,16.45,48.25", grid: km:2 }
        """.write(toFile: task, atomically: true, encoding: .utf8)
        let (status, output) = try fleet.run(["submit", "--offline", task], as: coordinatorRole)
        #expect(status == 0, "\(output)")
        // `tilefleet watch` as the watch user follows the task to its end.
        let watcher = try fleet.spawn("watch", ["watch", "narrow"], as: ["TILEFLEET_AMQP_URL": broker.url("tilefleet-watch")])
        let tiles = try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = 'narrow'")
        #expect(tiles > 10)
        var finished = 0
        try await eventually(timeout: .seconds(180)) {
            finished = try await fleet.count("SELECT count(*) FROM tiles WHERE task_id = 'narrow' AND status = 'finished'")
            return finished == tiles
        }
        #expect(finished == tiles, "worker:\n\(String((try? String(contentsOfFile: fleet.directory + "/worker.log", encoding: .utf8))?.suffix(2000) ?? ""))\nrecorder:\n\(String((try? String(contentsOfFile: fleet.directory + "/recorder.log", encoding: .utf8))?.suffix(2000) ?? ""))")
        #expect(fleet.simulator.stats().jobsCreated == tiles)

        var watchStatus: Int32?
        try await eventually(timeout: .seconds(30)) {
            watchStatus = TestEnvironment.exitStatusIfEnded(watcher)
            return watchStatus != nil
        }
        #expect(watchStatus == 0, "\((try? String(contentsOfFile: fleet.directory + "/watch.log", encoding: .utf8)) ?? "")")

        let topology = Topology(prefix: fleet.prefix, backends: ["sim"], waitTiers: [1, 2])
        let item = Array(#"{"schema":"tilefleet.work-item/1"}"#.utf8)

        let worker = try await broker.connect("tilefleet-worker")
        // A command backend's polls go to the worker host's own queue, which the worker declares and binds itself.
        try await topology.declareHostQueue(backend: "sim", host: "host-a", on: worker)
        await Self.refused("the worker declaring a queue") { _ = try await worker.declareQueue(topology.workQueue(backend: "other")) }
        await Self.refused("the worker deleting its work queue") { try await worker.deleteQueue(topology.workQueue(backend: "sim")) }
        await Self.refused("the worker consuming the recorder's queue") { _ = try await worker.consume(queue: topology.recorderQueue) }
        await Self.refused("the worker consuming the dead letters") { _ = try await worker.consume(queue: topology.deadQueue) }
        try await worker.enablePublisherConfirms()
        await Self.refused("the worker publishing to the default exchange") {
            try await worker.publishConfirmed(item, exchange: "", routingKey: topology.recorderQueue)
        }

        let recorderChannel = try await broker.connect("tilefleet-recorder")
        try await recorderChannel.enablePublisherConfirms()
        await Self.refused("the recorder publishing work") {
            try await recorderChannel.publishConfirmed(item, exchange: topology.workExchange, routingKey: "sim")
        }
        await Self.refused("the recorder consuming work") { _ = try await recorderChannel.consume(queue: topology.workQueue(backend: "sim")) }
        await Self.refused("the recorder declaring a queue") { _ = try await recorderChannel.declareQueue(topology.recorderQueue) }

        let watch = try await broker.connect("tilefleet-watch")
        let own = try await watch.declareQueue("", durable: false, exclusive: true, autoDelete: true)
        try await watch.bindQueue(own.name, exchange: topology.eventsExchange, routingKey: "#")
        await Self.refused("watch binding its queue to the work exchange") {
            try await watch.bindQueue(own.name, exchange: topology.workExchange, routingKey: "sim")
        }
        await Self.refused("watch consuming work") { _ = try await watch.consume(queue: topology.workQueue(backend: "sim")) }
        try await watch.enablePublisherConfirms()
        await Self.refused("watch publishing work") { try await watch.publishConfirmed(item, exchange: topology.workExchange, routingKey: "sim") }

        // PostgreSQL: the recorder role applies events (above) and can do nothing else.
        let recorderDB = recorderURL.unredactedString
        for (what, sql) in [
            ("create a task", "INSERT INTO tasks (id, title, backend, spec) VALUES ('x', 'x', 'sim', '{}')"),
            ("delete events", "DELETE FROM events"),
            ("delete a tile", "DELETE FROM tiles WHERE task_id = 'narrow'"),
            ("change the schema", "CREATE TABLE intruder (x int)"),
            ("drop a table", "DROP TABLE events"),
            ("truncate", "TRUNCATE rejected_events"),
            ("change a task", "UPDATE tasks SET title = 'x'"),
        ] {
            let (status, output) = try Self.psql(recorderDB, sql)
            #expect(status != 0, "the recorder role could \(what)")
            #expect(output.contains("permission denied") || output.contains("must be owner"), "\(what): \(output)")
        }

        for pid in pids { #expect(TestEnvironment.stop(pid, signal: SIGTERM) == 0) }
        pids = []
    }
}
