import FleetModel
import Foundation
import HTTP

/// An openEO API 1.x backend (CDSE, VITO/Terrascope, EODC, the simulator).
///
/// Submit is `POST /jobs` (the title carries the idempotency key) then `POST /jobs/{id}/results`;
/// status `GET /jobs/{id}`; results the STAC document of `GET /jobs/{id}/results`; cancel
/// `DELETE /jobs/{id}/results`; logs `GET /jobs/{id}/logs`; find searches `GET /jobs`.
public struct OpenEOBackend: Backend, JobResuming {
    public let name: String
    /// The API root, e.g. `https://openeo.dataspace.copernicus.eu/openeo/1.2`.
    public let baseURL: String
    let transport: BackendTransport
    /// Pages of `GET /jobs` searched by a lookup (a million jobs at 1,000 a page), and of a job log.
    public var maxListPages = 1000

    public init(name: String, baseURL: String, transport: BackendTransport) {
        self.name = name
        self.baseURL = baseURL
        self.transport = transport
    }

    public func submit(_ job: BackendJob, idempotencyKey: String) async throws -> String {
        if case .command = job.process { throw Self.commandRefused }
        let body = Self.createBody(for: job, idempotencyKey: idempotencyKey)
        let request = try HTTPClient.Request(self.url("jobs"), method: .post, json: body)
        let id: String
        let startNeeded: Bool
        switch try await self.transport.create(request, find: { try await self.lookup(idempotencyKeys: [idempotencyKey])[idempotencyKey]?.id }) {
        case .created(let response):
            do {
                id = try Self.jobID(from: response)
                startNeeded = true
            } catch {
                // A garbled answer to a create: the job may exist all the same.
                guard let found = try await self.lookup(idempotencyKeys: [idempotencyKey])[idempotencyKey] else { throw error }
                id = found.id
                startNeeded = found.rawStatus == "created"
            }
        case .found(let found):
            id = found
            startNeeded = try await self.status(of: found).rawStatus == "created"
        }
        if startNeeded {
            try await self.start(id)
        }
        return id
    }

    /// `GET /jobs/{id}`, then `POST /jobs/{id}/results` while the job is still `created`.
    public func resume(jobID: String, idempotencyKey: String) async throws -> String? {
        let status: BackendJobStatus
        do {
            status = try await self.status(of: jobID)
        } catch BackendError.notFound {
            return try await self.find(idempotencyKey: idempotencyKey)
        }
        if status.rawStatus == "created" {
            try await self.start(jobID)
        }
        return jobID
    }

    /// `POST /jobs/{id}/results`. A concurrency limit (429, `ConcurrentJobLimit`) becomes
    /// ``BackendError/tryLater(retryAfter:message:jobID:)`` carrying the created job's id.
    public func start(_ jobID: String) async throws {
        var request = HTTPClient.Request(self.url("jobs/\(BackendTransport.segment(jobID))/results"), method: .post)
        request.headers.add(name: "Accept", value: "application/json")
        do {
            _ = try await self.transport.send(request, retryThrottled: false)
        } catch BackendError.tryLater(let retryAfter, let message, _) {
            throw BackendError.tryLater(retryAfter: retryAfter, message: message, jobID: jobID)
        }
    }

    public func status(of jobID: String) async throws -> BackendJobStatus {
        let response = try await self.transport.send(self.get("jobs/\(BackendTransport.segment(jobID))"))
        var status = try Self.parseStatus(response.body)
        if status.status == .failed, status.message == nil {
            status.message = try? await self.errorMessage(of: jobID)
        }
        return status
    }

    public func results(of jobID: String) async throws -> [BackendAsset] {
        let response = try await self.transport.send(self.get("jobs/\(BackendTransport.segment(jobID))/results"))
        return try Self.parseAssets(response.body, baseURL: response.effectiveURL)
    }

    public func cancel(_ jobID: String) async throws {
        let request = HTTPClient.Request(self.url("jobs/\(BackendTransport.segment(jobID))/results"), method: .delete)
        _ = try await self.transport.send(request)
    }

    /// Searches `GET /jobs` (following `next` links) for the key; a job found still `created` is
    /// started, since a redelivered submit means it should run.
    public func find(idempotencyKey: String) async throws -> String? {
        try await self.find(idempotencyKeys: [idempotencyKey])[idempotencyKey]
    }

