import FleetModel
import Foundation
import HTTP

/// WEkEO's EOCanvas serverless functions (`…/serverless`): SNAP graphs (`snap-function`) and Data
/// Tailor chains (`dataTailor`), executed OGC-style with base64-encoded inputs.
///
/// The job's arguments carry `snap_graph` (XML) or `epct_chain` (YAML) as text, `eo_input` /
/// `epct_input` and `eo_config` / `epct_config` as JSON; any other string or number argument replaces
/// `${name}` (and `$name`) in the graph or chain text — the tile's WKT polygon, dates. EOCanvas jobs have
/// no title, so a submit whose answer is lost is reported as ambiguous rather than sent twice.
public struct EOCanvasBackend: Backend {
    public let name: String
    /// The API root, e.g. `https://gateway.prod.wekeo2.eu/serverless`.
    public let baseURL: String
    let transport: BackendTransport
    /// Result pages followed at most.
    public var maxResultPages = 100

    public init(name: String, baseURL: String, transport: BackendTransport) {
        self.name = name
        self.baseURL = baseURL
        self.transport = transport
    }

    public func submit(_ job: BackendJob, idempotencyKey: String) async throws -> String {
        guard case .named(let processID, _) = job.process else {
            throw BackendError.configuration(message: "an EOCanvas job names its function (snap-function or dataTailor)")
        }
        let body = try Self.executeBody(for: job, processID: processID)
        let request = try HTTPClient.Request(self.url("processes/\(BackendTransport.segment(processID))/execution"), method: .post, json: body)
        switch try await self.transport.create(request, find: { try await self.find(idempotencyKey: idempotencyKey) }) {
        case .found(let id): return id
        case .created(let response): return try OGCProcessesBackend.jobID(from: response)
        }
    }

    public func status(of jobID: String) async throws -> BackendJobStatus {
        let response = try await self.transport.send(self.get("jobs/\(BackendTransport.segment(jobID))"))
        return try OGCProcessesBackend.parseStatus(response.body)
    }

    public func results(of jobID: String) async throws -> [BackendAsset] {
        var assets: [BackendAsset] = []
        var next: String? = self.url("jobs/\(BackendTransport.segment(jobID))/results")
        var pages = 0
        while let url = next, pages < self.maxResultPages {
            pages += 1
            let response = try await self.transport.send(HTTPClient.Request(url, headers: ["Accept": "application/json"]))
            let page = try Self.parseResultPage(response.body, origin: self.origin)
            assets += page.assets
            next = page.next
        }
        return assets
    }

    public func cancel(_ jobID: String) async throws {
        _ = try await self.transport.send(HTTPClient.Request(self.url("jobs/\(BackendTransport.segment(jobID))"), method: .delete))
    }

    /// EOCanvas jobs carry no title: they cannot be found by key.
    public func find(idempotencyKey: String) async throws -> String? {
        throw BackendError.unsupported(message: "EOCanvas jobs have no title to find them by")
    }

    public func logs(of jobID: String) async throws -> [BackendLogEntry] {
        let response = try await self.transport.send(self.get("jobs/\(BackendTransport.segment(jobID))/logs"))
        return try Self.parseLogs(response.body)
    }

    /// `scheme://host` of the API root: `next-page` hrefs are relative to it.
    var origin: String {
        guard let url = URL(string: self.baseURL), let scheme = url.scheme, let host = url.host else { return self.baseURL }
        return "\(scheme)://\(host)\(url.port.map { ":\($0)" } ?? "")"
    }
}

extension EOCanvasBackend: RESTAdapter {}

