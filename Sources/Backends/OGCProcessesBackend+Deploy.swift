import FleetModel
import Foundation
import HTTP

/// OGC API – Processes Part 2 (Deploy, Replace, Undeploy): the application package a task names is
/// on the server, as it is in the task, before the task's jobs run.
extension OGCProcessesBackend {
    /// What ``deploy(_:)`` did.
    public enum DeployOutcome: String, Sendable, Hashable {
        /// `POST /processes` created it (201, or 202 when the server deploys in the background).
        case deployed
        /// It existed with another package: `PUT /processes/{id}` replaced it.
        case replaced
        /// It existed with this very package (409 `duplicated-process`, the same content).
        case unchanged
    }

    /// Deploys `package`: `POST /processes` (`?w=<id>` when the package does not name its process);
    /// on 409 compares the server's copy (`GET /processes/{id}/package`) by content and replaces it
    /// (`PUT /processes/{id}`) when it differs, or when the server cannot show it. A 403 (the process is
    /// immutable) and every other refusal are errors naming the process and the call.
    public func deploy(_ package: ProcessPackage) async throws -> DeployOutcome {
        let id = package.processID
        var url = self.url("processes")
        if !Self.namesProcess(package) {
            url += "?w=" + BackendTransport.segment(id)
        }
        let post = Self.packageRequest(url, method: .post, package: package)
        let posted = try await self.transport.send(post, accept: [403, 409])
        switch posted.status {
        case 403:
            throw Self.immutable(id, response: posted, call: "POST \(url)")
        case 409:
            break
        default:
            return .deployed
        }
        if let current = try await self.package(of: id), package.isSame(as: current) {
            return .unchanged
        }
        let putURL = self.url("processes/\(BackendTransport.segment(id))")
        let put = try await self.transport.send(Self.packageRequest(putURL, method: .put, package: package), accept: [403])
        if put.status == 403 { throw Self.immutable(id, response: put, call: "PUT \(putURL)") }
        return .replaced
    }

    /// The package the server holds for `processID` (`GET /processes/{id}/package`); nil when it
    /// cannot show one (404, 405, 501).
    public func package(of processID: String) async throws -> String? {
        var request = self.get("processes/\(BackendTransport.segment(processID))/package")
        request.headers.replaceOrAdd(name: "Accept", value: "application/ogcapppkg+json, application/cwl+json, application/cwl+yaml, application/json")
        let response = try await self.transport.send(request, accept: [404, 405, 501])
        guard response.isSuccess else { return nil }
        return String(decoding: response.body, as: UTF8.self)
    }

    /// Removes the process (`DELETE /processes/{id}`, 204). Throws ``BackendError/notFound(message:)``
    /// when it is not deployed and a ``BackendError/rejected(status:message:)`` naming immutability on 403.
    public func undeploy(processID: String) async throws {
        let url = self.url("processes/\(BackendTransport.segment(processID))")
        let response = try await self.transport.send(HTTPClient.Request(url, method: .delete, headers: ["Accept": "application/json"]), accept: [403])
        if response.status == 403 { throw Self.immutable(processID, response: response, call: "DELETE \(url)") }
    }

    /// Whether the package names its process: `processDescription.id` or `processDescription.process.id`.
    static func namesProcess(_ package: ProcessPackage) -> Bool {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(package.body.utf8)),
              let description = value["processDescription"] else { return false }
        return description["id"]?.stringValue != nil || description["process"]?["id"]?.stringValue != nil
    }

    static func packageRequest(_ url: String, method: HTTPClient.Method, package: ProcessPackage) -> HTTPClient.Request {
        HTTPClient.Request(url, method: method, headers: ["Content-Type": package.contentType, "Accept": "application/json"],
                           body: Data(package.body.utf8))
    }

    static func immutable(_ processID: String, response: HTTPClient.Response, call: String) -> BackendError {
        let message = PlatformMessage.extract(from: response.body, status: response.status)
        return .rejected(status: 403, message: "the process '\(processID)' is immutable on this server: it cannot be deployed, replaced or undeployed "
                         + "(\(message)) (\(call)); use another process id, or ask the server's operators")
    }
}
