import FleetConfig
import FleetModel
import Foundation
import HTTP

extension OpenEOBackend: BackendInspection {
    /// `GET {url}`: capabilities with `api_version` and `endpoints`. Anything else looks for the
    /// right root: a redirect's target, else the versions of `GET {origin}/.well-known/openeo`.
    public func checkRoot() async -> APIRootCheck {
        let request = HTTPClient.Request(self.baseURL, headers: ["Accept": "application/json"])
        let found: String
        do {
            let response = try await self.transport.send(request, authorize: false)
            let document = try? JSONDecoder().decode(JSONValue.self, from: response.body)
            if let version = document?["api_version"]?.stringValue, document?["endpoints"] != nil {
                let title = document?["title"]?.stringValue.map { ", \($0)" } ?? ""
                if Self.trimmed(response.effectiveURL) != Self.trimmed(self.baseURL) {
                    return .wrong(problem: "\(self.baseURL) redirects to the openEO API root \(response.effectiveURL)", suggestedURL: Self.trimmed(response.effectiveURL))
                }
                return .ok(summary: "openEO \(version)\(title)")
            }
            found = "GET \(self.baseURL) answered \(response.status) without openEO capabilities (no api_version and endpoints)"
        } catch {
            found = "\(error)"
        }
        return .wrong(problem: found, suggestedURL: await self.wellKnownRoot())
    }

    /// The newest production API root listed by `GET {origin}/.well-known/openeo`.
    func wellKnownRoot() async -> String? {
        guard let components = URLComponents(string: self.baseURL), let scheme = components.scheme, let host = components.host else { return nil }
        let origin = "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
        guard let response = try? await self.transport.send(HTTPClient.Request(origin + "/.well-known/openeo", headers: ["Accept": "application/json"]), authorize: false),
              let document = try? JSONDecoder().decode(JSONValue.self, from: response.body),
              let versions = document["versions"]?.arrayValue else { return nil }
        let candidates = versions.filter { $0["production"] != .bool(false) }.compactMap { version -> (String, String)? in
            guard let url = version["url"]?.stringValue, let api = version["api_version"]?.stringValue else { return nil }
            return (api, url)
        }
        let newest = candidates.max { lhs, rhs in lhs.0.compare(rhs.0, options: .numeric) == .orderedAscending }
        return newest.map { Self.trimmed($0.1) }
    }

    static func trimmed(_ url: String) -> String {
        url.hasSuffix("/") ? String(url.dropLast()) : url
    }

    /// `GET /me`: the user and what the platform says of budget and plans.
    public func account() async throws -> BackendAccount? {
        let response = try await self.transport.send(self.get("me"))
        let document = try Self.decode(response.body, what: "account (GET /me)")
        let user = document["name"]?.stringValue ?? document["user_id"]?.stringValue ?? "(unnamed)"
        var details: [String] = []
        if let budget = document["budget"]?.numberValue { details.append("budget \(budget)") }
        if let plan = document["default_plan"]?.stringValue { details.append("plan \(plan)") }
        if let storage = document["storage"], let free = storage["free"]?.numberValue {
            details.append("storage free \(Int(free)) bytes")
        }
        return BackendAccount(user: user, details: details)
    }

    /// A process graph's own `from_parameter` names; a UDP's declared parameters from its URL; a
    /// stored UDP from `GET /process_graphs/{id}`, else a predefined process from `GET /processes`.
    public func describe(_ process: BackendJob.Process) async throws -> ServiceDescription? {
        switch process {
        case .processGraph(let graph):
            let names = ServiceDescription.parameters(readBy: graph)
            return ServiceDescription(service: "the process graph", parameters: names.map { .init(name: $0, required: true) })
        case .named(let id, let namespace?) where namespace.hasPrefix("http://") || namespace.hasPrefix("https://"):
            let onOwnHost = URL(string: namespace)?.host == URL(string: self.baseURL)?.host
            let response = try await self.transport.send(HTTPClient.Request(namespace, headers: ["Accept": "application/json"]), authorize: onOwnHost)
            let document = try Self.decode(response.body, what: "the UDP at \(namespace)")
            return ServiceDescription(service: "the UDP \(id) (\(namespace))", parameters: Self.declaredParameters(document))
        case .named(let id, let namespace) where namespace == nil || namespace == "user":
            do {
                let response = try await self.transport.send(self.get("process_graphs/\(BackendTransport.segment(id))"))
                let document = try Self.decode(response.body, what: "the stored UDP \(id)")
                return ServiceDescription(service: "the stored UDP \(id)", parameters: Self.declaredParameters(document))
            } catch BackendError.notFound, BackendError.rejected(404, _) {
                if namespace == "user" { throw BackendError.notFound(message: "no stored UDP '\(id)' on \(self.name) (GET \(self.url("process_graphs")))") }
            }
            let response = try await self.transport.send(self.get("processes"), authorize: false)
            let processes = try Self.decode(response.body, what: "process list").jsonObject?["processes"]?.arrayValue ?? []
            guard let found = processes.first(where: { $0["id"]?.stringValue == id }) else {
                let names = processes.compactMap { $0["id"]?.stringValue }
                let hint = ConfigReader.closest(id, in: names).map { ", did you mean '\($0)'?" } ?? ""
                throw BackendError.notFound(message: "no process or stored UDP '\(id)' on \(self.name)\(hint)")
            }
            return ServiceDescription(service: "the process \(id)", parameters: Self.declaredParameters(found))
        case .named:
            return nil
        case .command:
            throw Self.commandRefused
        }
    }

    /// openEO `parameters: [{name, schema, optional, default}]`.
    static func declaredParameters(_ document: JSONValue) -> [ServiceDescription.Parameter] {
        (document["parameters"]?.arrayValue ?? []).compactMap { parameter in
            guard let name = parameter["name"]?.stringValue else { return nil }
            let optional = parameter["optional"] == .bool(true) || parameter["default"] != nil
            return ServiceDescription.Parameter(name: name, required: !optional, schema: parameter["schema"])
        }
    }

    public func submitRequest(for job: BackendJob, idempotencyKey: String) throws -> SubmitRequest {
        if case .command = job.process { throw Self.commandRefused }
        return SubmitRequest(method: "POST", url: self.url("jobs"), body: Self.createBody(for: job, idempotencyKey: idempotencyKey))
    }

}