extension EOCanvasBackend {
    /// The execute body: `{"inputs": {"snap_graph": base64, "eo_input": "[…]", "eo_config": "[…]"}}` (or
    /// the `epct_` members for Data Tailor).
    public static func executeBody(for job: BackendJob, processID: String) throws -> JSONValue {
        let (documentKey, inputKey, configKey) = processID == "dataTailor"
            ? ("epct_chain", "epct_input", "epct_config")
            : ("snap_graph", "eo_input", "eo_config")
        guard var document = job.arguments[documentKey]?.stringValue else {
            throw BackendError.configuration(message: "the \(processID) job needs a '\(documentKey)' argument with the \(documentKey == "snap_graph" ? "graph XML" : "chain YAML")")
        }
        for (name, value) in job.arguments where ![documentKey, inputKey, configKey].contains(name) {
            let text: String
            switch value {
            case .string(let string): text = string
            case .number, .bool: text = value.canonicalJSON
            default: continue
            }
            document = document.replacingOccurrences(of: "${\(name)}", with: text).replacingOccurrences(of: "$\(name)", with: text)
        }
        func jsonText(_ value: JSONValue?) -> JSONValue {
            switch value {
            case nil: return .string("[]")
            case .string(let text)?: return .string(text)
            case .array(let items)?: return .string(JSONValue.array(items).canonicalJSON)
            case let other?: return .string(JSONValue.array([other]).canonicalJSON)
            }
        }
        return .object(["inputs": .object([
            documentKey: .string(Data(document.utf8).base64EncodedString()),
            inputKey: jsonText(job.arguments[inputKey]),
            configKey: jsonText(job.arguments[configKey]),
        ])])
    }

    /// One page of results: a list of `{href, title, rel}`; a last item titled `next-page` links the
    /// next page, later pages also end with `prev-page`.
    static func parseResultPage(_ body: Data, origin: String) throws -> (assets: [BackendAsset], next: String?) {
        let items = try OpenEOBackend.decode(body, what: "result list").arrayValue ?? []
        var next: String?
        var assets: [BackendAsset] = []
        for item in items {
            guard let href = item["href"]?.stringValue else { continue }
            let title = item["title"]?.stringValue ?? href
            switch title {
            case "next-page": next = href.hasPrefix("http") ? href : BackendTransport.join(origin, href)
            case "prev-page": continue
            default:
                let name = String(title.split(separator: "/").last ?? Substring(title))
                assets.append(BackendAsset(name: name, href: href.hasPrefix("http") || title.hasPrefix("keystore") ? href : BackendTransport.join(origin, href),
                    roles: ["data"], title: title))
            }
        }
        return (BackendAsset.screened(assets), next)
    }

    /// `[{timestamp, message}]`.
    static func parseLogs(_ body: Data) throws -> [BackendLogEntry] {
        let items = try OpenEOBackend.decode(body, what: "log list").arrayValue ?? []
        return items.map { item in
            let line = item["message"]?.stringValue ?? ""
            let (level, text) = Self.logfmt(line)
            return BackendLogEntry(level: level, message: text, time: item["timestamp"]?.stringValue)
        }
    }

    /// The level and text of a log line in the workflow executor's logfmt, as EOCanvas returns them
    /// (`time="2025-04-01T16:49:53.796Z" level=info msg="Starting Workflow Executor" version=v3.5.7`):
    /// `level` as `error` (also `fatal`, `panic`), `warning` (`warn`), `info` or `debug`, and the
    /// `msg` value with the other fields after it; a line without `level=` is kept as it is, with no level.
    static func logfmt(_ line: String) -> (level: String?, text: String) {
        guard let levelRange = line.range(of: #"(^|\s)level=([A-Za-z]+)"#, options: .regularExpression) else { return (nil, line) }
        let word = line[levelRange].split(separator: "=").last.map { $0.lowercased() } ?? ""
        let level: String? = switch word {
        case "error", "fatal", "panic": "error"
        case "warning", "warn": "warning"
        case "info", "debug", "trace": word == "trace" ? "debug" : word
        default: nil
        }
        guard let msgRange = line.range(of: #"(^|\s)msg="((\\.|[^"\\])*)""#, options: .regularExpression) else { return (level, line) }
        var message = String(line[msgRange].drop { $0 != "\"" }.dropFirst().dropLast())
        message = message.replacingOccurrences(of: "\\\"", with: "\"")
        let rest = line[msgRange.upperBound...].trimmingCharacters(in: .whitespaces)
        return (level, rest.isEmpty ? message : "\(message) (\(rest))")
    }
}
