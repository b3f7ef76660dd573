import Foundation
import Hummingbird

/// Who sent a request: checks `Authorization` the way openEO (`Bearer basic//…`, `Bearer oidc/<p>/…`)
/// and OGC servers (`Bearer …`, `Basic …`) do.
enum SimulatorAuth {
    /// The user, or `nil` when the credentials are missing or invalid.
    static func user(of request: Request, store: SimulatorStore) -> String? {
        guard let header = request.headers[.authorization] else {
            return store.configuration.requireAuth ? nil : "anonymous"
        }
        if header.hasPrefix("Basic ") {
            return self.basicUser(header, store: store)
        }
        guard header.hasPrefix("Bearer ") else { return nil }
        var token = String(header.dropFirst("Bearer ".count))
        if token.hasPrefix("basic//") {
            token = String(token.dropFirst("basic//".count))
        } else if token.hasPrefix("oidc/"), let slash = token.dropFirst(5).firstIndex(of: "/") {
            token = String(token[token.index(after: slash)...])
        }
        return store.user(forToken: token)
    }

    /// The user of a valid `Authorization: Basic …`.
    static func basicUser(_ header: String, store: SimulatorStore) -> String? {
        guard header.hasPrefix("Basic "),
            let data = Data(base64Encoded: String(header.dropFirst(6))),
            let text = String(data: data, encoding: .utf8),
            let colon = text.firstIndex(of: ":")
        else { return nil }
        let user = String(text[..<colon])
        let password = String(text[text.index(after: colon)...])
        return store.configuration.users[user] == password ? user : nil
    }

    /// openEO's refusal, as openeo-driver answers it: no credentials → 401 `AuthenticationRequired`;
    /// credentials that are invalid or expired → 403 `TokenInvalid`.
    static func openEOUnauthorized(_ store: SimulatorStore, _ request: Request) -> Response {
        store.recordAuthFailure()
        guard request.headers[.authorization] != nil else {
            return SimulatorJSON.response(
                object: ["id": UUID().uuidString, "code": "AuthenticationRequired", "message": "Unauthorized."],
                status: .unauthorized,
                headers: [.wwwAuthenticate: "Bearer"]
            )
        }
        return SimulatorJSON.response(
            object: ["id": UUID().uuidString, "code": "TokenInvalid", "message": "Authorization token has expired or is invalid. Please authenticate again."],
            status: .forbidden
        )
    }

    /// 401 in RFC 7807 shape.
    static func problemUnauthorized(_ store: SimulatorStore) -> Response {
        store.recordAuthFailure()
        return SimulatorJSON.response(
            object: ["type": "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/unauthorized", "title": "Unauthorized", "status": 401, "detail": "Missing or invalid credentials."],
            status: .unauthorized,
            headers: [.contentType: "application/problem+json", .wwwAuthenticate: "Bearer"]
        )
    }
}