    /// One listing of the account's jobs for every key; a job found still `created` (its start was
    /// lost) is started.
    public func find(idempotencyKeys: Set<String>) async throws -> [String: String] {
        var found: [String: String] = [:]
        for (key, job) in try await self.lookup(idempotencyKeys: idempotencyKeys) {
            if job.rawStatus == "created" {
                try await self.start(job.id)
            }
            found[key] = job.id
        }
        return found
    }

    public func logs(of jobID: String) async throws -> [BackendLogEntry] {
        var entries: [BackendLogEntry] = []
        var next: String? = self.url("jobs/\(BackendTransport.segment(jobID))/logs")
        var pages = 0
        while let url = next, pages < self.maxListPages {
            pages += 1
            let response = try await self.transport.send(HTTPClient.Request(url, headers: ["Accept": "application/json"]))
            let page = try Self.parseLogs(response.body)
            entries += page.entries
            next = page.next.map { BackendTransport.resolve($0, against: url) }
        }
        return entries
    }

    /// Per key, the newest job whose title carries it, preferring one that is not failed or
    /// canceled: one pass over the account's job list (stopping at a `next` link seen before).
    func lookup(idempotencyKeys: Set<String>) async throws -> [String: (id: String, rawStatus: String)] {
        let markers = Dictionary(uniqueKeysWithValues: idempotencyKeys.map { (BackendJob.marker(for: $0), $0) })
        var candidates: [String: [(id: String, rawStatus: String, created: String)]] = [:]
        var next: String? = self.url("jobs?limit=1000")
        var seen: Set<String> = []
        while let url = next, seen.count < self.maxListPages, seen.insert(url).inserted {
            let response = try await self.transport.send(HTTPClient.Request(url, headers: ["Accept": "application/json"]))
            let page = try Self.decode(response.body, what: "job list")
            for job in page["jobs"]?.arrayValue ?? [] {
                guard let title = job["title"]?.stringValue, let id = job["id"]?.stringValue,
                      let marker = Self.marker(in: title), let key = markers[marker] else { continue }
                candidates[key, default: []].append((id, job["status"]?.stringValue ?? "", job["created"]?.stringValue ?? ""))
            }
            next = Self.nextLink(in: page).map { BackendTransport.resolve($0, against: url) }
        }
        return candidates.compactMapValues { jobs in
            jobs.min { lhs, rhs in
                let lhsLive = !["error", "canceled"].contains(lhs.rawStatus)
                let rhsLive = !["error", "canceled"].contains(rhs.rawStatus)
                if lhsLive != rhsLive { return lhsLive }
                return lhs.created > rhs.created
            }.map { ($0.id, $0.rawStatus) }
        }
    }

    /// The `[tilefleet:…]` marker in a job title, if any.
    static func marker(in title: String) -> String? {
        guard let start = title.range(of: "[tilefleet:"), let end = title[start.upperBound...].firstIndex(of: "]") else { return nil }
        return String(title[start.lowerBound...end])
    }

    /// The last error-level log message of a failed job.
    private func errorMessage(of jobID: String) async throws -> String? {
        let response = try await self.transport.send(self.get("jobs/\(BackendTransport.segment(jobID))/logs?level=error"))
        return try Self.parseLogs(response.body).entries.last { $0.level == nil || $0.level == "error" }?.message
    }
}

extension OpenEOBackend: RESTAdapter {}

extension OpenEOBackend {
    /// The `POST /jobs` body: title with the key, the process (a full graph with arguments filled in,
    /// or one node calling the named process with `namespace`), `job_options`.
    public static func createBody(for job: BackendJob, idempotencyKey: String) -> JSONValue {
        var body: [String: JSONValue] = [
            "title": .string(job.platformTitle(idempotencyKey: idempotencyKey)),
            "process": .object(["process_graph": .object(self.processGraph(for: job))]),
        ]
        if let description = job.description {
            body["description"] = .string(description)
        }
        if !job.options.isEmpty {
            body["job_options"] = .object(job.options)
        }
        return .object(body)
    }

    /// A program is not an openEO process: what submit says to a task that names one.
    static let commandRefused = BackendError.configuration(message: "an openEO job needs a process graph or a process id, not a command (use a command backend)")

