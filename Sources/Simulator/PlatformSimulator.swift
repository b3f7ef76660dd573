import Foundation
import Hummingbird

/// A simulated processing platform speaking the openEO API subset (under `/openeo`) and the OGC API –
/// Processes subset (under `/ogc`) that tilefleet's adapters use, with jobs in memory, basic, bearer
/// and OIDC client-credentials auth (`/oidc`), a small EOCanvas route set (`/eocanvas`),
/// result assets downloadable with the same login (`/assets`), a per-user
/// concurrency limit and injected faults. `GET /_simulator/stats` reports what it saw.
///
/// ```swift
/// let simulator = PlatformSimulator(configuration: .init(duration: .fixed(0.2)))
/// let server = SimulatorServer { simulator.register(on: $0) }
/// ```
public final class PlatformSimulator: Sendable {
    let store: SimulatorStore

    public init(configuration: SimulatorConfiguration = SimulatorConfiguration()) {
        self.store = SimulatorStore(configuration: configuration)
    }

    /// The configuration in force.
    public var configuration: SimulatorConfiguration { self.store.configuration }

    /// What the simulator has seen so far.
    public func stats() -> SimulatorStats { self.store.snapshot() }

    /// The OGC processes deployed through OGC API – Processes Part 2, and the answers given.
    public var deployedProcesses: DeployedProcesses { self.store.deployed }

    /// The OGC jobs' subscriber callbacks made so far.
    public var subscriberCalls: SubscriberCalls { self.store.subscriberCalls }

    /// Queues a fault for the next matching request(s).
    public func inject(_ fault: SimulatedFault) { self.store.inject(fault) }

    /// Invalidates every issued access token: the next authenticated request gets 401.
    public func expireTokens() { self.store.expireTokens() }

    /// Adds the platform routes (and the `/_simulator` control routes) to `router`.
    public func register(on router: SimulatorServer.Router) {
        router.add(middleware: FaultMiddleware(store: self.store))
        let openEO = OpenEORoutes(store: self.store)
        openEO.register(on: router.group("openeo"))
        OGCRoutes(store: self.store).register(on: router.group("ogc"))
        OIDCRoutes(store: self.store).register(on: router.group("oidc"))
        EOCanvasRoutes(store: self.store).register(on: router.group("eocanvas"))
        let store = self.store
        router.get("assets/:job/:name") { request, context in
            // Like openeo-driver, result files need the same login as the API.
            guard SimulatorAuth.user(of: request, store: store) != nil else { return SimulatorAuth.openEOUnauthorized(store, request) }
            let name = context.parameters.get("name") ?? "asset"
            let size = store.configuration.assetSize
            var buffer = ByteBuffer()
            buffer.writeRepeatingByte(UInt8(ascii: "x"), count: size)
            return Response(
                status: .ok,
                headers: [.contentType: name.hasSuffix(".json") ? "application/json" : "image/tiff; application=geotiff"],
                body: .init(byteBuffer: buffer)
            )
        }
        router.get("_simulator/stats") { _, _ in
            try SimulatorJSON.response(store.snapshot())
        }
        router.post("_simulator/faults") { request, _ in
            let body = try await request.body.collect(upTo: 1 << 20)
            let faults = try JSONDecoder().decode([SimulatedFault].self, from: Data(buffer: body))
            faults.forEach(store.inject)
            return Response(status: .noContent)
        }
        router.post("_simulator/expire-tokens") { _, _ in
            store.expireTokens()
            return Response(status: .noContent)
        }
    }
}

/// JSON helpers of the simulator's routes.
enum SimulatorJSON {
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(value)
        return self.response(data: data, status: status, headers: headers)
    }

    static func response(object: Any, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .fragmentsAllowed])) ?? Data("null".utf8)
        return self.response(data: data, status: status, headers: headers)
    }

    static func response(data: Data, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        if headers[.contentType] == nil {
            headers[.contentType] = "application/json"
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func body(_ request: Request) async throws -> Any? {
        let buffer = try await request.body.collect(upTo: 16 << 20)
        guard buffer.readableBytes > 0 else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(buffer: buffer), options: [.fragmentsAllowed])
    }

    /// RFC 3339 in UTC (`2026-01-02T03:04:05Z`), formatted by hand: it is on the hot status path.
    static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }

    /// A JSON string literal of `text`.
    static func quoted(_ text: String) -> String {
        var output = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output + "\""
    }

    /// `scheme://host` of the request, for absolute links.
    static func origin(_ request: Request) -> String {
        "http://\(request.head.authority ?? "127.0.0.1")"
    }
}

/// Injects scripted or random faults into API requests (not into `/_simulator`).
struct FaultMiddleware: RouterMiddleware {
    typealias Context = SimulatorRequestContext
    let store: SimulatorStore

    struct Reset: Error {}

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if path.hasPrefix("/_simulator") {
            return try await next(request, context)
        }
        let isStatus = request.method == .get && (path.hasPrefix("/openeo/jobs/") || path.hasPrefix("/ogc/jobs/") || path.hasPrefix("/eocanvas/serverless/jobs/"))
        guard let fault = self.store.recordRequest(method: request.method.rawValue, path: path, isStatus: isStatus) else {
            return try await next(request, context)
        }
        switch fault.kind {
        case .status:
            let status = fault.status ?? 503
            return SimulatorJSON.response(
                object: ["code": "SimulatedFault", "message": "Simulated HTTP \(status) (injected fault)."],
                status: .init(code: status)
            )
        case .throttle:
            let retryAfter = fault.retryAfter ?? 1
            return SimulatorJSON.response(
                object: ["code": "TooManyRequests", "message": "Simulated rate limit: retry after \(retryAfter) s."],
                status: .tooManyRequests,
                headers: [.retryAfter: "\(retryAfter)"]
            )
        case .resetBefore:
            return Self.resetResponse()
        case .resetAfter:
            _ = try await next(request, context)
            return Self.resetResponse()
        case .malformed:
            _ = try await next(request, context)
            return SimulatorJSON.response(data: Data(#"{"id": "truncated", "status": "runn"#.utf8))
        case .slow:
            let response = try await next(request, context)
            try await Task.sleep(for: .milliseconds(fault.milliseconds ?? 2000))
            return response
        }
    }

    /// Headers promising a body that never comes: the client sees the connection close mid-answer.
    static func resetResponse() -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/json"],
            body: ResponseBody(contentLength: 64) { _ in throw Reset() }
        )
    }
}
