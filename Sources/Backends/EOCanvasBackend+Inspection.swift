import FleetModel
import Foundation
import HTTP

extension EOCanvasBackend: BackendInspection {
    /// EOCanvas publishes no root document to check: the first job's answer tells.
    public func checkRoot() async -> APIRootCheck {
        .ok(summary: "EOCanvas serverless functions (no root document to check; the first job tells)")
    }

    /// EOCanvas has no account call.
    public func account() async throws -> BackendAccount? { nil }

    /// EOCanvas functions take documents (a SNAP graph, a Data Tailor chain) whose own parameters
    /// only the platform reads: nothing to check beforehand.
    public func describe(_ process: BackendJob.Process) async throws -> ServiceDescription? { nil }

    public func submitRequest(for job: BackendJob, idempotencyKey: String) throws -> SubmitRequest {
        guard case .named(let processID, _) = job.process else {
            throw BackendError.configuration(message: "an EOCanvas job names its function (snap-function or dataTailor)")
        }
        return SubmitRequest(method: "POST", url: self.url("processes/\(BackendTransport.segment(processID))/execution"),
                             body: try Self.executeBody(for: job, processID: processID))
    }
}
