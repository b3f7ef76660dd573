import Backends
import FleetConfig
import FleetModel
import Foundation
import HTTP
import Logging

/// Puts a task's application package (``TaskSpec/deploy``) on its OGC API – Processes server before
/// any of its jobs runs, and takes it off again (`tilefleet undeploy`): the coordinator before
/// dispatching, `try --task` before its one job.
public struct TaskDeployer: Sendable {
    public let backends: BackendsConfiguration
    public let client: HTTPClient
    let logger: Logger

    public init(backends: BackendsConfiguration, client: HTTPClient, logger: Logger = Logger(label: "tilefleet.coordinator")) {
        self.backends = backends
        self.client = client
        self.logger = logger
    }

    /// Deploys the task's package (or replaces it when the server's copy differs); nil for a task
    /// without one. Throws ``BackendError`` (a 403 immutable process names itself) or a configuration error.
    public func deploy(_ spec: TaskSpec) async throws -> OGCProcessesBackend.DeployOutcome? {
        guard let package = spec.deploy else { return nil }
        return try await self.backend(of: spec).deploy(package)
    }

    /// Removes the task's process from its server (`DELETE /processes/{id}`).
    public func undeploy(_ spec: TaskSpec) async throws {
        guard let package = spec.deploy else {
            throw BackendError.configuration(message: "task \(spec.id) deploys no package (its service has no deploy)")
        }
        try await self.backend(of: spec).undeploy(processID: package.processID)
    }

    func backend(of spec: TaskSpec) throws -> OGCProcessesBackend {
        let configured = try backends.backend(named: spec.backend)
        guard let backend = try configured.makeBackend(client: client, logger: logger) as? OGCProcessesBackend else {
            throw BackendError.configuration(message: "backend \(spec.backend) is \(configured.kind.rawValue): only an OGC API – Processes backend deploys packages")
        }
        return backend
    }
}
