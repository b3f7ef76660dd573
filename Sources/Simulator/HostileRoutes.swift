import Foundation
import Hummingbird

/// A hostile backend for the trust-boundary tests of result downloads: an openEO results document
/// whose assets try to escape the download directory or smuggle other schemes, and download routes
/// that misbehave. Every request's path and whether it carried `Authorization` is recorded.
///
/// | route | answer |
/// |---|---|
/// | `GET /openeo/jobs/:id/results` | a STAC Item whose assets are ``assetHrefs(origin:away:)`` |
/// | `GET /files/**` | 200 with the raw request path as body; 401 without ``authorization`` |
/// | `GET /huge` | `Content-Length` of 1 TiB, then a few bytes |
/// | `GET /endless` | a chunked body that never ends (until the client goes) |
/// | `GET /redirect?to=URL` | 302 to `URL` |
/// | `GET /capture` | 200 `captured` (for the server on another origin) |
public final class HostileRoutes: Sendable {
    /// One request as the hostile server saw it.
    public struct Seen: Sendable, Equatable {
        public var path: String
        public var authorization: String?
    }

    /// The `Authorization` value `/files` demands (an openEO backend's asset links need its login).
    public let authorization: String?
    private let state = State()

    public init(authorization: String?) {
        self.authorization = authorization
    }

    /// Every request so far, in order.
    public var seen: [Seen] { self.state.all }

    /// The assets of the hostile results document: name → href. `away` is a URL on another origin,
    /// linked directly and through a redirect; another redirect stays on the origin.
    public static func assetHrefs(origin: String, away: String) -> [String: String] {
        [
            "traversal": "\(origin)/files/..%2F..%2Fescaped-traversal.txt",
            "absolute": "\(origin)/files/%2Ftmp%2Ftilefleet-escaped-absolute.txt",
            "backslash": "\(origin)/files/..%5C..%5Cescaped-backslash.txt",
            "dotdot": "\(origin)/files/a/%2E%2E",
            "control": "\(origin)/files/bell%07%1B%5B2Jname.txt",
            "twin-1": "\(origin)/files/one/result.tif",
            "twin-2": "\(origin)/files/two/result.tif",
            "file": "file:///etc/passwd",
            "script": "javascript:alert(1)",
            "inline": "data:text/plain;base64,\(Data("inline result".utf8).base64EncodedString())",
            "huge": "\(origin)/huge",
            "endless": "\(origin)/endless",
            "away": "\(origin)/redirect?to=\(away.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? away)",
            "home": "\(origin)/redirect?to=%2Ffiles%2Fhome.txt",
            "foreign": away,
        ]
    }

    /// Adds the routes to `router`; `away` is the other origin's capture URL.
    public func register(on router: SimulatorServer.Router, away: String) {
        let state = self.state
        let required = self.authorization
        router.add(middleware: Recording(state: state))
        router.get("openeo/jobs/:id/results") { request, context in
            let id = context.parameters.get("id") ?? "job"
            let assets = Self.assetHrefs(origin: SimulatorJSON.origin(request), away: away).mapValues { ["href": $0, "roles": ["data"]] }
            return SimulatorJSON.response(object: [
                "stac_version": "1.0.0", "type": "Feature", "id": id, "geometry": NSNull(), "properties": ["datetime": NSNull()],
                "assets": assets, "links": [],
            ])
        }
        router.get("files/**") { request, _ in
            guard required == nil || request.headers[.authorization] == required else {
                return Response(status: .unauthorized, body: .init(byteBuffer: ByteBuffer(string: #"{"code":"AuthenticationRequired","message":"log in first"}"#)))
            }
            return Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: request.uri.path)))
        }
        router.get("huge") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/octet-stream"], body: ResponseBody(contentLength: 1 << 40) { writer in
                try await writer.write(ByteBuffer(string: "not a terabyte"))
                try await writer.finish(nil)
            })
        }
        router.get("endless") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/octet-stream"], body: ResponseBody { writer in
                let chunk = ByteBuffer(repeating: UInt8(ascii: "x"), count: 64 * 1024)
                for _ in 0..<(1 << 16) {   // 4 GiB at most, should a client never stop
                    try await writer.write(chunk)
                }
                try await writer.finish(nil)
            })
        }
        router.get("redirect") { request, _ in
            Response(status: .found, headers: [.location: request.uri.queryParameters.get("to") ?? "/"])
        }
        router.get("capture") { _, _ in "captured" }
    }
}

extension HostileRoutes {
    final class State: @unchecked Sendable {
        private let lock = NSLock()
        private var requests: [Seen] = []

        var all: [Seen] { self.lock.withLock { self.requests } }

        func record(_ seen: Seen) {
            self.lock.withLock { self.requests.append(seen) }
        }
    }

    /// Records every request's path and `Authorization` header.
    struct Recording: RouterMiddleware {
        typealias Context = SimulatorRequestContext
        let state: State

        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            self.state.record(Seen(path: request.uri.path, authorization: request.headers[.authorization]))
            return try await next(request, context)
        }
    }
}
