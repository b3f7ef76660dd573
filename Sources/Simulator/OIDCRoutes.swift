import FleetModel
import Foundation
import Hummingbird

/// A minimal OpenID Connect provider: discovery, the `client_credentials` and `refresh_token`
/// grants at `/oidc/token` (refresh tokens rotated when `rotate_refresh_tokens` is on), and the
/// device authorization grant (RFC 8628) for the `device_clients`, PKCE S256 required:
/// `POST /oidc/device_authorization` starts it, the person approves or refuses the user code at
/// `/oidc/verify` (`POST` a form `user_code`, `action=approve|deny`, `user`; tests do this), and
/// the token endpoint answers `authorization_pending`, `slow_down` (polled faster than the
/// interval), `expired_token`, `access_denied` or the tokens.
struct OIDCRoutes: Sendable {
    let store: SimulatorStore

    func register(on router: RouterGroup<SimulatorRequestContext>) {
        let store = self.store
        router.get(".well-known/openid-configuration") { request, _ in
            let issuer = SimulatorJSON.origin(request) + "/oidc"
            return SimulatorJSON.response(object: [
                "issuer": issuer, "token_endpoint": issuer + "/token",
                "device_authorization_endpoint": issuer + "/device_authorization",
                "grant_types_supported": ["client_credentials", "refresh_token", Self.deviceGrant],
                "code_challenge_methods_supported": ["S256"],
            ])
        }
        router.post("device_authorization") { request, _ in
            let form = Self.parseForm(String(buffer: try await request.body.collect(upTo: 1 << 16)))
            guard let client = form["client_id"], store.configuration.deviceClients.contains(client) else {
                return Self.oauthError("invalid_client", "Client not allowed the device grant.", status: .unauthorized)
            }
            guard form["code_challenge_method"] == "S256", let challenge = form["code_challenge"], !challenge.isEmpty else {
                return Self.oauthError("invalid_request", "PKCE (S256) is required.", status: .badRequest)
            }
            let codes = store.startDeviceGrant(clientID: client, challenge: challenge)
            let verify = SimulatorJSON.origin(request) + "/oidc/verify"
            return SimulatorJSON.response(object: [
                "device_code": codes.device, "user_code": codes.user, "verification_uri": verify,
                "verification_uri_complete": verify + "?user_code=" + codes.user, "expires_in": 600, "interval": 1,
            ])
        }
        router.get("verify") { request, _ in
            let code = request.uri.queryParameters.get("user_code") ?? ""
            let html = "<html><body><form method=\"post\"><input name=\"user_code\" value=\"\(code.filter { $0.isLetter || $0 == "-" })\">"
                + "<button name=\"action\" value=\"approve\">Approve</button><button name=\"action\" value=\"deny\">Deny</button></form></body></html>"
            return Response(status: .ok, headers: [.contentType: "text/html"], body: .init(byteBuffer: ByteBuffer(string: html)))
        }
        router.post("verify") { request, _ in
            let form = Self.parseForm(String(buffer: try await request.body.collect(upTo: 1 << 16)))
            let decided = store.decideDeviceGrant(userCode: form["user_code"] ?? "", approve: form["action"] != "deny", user: form["user"] ?? "tilefleet")
            return Response(status: decided ? .ok : .notFound)
        }
        router.post("token") { request, _ in
            let buffer = try await request.body.collect(upTo: 1 << 16)
            let form = Self.parseForm(String(buffer: buffer))
            let user: String?
            switch form["grant_type"] {
            case "client_credentials":
                let id = form["client_id"] ?? ""
                user = store.configuration.oidcClients[id] == form["client_secret"] && !id.isEmpty ? "client:\(id)" : nil
            case "refresh_token":
                guard let refreshed = form["refresh_token"].flatMap({ store.refresh($0) }) else {
                    store.recordAuthFailure()
                    return Self.oauthError("invalid_grant", "Invalid or revoked refresh token.", status: .badRequest)
                }
                return SimulatorJSON.response(object: [
                    "access_token": refreshed.access, "refresh_token": refreshed.refresh, "token_type": "Bearer",
                    "expires_in": Int(store.configuration.tokenLifetime),
                ])
            case Self.deviceGrant:
                let verifier = form["code_verifier"].map(SHA256Digest.pkceChallenge)
                switch store.pollDeviceGrant(form["device_code"] ?? "", clientID: form["client_id"] ?? "", verifierChallenge: verifier) {
                case .failure(let error):
                    return Self.oauthError(error.rawValue, "Device authorization: \(error.rawValue).", status: .badRequest)
                case .success(let approved):
                    user = approved
                }
            default:
                return SimulatorJSON.response(object: ["error": "unsupported_grant_type", "error_description": "Grant type not supported."], status: .badRequest)
            }
            guard let user else {
                store.recordAuthFailure()
                return SimulatorJSON.response(object: ["error": "invalid_client", "error_description": "Invalid client or grant."], status: .unauthorized)
            }
            let token = store.issueToken(for: user)
            return SimulatorJSON.response(object: [
                "access_token": token.access, "refresh_token": token.refresh, "token_type": "Bearer",
                "expires_in": Int(store.configuration.tokenLifetime),
            ])
        }
    }

    static let deviceGrant = "urn:ietf:params:oauth:grant-type:device_code"

    static func oauthError(_ code: String, _ description: String, status: HTTPResponse.Status) -> Response {
        SimulatorJSON.response(object: ["error": code, "error_description": description], status: status)
    }

    static func parseForm(_ text: String) -> [String: String] {
        var form: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            if parts.count == 2 { form[parts[0]] = parts[1] }
        }
        return form
    }
}
