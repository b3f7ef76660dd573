import Foundation
import Hummingbird

/// A minimal OpenID Connect provider: discovery, and the `client_credentials` and `refresh_token`
/// grants at `/oidc/token`.
struct OIDCRoutes: Sendable {
    let store: SimulatorStore

    func register(on router: RouterGroup<SimulatorRequestContext>) {
        let store = self.store
        router.get(".well-known/openid-configuration") { request, _ in
            let issuer = SimulatorJSON.origin(request) + "/oidc"
            return SimulatorJSON.response(object: [
                "issuer": issuer, "token_endpoint": issuer + "/token",
                "grant_types_supported": ["client_credentials", "refresh_token"],
            ])
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
                user = form["refresh_token"].flatMap(store.user(forRefreshToken:))
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
