import FleetConfig
import Foundation

extension OIDCDeviceLogin {
    /// The authenticator of an `oidc_device` backend: each access token comes from a refresh grant
    /// with the newest refresh token in the shared token file, and a rotated refresh token is
    /// written back before the lock is released (``RefreshTokenStore/refresh(issuer:clientID:_:)``).
    /// A refused refresh is tried once more with the file read again (another process may have
    /// rotated the token meanwhile), then fails saying to log in again. Nothing but the file holds
    /// the refresh token: never the configuration, the database, a message or a log.
    public static func authenticator(for backend: BackendConfiguration, tokenFile: String, transport: BackendTransport) -> TokenAuthenticator {
        let login = OIDCDeviceLogin(transport: transport)
        let store = RefreshTokenStore(path: tokenFile)
        let oidc = OIDCTokenClient(transport: transport.withoutAuthenticator())
        let targets = TargetCache()
        let name = backend.name
        let openEO = backend.kind == .openEO
        return TokenAuthenticator(prefix: "") { _ in
            let target = try await targets.target { try await login.target(for: backend) }
            let endpoint = try await oidc.tokenEndpoint(issuer: target.issuer)
            var token: TokenCache.Token
            do {
                token = try await store.refresh(issuer: target.issuer, clientID: target.clientID) { refresh in
                    try await oidc.requestToken(endpoint: endpoint, form: [
                        ("grant_type", Secret("refresh_token")), ("client_id", Secret(target.clientID)), ("refresh_token", refresh),
                    ])
                }
            } catch BackendError.authentication(let message) {
                throw BackendError.authentication(message: "\(message); the login in \(tokenFile) is no longer valid: run tilefleet login \(name)")
            }
            let prefix = openEO ? "Bearer oidc/\(target.providerID ?? "")/" : "Bearer "
            token.accessToken = Secret(prefix + token.accessToken.value)
            return token
        }
    }

    /// The login target, found once per process.
    actor TargetCache {
        private var found: Target?

        func target(_ find: @Sendable () async throws -> Target) async throws -> Target {
            if let found { return found }
            let target = try await find()
            found = target
            return target
        }
    }
}
