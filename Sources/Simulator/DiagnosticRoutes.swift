import Foundation
import Hummingbird

/// Routes for exercising an HTTP client against a ``SimulatorServer``: echo, JSON, slow answers,
/// redirects, arbitrary statuses (with `Retry-After`), large deterministic bodies and a counter.
///
/// | route | answer |
/// |---|---|
/// | `GET /hello` | `hello` (text) |
/// | any method `/echo` | ``Echo`` of the request as JSON |
/// | `GET /json` | a fixed openEO-like job document |
/// | `GET /slow?ms=N` | `slow` after N milliseconds |
/// | `GET /redirect?to=PATH&status=302` | a redirect to `PATH` |
/// | `GET /redirect-chain/:n` | `n` redirects, then `/hello` |
/// | `GET /status/:code?retry-after=V` | status `code`, with `Retry-After: V` if given |
/// | `GET /bytes/:count` | `count` bytes of ``byte(at:)``, streamed in chunks |
/// | `POST /counter` | increments the counter, answers the new value |
/// | `GET /counter` | the counter's value |
public final class DiagnosticRoutes: Sendable {
    /// What `/echo` saw: the method, URI, headers (names lower-cased) and body as UTF-8 text.
    public struct Echo: Codable, Sendable, ResponseEncodable {
        public var method: String
        public var uri: String
        public var headers: [String: [String]]
        public var body: String
    }

    private let state = State()

    public init() {}

    /// The byte at `offset` of every `/bytes` body: a fixed pattern, so a download can be verified.
    public static func byte(at offset: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: (offset &* 31) &+ (offset >> 8) &+ 7)
    }

    /// The counter's value.
    public var counter: Int { self.state.counter }

    /// Distinct client connections (peer address and port) seen so far.
    public var connectionCount: Int { self.state.connectionCount }

    /// Requests handled so far.
    public var requestCount: Int { self.state.requestCount }

    /// Adds the routes to `router`.
    public func register(on router: SimulatorServer.Router) {
        let state = self.state
        router.add(middleware: ConnectionTracking(state: state))
        router.get("hello") { _, _ in "hello" }
        for method in [HTTPRequest.Method.get, .head, .post, .put, .patch, .delete] {
            router.on("echo", method: method) { request, context in
                try await Self.echo(request, context: context)
            }
        }
        router.get("json") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/json", .init("OpenEO-Identifier")!: "job-42"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"id":"job-42","status":"running","progress":42}"#))
            )
        }
        router.get("slow") { request, _ in
            let milliseconds = request.uri.queryParameters.get("ms", as: Int.self) ?? 1000
            try await Task.sleep(for: .milliseconds(milliseconds))
            return "slow"
        }
        router.get("redirect") { request, _ in
            let target = request.uri.queryParameters.get("to") ?? "/hello"
            let status = request.uri.queryParameters.get("status", as: Int.self) ?? 302
            return Response(status: .init(code: status), headers: [.location: target])
        }
        router.get("redirect-chain/:n") { _, context in
            let remaining = try context.parameters.require("n", as: Int.self)
            let target = remaining > 1 ? "/redirect-chain/\(remaining - 1)" : "/hello"
            return Response(status: .found, headers: [.location: target])
        }
        router.get("status/:code") { request, context in
            let code = try context.parameters.require("code", as: Int.self)
            var headers = HTTPFields()
            if let retryAfter = request.uri.queryParameters.get("retry-after") {
                headers[.retryAfter] = retryAfter
            }
            return Response(status: .init(code: code), headers: headers, body: .init(byteBuffer: ByteBuffer(string: "status \(code)")))
        }
        router.get("bytes/:count") { _, context in
            let count = try context.parameters.require("count", as: Int.self)
            return Response(
                status: .ok,
                headers: [.contentType: "application/octet-stream"],
                body: Self.patternBody(count: count)
            )
        }
        router.post("counter") { _, _ in
            "\(state.incrementCounter())"
        }
        router.get("counter") { _, _ in
            "\(state.counter)"
        }
    }

    private static func echo(_ request: Request, context: SimulatorRequestContext) async throws -> Echo {
        let buffer = try await request.body.collect(upTo: 16 * 1024 * 1024)
        var headers: [String: [String]] = [:]
        for field in request.headers {
            headers[field.name.canonicalName, default: []].append(field.value)
        }
        return Echo(
            method: request.method.rawValue,
            uri: request.uri.description,
            headers: headers,
            body: String(decoding: buffer.readableBytesView, as: UTF8.self)
        )
    }

    private static func patternBody(count: Int) -> ResponseBody {
        ResponseBody(contentLength: count) { writer in
            let chunkSize = 64 * 1024
            var offset = 0
            while offset < count {
                let length = min(chunkSize, count - offset)
                let start = offset
                let chunk = [UInt8](unsafeUninitializedCapacity: length) { bytes, initialized in
                    for index in 0..<length {
                        bytes[index] = Self.byte(at: start + index)
                    }
                    initialized = length
                }
                try await writer.write(ByteBuffer(bytes: chunk))
                offset += length
            }
            try await writer.finish(nil)
        }
    }
}

extension DiagnosticRoutes {
    final class State: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        private var connections: Set<String> = []
        private var requests = 0

        var counter: Int { self.lock.withLock { self.value } }
        var connectionCount: Int { self.lock.withLock { self.connections.count } }
        var requestCount: Int { self.lock.withLock { self.requests } }

        func incrementCounter() -> Int {
            self.lock.withLock {
                self.value += 1
                return self.value
            }
        }

        func record(connection: String?) {
            self.lock.withLock {
                self.requests += 1
                if let connection {
                    self.connections.insert(connection)
                }
            }
        }
    }

    /// Counts requests and distinct client connections.
    struct ConnectionTracking: RouterMiddleware {
        typealias Context = SimulatorRequestContext
        let state: State

        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            self.state.record(connection: context.remoteAddress)
            return try await next(request, context)
        }
    }
}
