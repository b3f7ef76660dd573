import Foundation
import Hummingbird

/// OGC API – Processes Part 2 (Deploy, Replace, Undeploy) on the simulated server:
/// `POST /processes` (201 + `Location`; 409 `duplicated-process` when the id exists), `PUT
/// /processes/{id}` (204), `DELETE /processes/{id}` (204), `GET /processes/{id}/package`. The
/// built-in processes (``OGCRoutes/processIDs``) are immutable: replacing or undeploying them is 403
/// `immutable-process`. Packages are `application/ogcapppkg+json` (the id from
/// `processDescription.id` or `processDescription.process.id`, else the `w` query parameter) or
/// CWL (`application/cwl+json`, `application/cwl+yaml`, the id from `w`).
struct OGCDeployRoutes: Sendable {
    let store: SimulatorStore
    static let exceptions = "http://www.opengis.net/def/exceptions/ogcapi-processes-2/1.0/"
    static let contentTypes = ["application/ogcapppkg+json", "application/cwl+json", "application/cwl+yaml", "application/cwl"]

    func register(on router: RouterGroup<SimulatorRequestContext>) {
        let store = self.store
        let deployed = store.deployed
        router.post("processes") { request, _ in
            guard SimulatorAuth.user(of: request, store: store) != nil else { return SimulatorAuth.problemUnauthorized(store) }
            let package: DeployedProcesses.Process
            switch try await Self.package(request) {
            case .success(let parsed): package = parsed
            case .failure(let problem): return problem.response
            }
            let id = package.id
            guard !OGCRoutes.processIDs.contains(id), deployed.add(package) else {
                deployed.record("POST", id, 409)
                return Self.problem(409, "duplicated-process", "The process \(id) is already deployed.")
            }
            deployed.record("POST", id, 201)
            let location = SimulatorJSON.origin(request) + "/ogc/processes/\(id)"
            return SimulatorJSON.response(object: OGCRoutes.summary(id), status: .created, headers: [.location: location])
        }
        router.put("processes/:pid") { request, context in
            guard SimulatorAuth.user(of: request, store: store) != nil else { return SimulatorAuth.problemUnauthorized(store) }
            let id = context.parameters.get("pid") ?? ""
            if OGCRoutes.processIDs.contains(id) {
                deployed.record("PUT", id, 403)
                return Self.problem(403, "immutable-process", "The process \(id) is built in and cannot be replaced.")
            }
            let package: DeployedProcesses.Process
            switch try await Self.package(request, id: id) {
            case .success(let parsed): package = parsed
            case .failure(let problem): return problem.response
            }
            guard package.id == id else {
                deployed.record("PUT", id, 400)
                return OGCRoutes.problem(400, "invalid-parameter-value", "The package deploys \(package.id), not \(id).")
            }
            guard deployed.replace(package) else {
                deployed.record("PUT", id, 404)
                return OGCRoutes.problem(404, "no-such-process", "Process \(id) does not exist.")
            }
            deployed.record("PUT", id, 204)
            return Response(status: .noContent)
        }
        router.delete("processes/:pid") { request, context in
            guard SimulatorAuth.user(of: request, store: store) != nil else { return SimulatorAuth.problemUnauthorized(store) }
            let id = context.parameters.get("pid") ?? ""
            if OGCRoutes.processIDs.contains(id) {
                deployed.record("DELETE", id, 403)
                return Self.problem(403, "immutable-process", "The process \(id) is built in and cannot be undeployed.")
            }
            guard deployed.remove(id) else {
                deployed.record("DELETE", id, 404)
                return OGCRoutes.problem(404, "no-such-process", "Process \(id) does not exist.")
            }
            deployed.record("DELETE", id, 204)
            return Response(status: .noContent)
        }
        router.get("processes/:pid/package") { request, context in
            guard SimulatorAuth.user(of: request, store: store) != nil else { return SimulatorAuth.problemUnauthorized(store) }
            let id = context.parameters.get("pid") ?? ""
            guard let process = deployed.process(id) else {
                return OGCRoutes.problem(404, "no-such-process", "Process \(id) has no package here.")
            }
            return SimulatorJSON.response(data: process.package, headers: [.contentType: process.contentType])
        }
    }

    /// The package of a deploy or replace request, or the problem answer that refuses it.
    static func package(_ request: Request, id pathID: String? = nil) async throws -> Result<DeployedProcesses.Process, ProblemResponse> {
        let contentType = (request.headers[.contentType] ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard contentTypes.contains(contentType) else {
            return .failure(ProblemResponse(OGCRoutes.problem(415, "unsupported-media-type",
                                                              "Send an application package (\(contentTypes.joined(separator: ", "))), not '\(contentType)'.")))
        }
        let body = Data(buffer: try await request.body.collect(upTo: 4 << 20))
        let query = request.uri.queryParameters.get("w")
        var description: [String: String] = [:]
        var named: String?
        if contentType == "application/ogcapppkg+json" {
            guard let document = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
                return .failure(ProblemResponse(OGCRoutes.problem(400, "invalid-parameter-value", "The application package is not a JSON object.")))
            }
            guard document["executionUnit"] != nil else {
                return .failure(ProblemResponse(OGCRoutes.problem(400, "invalid-parameter-value", "The application package has no executionUnit.")))
            }
            let processDescription = document["processDescription"] as? [String: Any]
            let process = processDescription?["process"] as? [String: Any] ?? processDescription
            named = process?["id"] as? String
            for key in ["title", "description", "version"] {
                if let value = process?[key] as? String { description[key] = value }
            }
        }
        guard let id = named ?? query ?? pathID, !id.isEmpty, id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else {
            return .failure(ProblemResponse(OGCRoutes.problem(400, "invalid-parameter-value",
                                                              "The package names no process id (processDescription.id, or the w parameter).")))
        }
        return .success(DeployedProcesses.Process(id: id, contentType: contentType, package: body, description: description))
    }

    static func problem(_ status: Int, _ type: String, _ detail: String) -> Response {
        SimulatorJSON.response(
            object: ["type": exceptions + type, "title": type, "status": status, "detail": detail],
            status: .init(code: status),
            headers: [.contentType: "application/problem+json"]
        )
    }
}

/// A refusal as a `Result` failure.
struct ProblemResponse: Error {
    let response: Response
    init(_ response: Response) { self.response = response }
}
