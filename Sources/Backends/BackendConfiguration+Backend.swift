import FleetConfig
import Foundation
import HTTP
import Logging

extension BackendConfiguration {
    /// The adapter for this backend, with its secrets resolved from `environment` or files and its
    /// authenticator ready. Errors name the variable or file, never a value.
    public func makeBackend(
        client: HTTPClient,
        logger: Logger = Logger(label: "tilefleet.backend"),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> any Backend {
        var logger = logger
        logger[metadataKey: "backend"] = "\(self.name)"
        let plain = BackendTransport(client: client, policy: self.retry, logger: logger, requestTimeout: self.requestTimeout)
        let authenticator = try self.makeAuthenticator(transport: plain, environment: environment)
        let transport = plain.with(authenticator: authenticator)
        switch self.kind {
        case .openEO: return OpenEOBackend(name: self.name, baseURL: self.url, transport: transport)
        case .ogc: return OGCProcessesBackend(name: self.name, baseURL: self.url, transport: transport)
        case .eocanvas: return EOCanvasBackend(name: self.name, baseURL: self.url, transport: transport)
        case .command:
            guard let settings = self.command else {
                throw BackendError.configuration(message: "backend \(self.name): a command backend needs its command settings (command.work_dir)")
            }
            return CommandBackend(name: self.name, settings: settings)
        }
    }

    /// The downloader of this backend's result assets, with its credentials (sent only to its own
    /// origin; see ``AssetDownloader``).
    public func makeAssetDownloader(
        client: HTTPClient,
        logger: Logger = Logger(label: "tilefleet.backend"),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> AssetDownloader {
        let plain = BackendTransport(client: client, policy: self.retry, logger: logger, requestTimeout: self.requestTimeout)
        return AssetDownloader(client: client, backendURL: self.url, authenticator: try self.makeAuthenticator(transport: plain, environment: environment))
    }

    func makeAuthenticator(transport: BackendTransport, environment: [String: String]) throws -> (any BackendAuthenticator)? {
        switch self.authentication {
        case .none:
            return nil
        case .basic(let username, let password):
            let secret = try password.resolve(environment: environment)
            if self.kind == .openEO {
                return OpenEOAuthenticator.basic(baseURL: self.url, username: username, password: secret, transport: transport)
            }
            return StaticAuthenticator.basic(username: username, password: secret)
        case .bearer(let token):
            return StaticAuthenticator.bearer(try token.resolve(environment: environment))
        case .oidcClientCredentials(let clientID, let clientSecret, let provider, let issuer, let scopes):
            let secret = try clientSecret.resolve(environment: environment)
            if self.kind == .openEO {
                return OpenEOAuthenticator.oidc(
                    baseURL: self.url, providerID: provider, clientID: clientID, clientSecret: secret, refreshToken: nil, scopes: scopes, transport: transport
                )
            }
            return Self.plainOIDC(issuer: issuer!, clientID: clientID, clientSecret: secret, refreshToken: nil, scopes: scopes, transport: transport)
        case .oidcRefreshToken(let clientID, let clientSecret, let refreshToken, let provider, let issuer):
            let secret = try clientSecret?.resolve(environment: environment)
            let refresh = try refreshToken.resolve(environment: environment)
            if self.kind == .openEO {
                return OpenEOAuthenticator.oidc(
                    baseURL: self.url, providerID: provider, clientID: clientID, clientSecret: secret, refreshToken: refresh, scopes: nil, transport: transport
                )
            }
            return Self.plainOIDC(issuer: issuer!, clientID: clientID, clientSecret: secret, refreshToken: refresh, scopes: nil, transport: transport)
        case .oidcDevice(_, _, _, _, let refreshTokenFile):
            return OIDCDeviceLogin.authenticator(for: self, tokenFile: refreshTokenFile, transport: transport)
        case .eocanvas(let username, let password, let tokenURL):
            return EOCanvasAuthenticator.make(
                tokenURL: tokenURL ?? EOCanvasAuthenticator.defaultTokenURL(for: self.url),
                username: username,
                password: try password.resolve(environment: environment),
                transport: transport
            )
        }
    }

    /// OIDC for OGC servers: `Bearer <token>` from the issuer's token endpoint.
    static func plainOIDC(issuer: String, clientID: String, clientSecret: Secret?, refreshToken: Secret?, scopes: [String]?, transport: BackendTransport) -> TokenAuthenticator {
        let oidc = OIDCTokenClient(transport: transport.withoutAuthenticator())
        return TokenAuthenticator(prefix: "Bearer ") { rotated in
            let endpoint = try await oidc.tokenEndpoint(issuer: issuer)
            var form: [(String, Secret)] = [("client_id", Secret(clientID))]
            if let clientSecret { form.append(("client_secret", clientSecret)) }
            if let refresh = rotated ?? refreshToken {
                form.insert(("grant_type", Secret("refresh_token")), at: 0)
                form.append(("refresh_token", refresh))
            } else {
                form.insert(("grant_type", Secret("client_credentials")), at: 0)
                form.append(("scope", Secret((scopes ?? ["openid"]).joined(separator: " "))))
            }
            return try await oidc.requestToken(endpoint: endpoint, form: form)
        }
    }
}
