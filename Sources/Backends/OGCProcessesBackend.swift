import FleetModel
import Foundation
import HTTP

/// An OGC API – Processes 1.0 server (ZOO-Project, pygeoapi, HPGC, the simulator).
///
/// Submit is `POST /processes/{id}/execution` with `Prefer: respond-async`; the job id comes from
/// `Location` (real servers send a `null` or `{}` body). A server that answers 200 with outputs ran the
/// job synchronously: the id is then `sync:` + the outputs, so status and results need no server.
/// Status `GET /jobs/{id}`, results `GET /jobs/{id}/results`, cancel `DELETE /jobs/{id}`.
public struct OGCProcessesBackend: Backend {
    public let name: String
    /// The API root, e.g. `https://example.org/ogc-api`.
    public let baseURL: String
    let transport: BackendTransport
    /// Pages of `GET /jobs` searched by ``find(idempotencyKey:)``.
    public var maxListPages = 20

    static let syncPrefix = "sync:"

    public init(name: String, baseURL: String, transport: BackendTransport) {
        self.name = name
        self.baseURL = baseURL
        self.transport = transport
    }

    public func submit(_ job: BackendJob, idempotencyKey: String) async throws -> String {
        guard case .named(let processID, _) = job.process else {
            throw BackendError.configuration(message: "an OGC API – Processes job needs a process id, not a process graph or a command")
        }
        var request = try HTTPClient.Request(
            self.url("processes/\(BackendTransport.segment(processID))/execution"),
            method: .post,
            json: Self.executeBody(for: job, idempotencyKey: idempotencyKey)
        )
        request.headers.add(name: "Prefer", value: "respond-async")
        switch try await self.transport.create(request, find: { try await self.find(idempotencyKey: idempotencyKey) }) {
        case .found(let id):
            return id
        case .created(let response):
            do {
                return try Self.jobID(from: response)
            } catch {
                // A garbled answer to an execution: the job may exist all the same.
                guard let found = try await self.find(idempotencyKey: idempotencyKey) else { throw error }
                return found
            }
        }
    }

    public func status(of jobID: String) async throws -> BackendJobStatus {
        if jobID.hasPrefix(Self.syncPrefix) {
            return BackendJobStatus(status: .finished, rawStatus: "successful", progress: 100, message: "executed synchronously")
        }
        let response = try await self.transport.send(self.get("jobs/\(BackendTransport.segment(jobID))"))
        return try Self.parseStatus(response.body)
    }

    public func results(of jobID: String) async throws -> [BackendAsset] {
        if jobID.hasPrefix(Self.syncPrefix) {
            guard let data = Data(base64Encoded: String(jobID.dropFirst(Self.syncPrefix.count))) else {
                throw BackendError.invalidResponse(message: "malformed synchronous job id")
            }
            return try Self.parseResults(data, contentType: "application/json", url: self.baseURL)
        }
        let response = try await self.transport.send(self.get("jobs/\(BackendTransport.segment(jobID))/results"))
        return try Self.parseResults(response.body, contentType: response.headers["Content-Type"], url: response.effectiveURL)
    }

    public func cancel(_ jobID: String) async throws {
        guard !jobID.hasPrefix(Self.syncPrefix) else { return }
        _ = try await self.transport.send(HTTPClient.Request(self.url("jobs/\(BackendTransport.segment(jobID))"), method: .delete))
    }

    /// Searches `GET /jobs` for a job whose `title` carries the key. Servers that drop the title
    /// cannot be searched: then nothing is found.
    public func find(idempotencyKey: String) async throws -> String? {
        let marker = BackendJob.marker(for: idempotencyKey)
        var next: String? = self.url("jobs?limit=1000")
        var pages = 0
        var found: [(id: String, failed: Bool)] = []
        while let url = next, pages < self.maxListPages {
            pages += 1
            let response = try await self.transport.send(HTTPClient.Request(url, headers: ["Accept": "application/json"]))
            let page = try OpenEOBackend.decode(response.body, what: "job list")
            for job in page["jobs"]?.arrayValue ?? [] {
                guard let title = job["title"]?.stringValue, title.contains(marker), let id = job["jobID"]?.stringValue else { continue }
                let status = job["status"]?.stringValue ?? ""
                found.append((id, status == "failed" || status == "dismissed"))
            }
            next = OpenEOBackend.nextLink(in: page).map { BackendTransport.resolve($0, against: url) }
        }
        return (found.first { !$0.failed } ?? found.last)?.id
    }

    public func logs(of jobID: String) async throws -> [BackendLogEntry] {
        throw BackendError.unsupported(message: "OGC API – Processes defines no job logs; see the status message")
    }
}

extension OGCProcessesBackend: RESTAdapter {}

extension OGCProcessesBackend {
    /// The execute request: `inputs`, `response: document`, the job title (carrying the key),
    /// `subscriber` and any extra members from the job's options (e.g. `outputs`).
    public static func executeBody(for job: BackendJob, idempotencyKey: String) -> JSONValue {
        var body: [String: JSONValue] = job.options
        body["inputs"] = .object(job.arguments)
        body["title"] = .string(job.platformTitle(idempotencyKey: idempotencyKey))
        if body["response"] == nil {
            body["response"] = .string("document")
        }
        if let subscriber = job.subscriber {
            var members: [String: JSONValue] = [:]
            if let uri = subscriber.successUri { members["successUri"] = .string(uri) }
            if let uri = subscriber.inProgressUri { members["inProgressUri"] = .string(uri) }
            if let uri = subscriber.failedUri { members["failedUri"] = .string(uri) }
            body["subscriber"] = .object(members)
        }
        return .object(body)
    }

