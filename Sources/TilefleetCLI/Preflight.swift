import ArgumentParser
import Backends
import Coordinator
import FleetConfig
import FleetModel
import Foundation
import HTTP
import Logging

/// The preflight of `submit`, `submit --dry-run` and `try --task`: before anything is stored or sent,
/// the API root of every backend of the task is checked and the task is checked against what its
/// service there declares (``TaskPreflight``). Problems are printed all at once with the key to fix; exit status 2.
struct Preflight {
    let configuration: FleetConfiguration
    /// The task spec's path, for messages.
    let path: String

    /// What the preflight settled: the plan to use (re-tiled when a tile input was chosen) and the
    /// backend, for printing the job as it will be sent.
    struct Outcome {
        var plan: TaskPlan
        var backend: (any BackendInspection)?
    }

    /// Runs the checks against every backend of the task (a task over several: each with its own
    /// `service` override, if any); with `offline`, skips the network and says so. A task with an
    /// application package (`service.deploy`) has it deployed first when `deploy` (`try`), else is
    /// told what the coordinator will do with it (`submit`); a process not deployed yet is not described.
    func run(_ plan: TaskPlan, offline: Bool, client: HTTPClient, deploy: Bool = false) async throws -> Outcome {
        let names = plan.spec.backendNames
        if offline {
            Self.note("preflight skipped (--offline): the task was not checked against backend\(names.count > 1 ? "s" : "") \(names.joined(separator: ", "))")
            return Outcome(plan: plan, backend: nil)
        }
        var outcome = Outcome(plan: plan, backend: nil)
        for (index, name) in names.enumerated() {
            let backend = try self.backend(named: name, client: client)
            if index == 0 { outcome.backend = backend }
            outcome.plan = try await self.check(outcome.plan, on: backend, index: index, deploy: deploy)
        }
        return outcome
    }

    /// The checks on the task's backend number `index` (``TaskSpec/backendNames``), with the service
    /// the task runs there; returns the plan, re-tiled when the first backend's schema chose the
    /// tile input (the others must then take that input: a mismatch there is a problem).
    func check(_ plan: TaskPlan, on backend: any BackendInspection, index: Int, deploy: Bool) async throws -> TaskPlan {
        var spec = plan.spec
        let choice = spec.backends?.first { $0.name == backend.name }
        let servicePath = choice?.process != nil ? "backends[\(index)].service" : "service"
        spec.process = choice?.process ?? spec.process
        spec.serviceSource = choice?.serviceSource ?? spec.serviceSource
        if index > 0 { spec.tileInputGiven = true }
        let on = index > 0 ? " (on backend \(backend.name))" : ""
        try await self.checkRoot(backend)
        if let package = spec.deploy, let ogc = backend as? OGCProcessesBackend {
            guard try await self.settle(package, on: ogc, deploy: deploy) else { return plan }
        }
        let description: ServiceDescription?
        do {
            description = try await backend.describe(spec.process)
        } catch let error as BackendError {
            switch error {
            case .notFound, .rejected, .configuration, .invalidResponse:
                CoordinatorSupport.printError("\(self.path): \(servicePath): \(error)\(on)")
                throw ExitCode(2)
            case .authentication:
                CoordinatorSupport.printError("\(self.configFile): backends.\(backend.name).auth: \(error)")
                throw ExitCode(2)
            default:
                CoordinatorSupport.printError("cannot check the task against \(backend.name): \(error)\n(pass --offline to go on without the check)")
                throw ExitCode(1)
            }
        }
        guard let description else {
            Self.note("preflight: \(backend.name) cannot describe \(spec.serviceSource ?? "the service"); its parameters were not checked")
            return plan
        }
        let tileArguments = plan.records.first.map { Array($0.parameters.keys) } ?? []
        let check = TaskPreflight(spec: spec, description: description, tileArguments: tileArguments)
        guard check.problems.isEmpty else {
            let problems = check.problems.map { ConfigurationProblem(path: $0.path, message: $0.message + on, line: $0.line) }
            CoordinatorSupport.printError(ConfigurationError(file: self.path, problems: problems).description)
            throw ExitCode(2)
        }
        var checked = plan
        if let chosen = check.chosenTileInput {
            var adjusted = plan.spec
            adjusted.tileInput = chosen
            checked = try TaskPlan(spec: adjusted)
            Self.note("preflight: tile.input '\(chosen.rawValue)' chosen: the schema of '\(spec.spatialParameter)' in \(description.service) does not take '\(spec.tileInput.rawValue)'")
        }
        Self.note("preflight: \(description.service) on \(backend.name) takes this task (\(description.parameters.count) declared parameters checked)")
        return checked
    }