    /// The process graph of `job`.
    static func processGraph(for job: BackendJob) -> [String: JSONValue] {
        switch job.process {
        case .processGraph(let graph):
            return graph.mapValues { self.substitute(job.arguments, in: $0) }
        case .command:
            return [:]  // refused by submit and submitRequest (commandRefused)
        case .named(let id, let namespace):
            let nodeID = String(id.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }) + "1"
            var node: [String: JSONValue] = [
                "process_id": .string(id),
                "arguments": .object(job.arguments),
            ]
            if let namespace {
                node["namespace"] = .string(namespace)
            }
            guard let format = job.outputFormat else {
                node["result"] = .bool(true)
                return [nodeID: .object(node)]
            }
            return [
                nodeID: .object(node),
                "saveresult1": .object([
                    "process_id": .string("save_result"),
                    "arguments": .object(["data": .object(["from_node": .string(nodeID)]), "format": .string(format), "options": .object([:])]),
                    "result": .bool(true),
                ]),
            ]
        }
    }

    /// Replaces `{"from_parameter": name}` by the argument `name` wherever it is given.
    static func substitute(_ arguments: [String: JSONValue], in value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            if members.count == 1, let name = members["from_parameter"]?.stringValue, let argument = arguments[name] {
                return argument
            }
            return .object(members.mapValues { self.substitute(arguments, in: $0) })
        case .array(let items):
            return .array(items.map { self.substitute(arguments, in: $0) })
        default:
            return value
        }
    }

    /// The job id of a `201 Created`: `OpenEO-Identifier`, else the last segment of `Location`.
    static func jobID(from response: HTTPClient.Response) throws -> String {
        if let id = response.headers["OpenEO-Identifier"], !id.isEmpty {
            return id
        }
        if let location = response.location,
            let last = location.split(separator: "?").first?.split(separator: "/").last, !last.isEmpty
        {
            return String(last).removingPercentEncoding ?? String(last)
        }
        throw BackendError.invalidResponse(message: "job created (\(response.status)) without OpenEO-Identifier or Location header")
    }

    /// `GET /jobs/{id}` → unified status, raw status, progress, and the `costs` and `usage` so far.
    static func parseStatus(_ body: Data) throws -> BackendJobStatus {
        let document = try self.decode(body, what: "job")
        guard let raw = document["status"]?.stringValue else {
            throw BackendError.invalidResponse(message: "job document without status")
        }
        guard let status = BackendStatus(openEO: raw) else {
            throw BackendError.invalidResponse(message: "unknown openEO job status '\(raw)'")
        }
        return BackendJobStatus(status: status, rawStatus: raw, progress: document["progress"]?.numberValue, message: nil,
                                costs: BackendJobStatus.screenedCosts(document["costs"]),
                                usage: BackendJobStatus.screenedUsage(document["usage"]))
    }

    /// The assets of a STAC Item or Collection (`GET /jobs/{id}/results`); relative hrefs are resolved
    /// against `baseURL`.
    static func parseAssets(_ body: Data, baseURL: String) throws -> [BackendAsset] {
        let document = try self.decode(body, what: "STAC result")
        guard let assets = document["assets"]?.jsonObject else {
            throw BackendError.invalidResponse(message: "STAC result without assets")
        }
        return BackendAsset.screened(assets.keys.sorted().compactMap { name in
            guard let asset = assets[name], let href = asset["href"]?.stringValue else { return nil }
            return BackendAsset(
                name: name,
                href: BackendTransport.resolve(href, against: baseURL),
                mediaType: asset["type"]?.stringValue,
                roles: asset["roles"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                title: asset["title"]?.stringValue,
                size: asset["file:size"]?.jsonInt
            )
        })
    }

    /// One page of `GET /jobs/{id}/logs` and its `next` link.
    static func parseLogs(_ body: Data) throws -> (entries: [BackendLogEntry], next: String?) {
        let document = try self.decode(body, what: "log list")
        let entries = (document["logs"]?.arrayValue ?? []).map { entry in
            BackendLogEntry(
                id: entry["id"]?.stringValue,
                level: entry["level"]?.stringValue,
                message: entry["message"]?.stringValue ?? "",
                time: entry["time"]?.stringValue
            )
        }
        return (entries, self.nextLink(in: document))
    }

    static func nextLink(in document: JSONValue) -> String? {
        document["links"]?.arrayValue?.first { $0["rel"]?.stringValue == "next" }?["href"]?.stringValue
    }

    static func decode(_ body: Data, what: String) throws -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: body)
        } catch {
            if let page = PlatformMessage.htmlSummary(body) {
                throw BackendError.invalidResponse(message: "\(what) is not JSON but \(page)")
            }
            let excerpt = String(decoding: body.prefix(120), as: UTF8.self)
            throw BackendError.invalidResponse(message: "\(what) is not JSON: \(excerpt.debugDescription)")
        }
    }
}
