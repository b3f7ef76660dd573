import ArgumentParser
import Backends
import Coordinator
import FleetConfig
import FleetModel
import Foundation
import HTTP
import Logging

/// `tilefleet try`: one job for one tile, without the queue — what a user runs before 10,000 tiles.
struct TryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "try",
        abstract: "Submit one job for one tile, follow it to the end and print its result assets.",
        discussion: """
            Exit status: 0 when the job finished, 1 when it failed or was canceled, 2 on bad input \
            (config, backend name, job file, task spec, tile). Give either --job (a job file) or --task \
            (a task spec: the tile's job exactly as `submit` would dispatch it; --tile is a tile id of \
            `submit --dry-run`, or a grid cell id). The preflight of `submit` runs first (with --job: \
            the API root and the job's arguments against what its process declares; --offline skips \
            it); a wrong API root is named with the URL to configure instead.
            """
    )

    @Option(help: "The fleet config file (YAML; default: $TILEFLEET_CONFIG, else ./tilefleet.yaml).")
    var config: String?

    @Option(help: "The backend's name in the config (default with --task: the task's backend).")
    var backend: String?

    @Option(help: "A job file (JSON): process, arguments, options, per-tile arguments.")
    var job: String?

    @Option(help: "A task spec (YAML/JSON or APEx upscale task): try the job of one of its tiles.")
    var task: String?

    @Option(help: "The tile id (one of the job file's tiles, if it lists any).")
    var tile: String

    @Option(help: "The idempotency key (default: try-<tile>-<time>).")
    var key: String?

    @Option(help: "Seconds between status polls (default: the backend's poll.min_interval).")
    var pollInterval: Double?

    @Option(help: "Give up following after this many seconds.")
    var timeout: Double = 24 * 3600

    @Flag(help: "Skip the preflight's checks of the task against the backend (says so).")
    var offline = false

    func run() async throws {
        let backendConfiguration: BackendConfiguration
        var backendJob: BackendJob
        var taskCheck: (Preflight, TaskPlan)?
        var jobCheck: (Preflight, String)?
        do {
            guard (self.job == nil) != (self.task == nil) else {
                throw ConfigurationError(path: "", message: "give either --job or --task")
            }
            guard let configPath = FleetConfiguration.locate(explicit: self.config) else {
                throw ConfigurationError(path: "", message: "no fleet config: pass --config or set TILEFLEET_CONFIG")
            }
            if let taskPath = self.task {
                let fleet = try FleetConfiguration.load(explicit: configPath)
                let plan = try TaskPlan(spec: TaskSpecParser(configuration: fleet).load(path: taskPath), limits: fleet.limits, confirmed: true)
                guard let record = plan.records.first(where: { $0.tileID == self.tile }) ?? plan.records.first(where: { $0.cellID == self.tile }) else {
                    throw ConfigurationError(path: "tile", message: "no tile '\(self.tile)' in \(taskPath) (tiles: \(plan.records.prefix(5).map(\.tileID).joined(separator: ", "))\(plan.records.count > 5 ? ", …" : ""))")
                }
                backendConfiguration = try fleet.backends.backend(named: self.backend ?? plan.spec.backend)
                backendJob = plan.spec.backendJob(tileID: record.tileID, tileParameters: record.parameters, backend: backendConfiguration.name)
                taskCheck = (Preflight(configuration: fleet, path: taskPath), plan)
            } else {
                guard let backendName = self.backend else { throw ConfigurationError(path: "", message: "--job needs --backend") }
                let fleet = try FleetConfiguration.load(explicit: configPath)
                backendConfiguration = try fleet.backend(named: backendName)
                let jobPath = self.job ?? ""
                jobCheck = (Preflight(configuration: fleet, path: jobPath), backendName)
                guard let data = FileManager.default.contents(atPath: jobPath) else {
                    throw ConfigurationError(path: "", message: "cannot read the job file \(jobPath)")
                }
                backendJob = try BackendJobFile(data: data).job(forTile: self.tile)
            }
        } catch {
            Self.printError("tilefleet try: \(error)")
            throw ExitCode(2)
        }
        let logger = CoordinatorSupport.quietLogger
        let client = HTTPClient(configuration: .init(timeout: backendConfiguration.requestTimeout))
        defer { Task { await client.shutdown() } }
        let backend: any Backend
        do {
            backend = try backendConfiguration.makeBackend(client: client, logger: logger)
        } catch {
            Self.printError("tilefleet try: \(error)")
            throw ExitCode(2)
        }
        if let (preflight, plan) = taskCheck {
            let checked = try await preflight.run(plan, offline: self.offline, client: client, deploy: true)
            if let record = checked.plan.records.first(where: { $0.tileID == self.tile }) ?? checked.plan.records.first(where: { $0.cellID == self.tile }) {
                backendJob = checked.plan.spec.backendJob(tileID: record.tileID, tileParameters: record.parameters,
                                                          backend: backendConfiguration.name)
            }
        }
        if let (preflight, backendName) = jobCheck {
            try await preflight.run(job: backendJob, backendName: backendName, offline: self.offline, client: client)
        }
        let key = self.key ?? "try-\(self.tile)-\(Int(Date().timeIntervalSince1970))"
        let interval = self.pollInterval.map { Duration.milliseconds(Int64($0 * 1000)) } ?? backendConfiguration.poll.minimum

        let id: String
        do {
            id = try await backend.submit(backendJob, idempotencyKey: key)
        } catch {
            Self.printError("submit failed on \(backend.name): \(error)")
            if case BackendError.notFound = error, let inspected = backend as? any BackendInspection,
               case .wrong(let problem, let suggested) = await inspected.checkRoot() {
                // A 404 on submit is most often a URL one level off the API root.
                Self.printError("backends.\(backend.name).url is not the API root: \(problem)" + (suggested.map { "\n  did you mean url: \($0)?" } ?? ""))
                throw ExitCode(2)
            }
            throw ExitCode(Self.isBadInput(error) ? 2 : 1)
        }
        print("submitted job \(id) on \(backend.name) (key \(key))")

        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(self.timeout)
        var last: BackendJobStatus?
        var final: BackendJobStatus?
        while final == nil {
            do {
                let status = try await backend.status(of: id)
                if status.rawStatus != last?.rawStatus || status.progress != last?.progress && status.status == .running {
                    Self.printStatus(status)
                    last = status
                }
                if status.status.isFinal { final = status; break }
            } catch let error as BackendError where error.isTransient {
                Self.printError("status: \(error) (still following)")
            } catch {
                Self.printError("status failed: \(error)")
                throw ExitCode(1)
            }
            guard clock.now < deadline else {
                Self.printError("gave up following job \(id) after \(Int(self.timeout)) s; it keeps running on \(backend.name)")
                throw ExitCode(1)
            }
            try await Task.sleep(for: interval)
        }
        guard final?.status == .finished else {
            if let logs = try? await backend.logs(of: id) {
                for entry in logs.suffix(10) where entry.level == nil || entry.level == "error" || entry.level == "warning" {
                    Self.printError("  log: \(entry.level ?? "-") \(entry.message)")
                }
            }
            throw ExitCode(1)
        }
        do {
            let assets = try await backend.results(of: id)
            print("\(assets.count) result asset(s):")
            for asset in assets {
                var details: [String] = []
                if let mediaType = asset.mediaType { details.append(mediaType) }
                if !asset.roles.isEmpty { details.append("roles: \(asset.roles.joined(separator: ","))") }
                if let size = asset.size { details.append("\(size) bytes") }
                print("  \(asset.name)  \(asset.href)\(details.isEmpty ? "" : "  (\(details.joined(separator: "; ")))")")
            }
        } catch {
            Self.printError("results failed: \(error)")
            throw ExitCode(1)
        }
    }

    static func printStatus(_ status: BackendJobStatus) {
        var line = "\(Self.timestamp())  \(status.status) (\(status.rawStatus))"
        if let progress = status.progress { line += " \(Int(progress))%" }
        if let message = status.message { line += " — \(message)" }
        Swift.print(line)
    }

    static func timestamp() -> String {
        Date().formatted(.iso8601.time(includingFractionalSeconds: false))
    }

    static func isBadInput(_ error: any Error) -> Bool {
        guard let error = error as? BackendError else { return false }
        switch error {
        case .rejected, .configuration, .authentication: return true
        default: return false
        }
    }

    static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