    /// The job id of an execute answer: `Location`'s last segment (201), a statusInfo's `jobID`, or
    /// for a synchronous 200 with outputs, `sync:` + the outputs in base64.
    static func jobID(from response: HTTPClient.Response) throws -> String {
        if let location = response.location, response.status != 200 || response.body.isEmpty,
            let last = location.split(separator: "?").first?.split(separator: "/").last, !last.isEmpty
        {
            return String(last).removingPercentEncoding ?? String(last)
        }
        let document = try? JSONDecoder().decode(JSONValue.self, from: response.body)
        if let id = document?["jobID"]?.stringValue, document?["status"] != nil {
            return id
        }
        if response.status == 200, let document, case .object = document {
            guard response.body.count <= 16 * 1024 else {
                throw BackendError.invalidResponse(message: "the server executed synchronously and its outputs (\(response.body.count) bytes) are too large to keep")
            }
            return syncPrefix + response.body.base64EncodedString()
        }
        throw BackendError.invalidResponse(message: "execution answered \(response.status) without Location or jobID")
    }

    /// A statusInfo → unified status.
    static func parseStatus(_ body: Data) throws -> BackendJobStatus {
        let document = try OpenEOBackend.decode(body, what: "statusInfo")
        guard let raw = document["status"]?.stringValue else {
            throw BackendError.invalidResponse(message: "statusInfo without status")
        }
        guard let status = BackendStatus(ogc: raw) else {
            throw BackendError.invalidResponse(message: "unknown OGC job status '\(raw)'")
        }
        return BackendJobStatus(status: status, rawStatus: raw, progress: document["progress"]?.numberValue, message: document["message"]?.stringValue)
    }

    /// Results: a document of outputs in any of the forms servers send — `{name: output}` (OGC 1.0),
    /// `{"outputs": {name: output}}`, `{"outputs": [{"id": name, …}]}` (pygeoapi's job results), a
    /// single `{"id": name, "value"|"href": …}` (pygeoapi's synchronous answer) or a bare array —
    /// one asset per output, named by its id. An output by reference becomes an asset with its `href`;
    /// an inline value a `data:` asset (text as is, anything else as JSON). A body that is not JSON is
    /// one asset: the results URL itself. Hrefs are screened (``BackendAsset/screened(_:)``).
    static func parseResults(_ body: Data, contentType: String?, url: String) throws -> [BackendAsset] {
        let isJSON = contentType.map { $0.contains("json") } ?? true
        guard isJSON, let document = try? JSONDecoder().decode(JSONValue.self, from: body),
            let outputs = Self.outputs(of: document)
        else {
            return [BackendAsset(name: "result", href: url, mediaType: contentType, roles: ["data"], size: body.count)]
        }
        return BackendAsset.screened(outputs.map { name, output in
            if let href = output["href"]?.stringValue {
                return BackendAsset(
                    name: name,
                    href: BackendTransport.resolve(href, against: url),
                    mediaType: Self.mediaType(of: output),
                    roles: ["data"],
                    title: output["title"]?.stringValue
                )
            }
            let value = output["value"] ?? output
            let mediaType = (output["value"] == nil ? nil : Self.mediaType(of: output)) ?? (value.stringValue == nil ? "application/json" : "text/plain")
            let encoded = Data((mediaType.contains("json") ? value.canonicalJSON : value.stringValue ?? value.canonicalJSON).utf8)
            return BackendAsset(
                name: name,
                href: "data:\(mediaType);base64,\(encoded.base64EncodedString())",
                mediaType: mediaType,
                roles: ["data", "inline"],
                size: encoded.count
            )
        })
    }

    /// An output's media type (`type`, `mediaType` or `format.mediaType`), when it looks like one.
    static func mediaType(of output: JSONValue) -> String? {
        [output["type"], output["mediaType"], output["format"]?["mediaType"]].lazy.compactMap { $0?.stringValue }.first { $0.contains("/") }
    }

    /// (id, output) pairs of a results document in order (object members sorted by id), or `nil`
    /// when the document has no outputs in a known form.
    static func outputs(of document: JSONValue) -> [(String, JSONValue)]? {
        let container = document["outputs"].flatMap { $0.jsonObject != nil || $0.arrayValue != nil ? $0 : nil } ?? document
        if let id = container["id"]?.stringValue, container["value"] != nil || container["href"] != nil {
            return [(id, container)]   // one output on its own, as pygeoapi answers a synchronous execution
        }
        if let object = container.jsonObject {
            return object.keys.sorted().map { ($0, object[$0]!) }
        }
        guard let array = container.arrayValue else { return nil }
        return array.enumerated().map { index, output in
            (output["id"]?.stringValue ?? output["name"]?.stringValue ?? "output-\(index + 1)", output)
        }
    }
}
