import AMQP
import ArgumentParser
import Backends
import Coordinator
import FleetConfig
import Foundation
import HTTP
import Logging
import Messaging
import Postgres
import Storage

/// `tilefleet check`: the whole set-up in one command, each problem with its fix.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check the set-up: configuration, broker, database and every backend, each problem with its fix.",
        discussion: """
            Checks that the fleet configuration is valid; the broker is reachable and the topology \
            declarable; the database is reachable and its schema current; and for every backend \
            (or those named by --backend): its credentials resolve, its URL is the API root (else the \
            root to configure), the credentials are accepted, and the account's limits and budget \
            where the platform tells them (openEO GET /me); and that the wait tiers serve every \
            backend's poll interval; with the database, each backend's health as the coordinators \
            judged it (an unhealthy one is a problem, with its reason). With --task, the task's application package (service.deploy) is \
            deployed, or replaced when the server's differs, as the coordinator does before dispatching. Exit status: 0 when all is well, 1 when something is not, 2 \
            when the configuration itself is invalid.
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Check only these backends (comma-separated names).")
    var backend: [String] = []

    @Flag(help: "Skip the broker and the database (check the configuration and the backends only).")
    var backendsOnly = false

    @Option(help: "A task spec whose application package (service.deploy) to deploy, as the coordinator will (repeatable).")
    var task: [String] = []

    func run() async throws {
        let configuration = try connection.fleetConfiguration()
        var report = CheckReport()
        report.ok("configuration", configuration.file.map { "\($0) is valid" } ?? "no file: built-in defaults")
        let names = CoordinatorSupport.tileList(backend) ?? configuration.backends.backends.map(\.name)
        if !backendsOnly {
            await self.checkBroker(configuration, &report)
            await self.checkDatabase(names: names, &report)
        }
        self.checkTiers(configuration, names: names, &report)
        if names.isEmpty {
            report.problem("backends", "the configuration has no backends", fix: "add one under backends: (see config/fleet.example.yaml)")
        }
        let client = HTTPClient()
        for name in names {
            await self.checkBackend(name, configuration, client: client, &report)
        }
        for path in task {
            await self.checkDeployment(path, configuration, client: client, &report)
        }
        await client.shutdown()
        if report.problems > 0 {
            CoordinatorSupport.printError("\(report.problems) problem(s)")
            throw ExitCode(1)
        }
        print("all is well")
    }

    private func checkBroker(_ configuration: FleetConfiguration, _ report: inout CheckReport) async {
        let url: String
        do {
            url = try connection.resolvedAMQPURL()
        } catch {
            report.problem("broker", "\(error)", fix: "set broker.url, TILEFLEET_AMQP_URL or --amqp-url")
            return
        }
        let shown = (try? AMQPConfiguration(url: url).urls.map(\.description).joined(separator: ",")) ?? "the broker"
        do {
            let (amqp, _) = try await CoordinatorSupport.channel(connection, configuration: configuration)
            await amqp.close()
            report.ok("broker", "\(shown) reachable; topology '\(configuration.topology.prefix)' declared")
        } catch {
            report.problem("broker", "\(shown): \(error)",
                           fix: "start RabbitMQ (deploy/local/services.sh start) or correct the URL; a topology that differs from the declared one needs the same prefix and wait_tiers on every role")
        }
    }

    private func checkDatabase(names: [String], _ report: inout CheckReport) async {
        let url: String
        do {
            url = try connection.resolvedDatabaseURL()
        } catch {
            report.problem("database", "\(error)", fix: "set database.url, TILEFLEET_DATABASE_URL or --database-url")
            return
        }
        let shown = (try? PostgresURL(url).description) ?? "the database"
        do {
            let db = try await PostgresConnection.connect(to: url, logger: CoordinatorSupport.quietLogger)
            defer { Task { await db.close() } }
            let version = try await Migrator().currentVersion(db)
            if version < Migration.latestVersion {
                report.problem("database", "\(shown): schema version \(version), this build needs \(Migration.latestVersion)", fix: "run tilefleet migrate")
            } else if version > Migration.latestVersion {
                report.problem("database", "\(shown): schema version \(version) is newer than this build knows (\(Migration.latestVersion))", fix: "upgrade tilefleet")
            } else {
                report.ok("database", "\(shown) reachable; schema version \(version) is current")
                let records = try await BackendHealthStore(connection: db).records()
                for name in names {
                    guard let record = records[name], !record.healthy else {
                        report.ok("backend \(name)", "healthy (as the coordinators judge it)")
                        continue
                    }
                    report.problem("backend \(name)", "unhealthy since \(StatusCommand.timestamp(record.since)): \(record.reason ?? "no reason recorded"); it takes no new tiles",
                                   fix: "the coordinator probes it and takes it back once its API answers and its credentials are accepted")
                }
            }
        } catch {
            report.problem("database", "\(shown): \(error)", fix: "start PostgreSQL (deploy/local/services.sh start) or correct the URL")
        }
    }

    /// The configuration already refuses tiers that cannot serve a poll; this says what serves each.
    private func checkTiers(_ configuration: FleetConfiguration, names: [String], _ report: inout CheckReport) {
        let tiers = configuration.topology.waitTiers
        for backend in configuration.backends.backends where names.contains(backend.name) {
            let needed = FleetConfiguration.tier(serving: backend.poll.minimum)
            if let tier = tiers.last(where: { $0 <= needed }) {
                report.ok("poll \(backend.name)", "min_interval \(needed)s served by the \(tier)s wait tier (tiers: \(tiers.map(String.init).joined(separator: ", ")))")
            } else {
                report.problem("poll \(backend.name)", "min_interval \(needed)s below the shortest wait tier \(tiers.first ?? 0)s",
                               fix: "add \(needed) to topology.wait_tiers or raise poll.min_interval")
            }
        }
    }

    /// Deploys the application package of the task spec at `path`, as the coordinator will.
    private func checkDeployment(_ path: String, _ configuration: FleetConfiguration, client: HTTPClient, _ report: inout CheckReport) async {
        let spec: TaskSpec
        do {
            spec = try TaskSpecParser(configuration: configuration).load(path: path)
        } catch {
            report.problem("task \(path)", "\(error)", fix: "correct the task spec")
            return
        }
        guard let package = spec.deploy else {
            report.ok("task \(spec.id)", "deploys no package (service.deploy)")
            return
        }
        do {
            let outcome = try await TaskDeployer(backends: configuration.backends, client: client, logger: CoordinatorSupport.quietLogger).deploy(spec)
            report.ok("task \(spec.id)", "process \(package.processID) on \(spec.backend): \(outcome?.rawValue ?? "nothing to do") (\(package.source))")
        } catch {
            report.problem("task \(spec.id)", "cannot deploy \(package.processID) on \(spec.backend): \(error)",
                           fix: "correct \(package.source) or the process id, or ask the server's operators")
        }
    }

    private func checkBackend(_ name: String, _ configuration: FleetConfiguration, client: HTTPClient, _ report: inout CheckReport) async {
        let label = "backend \(name)"
        let backend: any BackendInspection
        do {
            let configured = try configuration.backend(named: name)
            var logger = Logger(label: "tilefleet.check")
            logger.logLevel = .critical
            guard let inspected = try configured.makeBackend(client: client, logger: logger) as? any BackendInspection else {
                report.problem(label, "cannot be inspected", fix: "none")
                return
            }
            backend = inspected
        } catch {
            report.problem(label, "\(error)", fix: "set the secret's environment variable or file named in backends.\(name).auth")
            return
        }
        switch await backend.checkRoot() {
        case .ok(let summary):
            report.ok(label, "\(backend.name): \(summary)")
        case .wrong(let problem, let suggested):
            report.problem(label, "url is not the API root: \(problem)",
                           fix: suggested.map { "set backends.\(name).url: \($0)" } ?? "set backends.\(name).url to the service's API root")
            return
        }
        do {
            if let account = try await backend.account() {
                let details = account.details.isEmpty ? "" : " (\(account.details.joined(separator: ", ")))"
                report.ok(label, "credentials accepted: user \(account.user)\(details)")
            }
        } catch BackendError.authentication(let message) {
            report.problem(label, "credentials refused: \(message)", fix: "check backends.\(name).auth and its secret")
        } catch {
            report.problem(label, "account: \(error)", fix: "check backends.\(name).auth and that the platform is up")
        }
    }
}

/// The lines of `tilefleet check`: `ok  what  detail` on stdout, `PROBLEM  what  detail` and its fix
/// on stderr; the count of problems decides the exit status.
struct CheckReport {
    private(set) var problems = 0

    func ok(_ what: String, _ detail: String) {
        print("ok       \(Self.column(what)) \(detail)")
    }

    mutating func problem(_ what: String, _ detail: String, fix: String) {
        problems += 1
        CoordinatorSupport.printError("PROBLEM  \(Self.column(what)) \(detail)\n         fix: \(fix)")
    }

    /// `what` padded to a column of 20, never cut.
    static func column(_ what: String) -> String {
        what.count >= 20 ? what : what.padding(toLength: 20, withPad: " ", startingAt: 0)
    }
}
