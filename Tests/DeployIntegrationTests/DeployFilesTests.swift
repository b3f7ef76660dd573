import FleetModel
import Foundation
import Messaging
import TestSupport
import Testing

/// Checks the deployment files under deploy/ against the real tools and the real names.
@Suite struct DeployFilesTests {
    static let deploy = TestEnvironment.projectRoot.appendingPathComponent("deploy")

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tilefleet-deploy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func systemdAnalyzeVerifiesTheThreeUnits() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let units = ["tilefleet-coordinator.service", "tilefleet-recorder.service", "tilefleet-worker@.service"]
        for unit in units {
            let text = try String(contentsOf: Self.deploy.appendingPathComponent("systemd/\(unit)"), encoding: .utf8)
            #expect(text.contains("ExecStart=/usr/local/bin/tilefleet "), "\(unit): ExecStart")
            // systemd-analyze verify checks that the binary exists.
            try text.replacingOccurrences(of: "/usr/local/bin/tilefleet", with: TestEnvironment.tilefleetBinary)
                .write(to: dir.appendingPathComponent(unit), atomically: true, encoding: .utf8)
        }
        // The template is verified through an instance, as `systemctl enable tilefleet-worker@1` loads it.
        let paths = ["tilefleet-coordinator.service", "tilefleet-recorder.service", "tilefleet-worker@1.service"]
            .map { dir.appendingPathComponent($0).path }
        let (status, output) = try TestEnvironment.run(["/usr/bin/systemd-analyze", "verify"] + paths)
        // Any line naming one of our units is a warning about it (unknown key, bad value, …).
        let ours = output.split(separator: "\n").filter { line in
            line.contains("tilefleet-") || line.localizedCaseInsensitiveContains("error") || line.contains("Failed")
        }
        #expect(status == 0, "systemd-analyze verify exited \(status):\n\(output)")
        #expect(ours.isEmpty, "systemd-analyze verify complained:\n\(output)")
    }

    @Test func theWorkerTemplateGivesEachInstanceItsOwnMetricsPort() throws {
        let text = try String(contentsOf: Self.deploy.appendingPathComponent("systemd/tilefleet-worker@.service"), encoding: .utf8)
        #expect(text.contains("--metrics-port 946%i"))
        #expect(text.contains("KillSignal=SIGTERM"))
        // Longer than the worker's drain deadline.
        let stop = text.split(separator: "\n").first { $0.hasPrefix("TimeoutStopSec=") }.flatMap { Int($0.dropFirst("TimeoutStopSec=".count)) }
        #expect((stop ?? 0) > 20)
    }

    @Test func theRolesFileAppliesToAMigratedDatabaseAndTheReaderOnlyReads() async throws {
        let db = try await TestDatabase.create()
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let writer = "tf_test_writer_\(suffix)", reader = "tf_test_reader_\(suffix)", recorder = "tf_test_recorder_\(suffix)"
        let url = db.url.unredactedString
        let rolesFile = Self.deploy.appendingPathComponent("postgres/roles.sql").path
        func psql(_ arguments: [String]) throws -> (Int32, String) {
            try TestEnvironment.run(["/usr/bin/psql", url, "-X", "-v", "ON_ERROR_STOP=1"] + arguments)
        }
        func psqlScript(_ sql: String) throws -> (Int32, String) {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("tilefleet-deploy-\(UUID().uuidString).sql")
            defer { try? FileManager.default.removeItem(at: file) }
            try sql.write(to: file, atomically: true, encoding: .utf8)
            return try psql(["-f", file.path])
        }
        // Roles are cluster-wide: drop them (and what they were granted) before the database.
        func dropRoles() throws -> (Int32, String) {
            try psqlScript("DROP OWNED BY \(recorder);\nDROP OWNED BY \(reader);\nDROP OWNED BY \(writer);\nDROP ROLE \(recorder);\nDROP ROLE \(reader);\nDROP ROLE \(writer);\n")
        }
        var cleanedUp = false
        defer { if !cleanedUp { _ = try? dropRoles(); Task { await db.drop() } } }

        // Twice: the file is idempotent.
        for _ in 0..<2 {
            let (status, output) = try psql(["-v", "writer=\(writer)", "-v", "reader=\(reader)", "-v", "recorder=\(recorder)", "-f", rolesFile])
            #expect(status == 0, "roles.sql failed:\n\(output)")
        }

        let views = ["task_progress", "backend_stats", "failures", "slowest_tiles", "tile_timeline", "tasks", "tiles", "events"]
        let selects = views.map { "SELECT count(*) FROM \($0);" }.joined(separator: "\n")
        let (readStatus, readOutput) = try psqlScript("SET ROLE \(reader);\n\(selects)\n")
        #expect(readStatus == 0, "the reader cannot read:\n\(readOutput)")

        let (insertStatus, insertOutput) = try psqlScript("SET ROLE \(reader);\nINSERT INTO tasks (id, title, backend, spec) VALUES ('t', 't', 'sim', '{}');\n")
        #expect(insertStatus != 0, "the reader could insert:\n\(insertOutput)")
        #expect(insertOutput.contains("permission denied for table tasks"), "\(insertOutput)")

        // The writer reads and writes what exists, and a table it creates later is readable by the reader.
        let (writerStatus, writerOutput) = try psqlScript("""
            SET ROLE \(writer);
            INSERT INTO tasks (id, title, backend, spec) VALUES ('t', 't', 'sim', '{}');
            CREATE TABLE deploy_test_later (x int);
            SET ROLE \(reader);
            SELECT count(*) FROM deploy_test_later;
            RESET ROLE;
            DROP TABLE deploy_test_later;
            DELETE FROM tasks WHERE id = 't';
            """)
        #expect(writerStatus == 0, "the writer or the default privileges failed:\n\(writerOutput)")

        let (dropStatus, dropOutput) = try dropRoles()
        #expect(dropStatus == 0, "dropping the test roles failed:\n\(dropOutput)")
        cleanedUp = true
        await db.drop()
    }

    /// (configure, write, read) regexes per user from deploy/rabbitmq/permissions.tsv, for `prefix`.
    static func permissions(prefix: String) throws -> [String: [NSRegularExpression]] {
        let text = try String(contentsOf: deploy.appendingPathComponent("rabbitmq/permissions.tsv"), encoding: .utf8)
        var result: [String: [NSRegularExpression]] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.isEmpty {
            let fields = line.split(separator: "\t").map(String.init)
            #expect(fields.count == 4, "bad line: \(line)")
            result[fields[0]] = try fields.dropFirst().map {
                try NSRegularExpression(pattern: $0.replacingOccurrences(of: "{prefix}", with: NSRegularExpression.escapedPattern(for: prefix)))
            }
        }
        return result
    }

    static func matches(_ regex: NSRegularExpression, _ name: String) -> Bool {
        regex.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil
    }

    @Test func theRabbitMQPermissionsGiveEachRoleOnlyItsOwnNames() throws {
        let topology = Topology(prefix: "tilefleet", backends: ["cdse", "hpgc", "wekeo", "sim"])
        let permissions = try Self.permissions(prefix: topology.prefix)
        #expect(Set(permissions.keys) == ["tilefleet-coordinator", "tilefleet-worker", "tilefleet-recorder", "tilefleet-watch"])
        func allowed(_ user: String, _ kind: Int, _ name: String) -> Bool { Self.matches(permissions[user]![kind], name) }
        let (configure, write, read) = (0, 1, 2)
        // The coordinator declares the whole topology: all three on every name.
        for name in topology.queues + topology.exchanges {
            for kind in [configure, write, read] { #expect(allowed("tilefleet-coordinator", kind, name), "coordinator lacks \(kind) on \(name)") }
        }
        // Each coordinator's own queue of finished events is the coordinator's alone.
        let ended = topology.endedJobsQueue(coordinator: "host-a-42-0f3c9a1b")
        for kind in [configure, write, read] { #expect(allowed("tilefleet-coordinator", kind, ended), "coordinator lacks \(kind) on \(ended)") }
        for user in ["tilefleet-worker", "tilefleet-recorder", "tilefleet-watch"] {
            #expect(!allowed(user, configure, ended) && !allowed(user, read, ended), "\(user) may take \(ended)")
        }
        // Nobody but the coordinator configures a fleet name.
        for user in ["tilefleet-worker", "tilefleet-recorder", "tilefleet-watch"] {
            for name in topology.queues + topology.exchanges { #expect(!allowed(user, configure, name), "\(user) may configure \(name)") }
        }
        // A worker declares, binds and consumes only its own host's queue of a command backend.
        let hostQueue = topology.workQueue(backend: "sim", host: "host-a")
        for kind in [configure, write, read] { #expect(allowed("tilefleet-worker", kind, hostQueue), "worker lacks \(kind) on \(hostQueue)") }
        #expect(allowed("tilefleet-worker", read, topology.workExchange), "binding from the work exchange needs read on it")
        for name in [topology.workQueue(backend: "sim"), topology.recorderQueue, "tilefleet.work.sim@a@b"] {
            #expect(!allowed("tilefleet-worker", configure, name), "worker may configure \(name)")
        }
        // Workers: consume the work queues; publish work, waits, events and dead letters.
        for backend in topology.backends { #expect(allowed("tilefleet-worker", read, topology.workQueue(backend: backend))) }
        for exchange in [topology.workExchange, topology.eventsExchange, topology.deadExchange] + topology.waitTiers.map(topology.waitExchange(seconds:)) {
            #expect(allowed("tilefleet-worker", write, exchange), "worker cannot publish to \(exchange)")
        }
        for queue in [topology.recorderQueue, topology.deadQueue] + topology.waitTiers.map(topology.waitExchange(seconds:)) {
            #expect(!allowed("tilefleet-worker", read, queue), "worker may consume \(queue)")
        }
        // Recorders: consume their queue, dead-letter; nothing else.
        #expect(allowed("tilefleet-recorder", read, topology.recorderQueue))
        #expect(allowed("tilefleet-recorder", write, topology.deadExchange))
        for name in [topology.workExchange, topology.eventsExchange, topology.workQueue(backend: "sim")] {
            #expect(!allowed("tilefleet-recorder", write, name), "recorder may write \(name)")
            #expect(!allowed("tilefleet-recorder", read, name), "recorder may read \(name)")
        }
        #expect(!allowed("tilefleet-recorder", read, topology.deadQueue))
        // Watch: a server-named queue of its own, bound to the events.
        for kind in [configure, write, read] { #expect(allowed("tilefleet-watch", kind, "amq.gen-JzTY20BRgKO-HjmUJj0wLg")) }
        #expect(allowed("tilefleet-watch", read, topology.eventsExchange))
        #expect(!allowed("tilefleet-watch", write, topology.workExchange))
        #expect(!allowed("tilefleet-watch", read, topology.workExchange))
        // Nobody touches the default exchange or another fleet's names. (`^$`, "nothing", matches
        // only the empty name, which no exchange or queue has: the default exchange is `amq.default`.)
        for (user, regexes) in permissions {
            for other in ["amq.default", "other.work.sim", "xtilefleet.work", "tilefleet"] {
                for regex in regexes { #expect(!Self.matches(regex, other), "\(user) may touch \(other)") }
            }
        }

        // Another prefix (another fleet on the same broker) gets its own names only.
        let other = try Self.permissions(prefix: "fleet.b")
        #expect(Self.matches(other["tilefleet-worker"]![read], "fleet.b.work.sim"))
        for regex in other["tilefleet-worker"] ?? [] {
            #expect(!Self.matches(regex, "fleetxb.work.sim"))
            #expect(!Self.matches(regex, "tilefleet.work.sim"))
        }
    }
}
