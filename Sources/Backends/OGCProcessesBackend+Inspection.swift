import FleetConfig
import FleetModel
import Foundation
import HTTP

extension OGCProcessesBackend: BackendInspection {
    /// `GET {url}`: a landing page whose links name the processes or conformance. A URL ending in an
    /// endpoint (`/processes`, `/jobs`, `/conformance`) suggests the root above it.
    public func checkRoot() async -> APIRootCheck {
        let trimmed = self.baseURL.hasSuffix("/") ? String(self.baseURL.dropLast()) : self.baseURL
        let parent = ["/processes", "/jobs", "/conformance"].first { trimmed.hasSuffix($0) }.map { String(trimmed.dropLast($0.count)) }
        do {
            // The URL as configured: a trailing slash added here could be a 404 of its own.
            let response = try await self.transport.send(HTTPClient.Request(self.baseURL, headers: ["Accept": "application/json"]))
            let document = try? JSONDecoder().decode(JSONValue.self, from: response.body)
            let relations = document?["links"]?.arrayValue?.compactMap { $0["rel"]?.stringValue } ?? []
            if let parent {
                return .wrong(problem: "\(self.baseURL) is an endpoint of the API, not its root", suggestedURL: parent)
            }
            if relations.contains(where: { $0.hasSuffix("/processes") || $0.hasSuffix("/conformance") || $0 == "conformance" }) {
                return .ok(summary: "OGC API – Processes, \(document?["title"]?.stringValue ?? "untitled")")
            }
            return .wrong(problem: "GET \(self.baseURL) answered \(response.status) without a landing page (no processes or conformance link)", suggestedURL: nil)
        } catch {
            return .wrong(problem: "\(error)", suggestedURL: parent)
        }
    }

    /// OGC API – Processes has no account call.
    public func account() async throws -> BackendAccount? { nil }

    /// `GET /processes/{id}`: its `inputs` (an object by id, or a list with `id`s).
    public func describe(_ process: BackendJob.Process) async throws -> ServiceDescription? {
        guard case .named(let id, _) = process else {
            throw BackendError.configuration(message: "an OGC API – Processes job needs a process id, not a process graph or a command")
        }
        let response: HTTPClient.Response
        do {
            response = try await self.transport.send(self.get("processes/\(BackendTransport.segment(id))"))
        } catch BackendError.notFound(let message) {
            let list = try? await self.transport.send(self.get("processes"))
            let names = list.flatMap { try? JSONDecoder().decode(JSONValue.self, from: $0.body) }?["processes"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            let hint = ConfigReader.closest(id, in: names).map { ", did you mean '\($0)'?" } ?? (names.isEmpty ? "" : " (processes: \(names.prefix(10).joined(separator: ", ")))")
            throw BackendError.notFound(message: "no process '\(id)' on \(self.name)\(hint): \(message)")
        }
        let document = try OpenEOBackend.decode(response.body, what: "the description of process \(id)")
        return ServiceDescription(service: "the OGC process \(id)", parameters: Self.declaredInputs(document))
    }

    /// `inputs` of a process description: `{id: {schema, minOccurs}}` (1.0) or `[{id, …}]` (draft servers).
    static func declaredInputs(_ document: JSONValue) -> [ServiceDescription.Parameter] {
        var inputs: [(String, JSONValue)] = []
        if let members = document["inputs"]?.jsonObject {
            inputs = members.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        } else if let list = document["inputs"]?.arrayValue {
            inputs = list.compactMap { item in item["id"]?.stringValue.map { ($0, item) } }
        }
        return inputs.map { name, input in
            let minOccurs = input["minOccurs"]?.jsonInt ?? 1
            return ServiceDescription.Parameter(name: name, required: minOccurs > 0, schema: input["schema"])
        }
    }

    public func submitRequest(for job: BackendJob, idempotencyKey: String) throws -> SubmitRequest {
        guard case .named(let processID, _) = job.process else {
            throw BackendError.configuration(message: "an OGC API – Processes job needs a process id, not a process graph or a command")
        }
        return SubmitRequest(method: "POST", url: self.url("processes/\(BackendTransport.segment(processID))/execution"),
                             body: Self.executeBody(for: job, idempotencyKey: idempotencyKey))
    }
}