    /// The preflight of a job file (`try --job`): the API root, then the job's arguments against
    /// what its service declares.
    func run(job: BackendJob, backendName: String, offline: Bool, client: HTTPClient) async throws {
        if offline {
            Self.note("preflight skipped (--offline): the job was not checked against backend \(backendName)")
            return
        }
        let backend = try self.backend(named: backendName, client: client)
        try await self.checkRoot(backend)
        let description: ServiceDescription?
        do {
            description = try await backend.describe(job.process)
        } catch let error as BackendError where !error.isTransient {
            CoordinatorSupport.printError("\(self.path): process: \(error)")
            throw ExitCode(2)
        } catch {
            CoordinatorSupport.printError("cannot check the job against \(backendName): \(error)\n(pass --offline to go on without the check)")
            throw ExitCode(1)
        }
        guard let description else { return }
        let check = TaskPreflight(jobArguments: job.arguments, description: description)
        guard check.problems.isEmpty else {
            CoordinatorSupport.printError(ConfigurationError(file: self.path, problems: check.problems).description)
            throw ExitCode(2)
        }
        Self.note("preflight: \(description.service) on \(backendName) takes this job")
    }

    /// Deploys `package` (`deploy`) or says what the coordinator will do with it; whether the
    /// process is on the server now (so it can be described). Refusals exit 2 naming `service.deploy`.
    func settle(_ package: ProcessPackage, on backend: OGCProcessesBackend, deploy: Bool) async throws -> Bool {
        do {
            if deploy {
                let outcome = try await backend.deploy(package)
                let done = switch outcome {
                case .deployed: "deployed"
                case .replaced: "replaced with \(package.source)"
                case .unchanged: "already deployed with this package"
                }
                Self.note("preflight: process \(package.processID) on \(backend.name): \(done)")
                return true
            }
            guard let current = try await backend.package(of: package.processID) else {
                Self.note("preflight: process \(package.processID) is not on \(backend.name) yet: the coordinator deploys \(package.source) before dispatching; its parameters were not checked")
                return false
            }
            Self.note(package.isSame(as: current)
                ? "preflight: process \(package.processID) is deployed on \(backend.name) with this package"
                : "preflight: process \(package.processID) on \(backend.name) has another package: the coordinator replaces it with \(package.source) before dispatching")
            return true
        } catch let error as BackendError where !error.isTransient {
            CoordinatorSupport.printError("\(self.path): service.deploy: \(error)")
            throw ExitCode(2)
        } catch {
            CoordinatorSupport.printError("cannot deploy or look up \(package.processID) on \(backend.name): \(error)\n(pass --offline to go on without the check)")
            throw ExitCode(1)
        }
    }

    var configFile: String { self.configuration.file ?? "the fleet configuration" }

    /// The backend's adapter; a configuration problem (a missing secret) exits 2 naming it.
    func backend(named name: String, client: HTTPClient) throws -> any BackendInspection {
        do {
            let configured = try self.configuration.backend(named: name)
            let logger = CoordinatorSupport.quietLogger
            guard let backend = try configured.makeBackend(client: client, logger: logger) as? any BackendInspection else {
                throw BackendError.unsupported(message: "backend \(name) cannot be inspected")
            }
            return backend
        } catch {
            CoordinatorSupport.printError("\(error)\n(pass --offline to go on without checking the backend)")
            throw ExitCode(2)
        }
    }

    /// Exits 2 when the configured URL is not the API root, with the URL to configure instead.
    func checkRoot(_ backend: any BackendInspection) async throws {
        if case .wrong(let problem, let suggested) = await backend.checkRoot() {
            var text = "\(self.configFile): backends.\(backend.name).url: not the API root: \(problem)"
            if let suggested { text += "\n  did you mean url: \(suggested)?" }
            CoordinatorSupport.printError(text)
            throw ExitCode(2)
        }
    }

    static func note(_ text: String) {
        CoordinatorSupport.printError(text)
    }
}
