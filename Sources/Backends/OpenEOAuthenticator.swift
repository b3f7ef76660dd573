import FleetModel
import Foundation
import HTTP

/// Builds the authenticator of an openEO backend for each way openEO authenticates:
///
/// - HTTP basic: `GET /credentials/basic` → `Authorization: Bearer basic//<token>`;
/// - OIDC client credentials or refresh token: provider from `GET /credentials/oidc`, token endpoint
///   from its discovery document → `Authorization: Bearer oidc/<provider>/<token>`;
/// - a static bearer token, sent as given after `Bearer `.
///
/// Tokens are cached, renewed before they expire, and once after a 401.
public enum OpenEOAuthenticator {
    /// `GET /credentials/basic` with the user's password.
    public static func basic(baseURL: String, username: String, password: Secret, transport: BackendTransport) -> TokenAuthenticator {
        let plain = transport.withoutAuthenticator()
        return TokenAuthenticator(prefix: "Bearer basic//") { _ in
            var request = HTTPClient.Request(BackendTransport.join(baseURL, "credentials/basic"), headers: ["Accept": "application/json"])
            request.setBasicAuthorization(username: username, password: password.value)
            let response: HTTPClient.Response
            do {
                response = try await plain.send(request, authorize: false)
            } catch BackendError.rejected(let status, let message) where status == 401 || status == 403 {
                throw BackendError.authentication(message: "basic credentials of \(username) refused: \(message)")
            }
            return try OIDCTokenClient.parseToken(response.body, source: "GET /credentials/basic")
        }
    }

    /// An OIDC grant: client credentials, or a refresh token when `refreshToken` is given.
    public static func oidc(
        baseURL: String,
        providerID: String?,
        clientID: String,
        clientSecret: Secret?,
        refreshToken: Secret?,
        scopes: [String]?,
        transport: BackendTransport
    ) -> TokenAuthenticator {
        let plain = transport.withoutAuthenticator()
        let provider = ProviderLookup(baseURL: baseURL, providerID: providerID, transport: plain)
        let oidc = OIDCTokenClient(transport: plain)
        let prefix = "Bearer oidc/\(providerID ?? "")/"
        return TokenAuthenticator(prefix: providerID == nil ? "" : prefix) { rotatedRefreshToken in
            let (id, issuer, defaultScopes) = try await provider.resolve()
            let endpoint = try await oidc.tokenEndpoint(issuer: issuer)
            var form: [(String, Secret)] = [("client_id", Secret(clientID))]
            if let clientSecret { form.append(("client_secret", clientSecret)) }
            if let refresh = rotatedRefreshToken ?? refreshToken {
                form.insert(("grant_type", Secret("refresh_token")), at: 0)
                form.append(("refresh_token", refresh))
            } else {
                form.insert(("grant_type", Secret("client_credentials")), at: 0)
                form.append(("scope", Secret((scopes ?? defaultScopes).joined(separator: " "))))
            }
            var token = try await oidc.requestToken(endpoint: endpoint, form: form)
            if providerID == nil {
                // The prefix names the provider, known only now: carry it in the token.
                token.accessToken = Secret("Bearer oidc/\(id)/\(token.accessToken.value)")
            }
            return token
        }
    }

    /// Finds the OIDC provider in `GET /credentials/oidc` once.
    actor ProviderLookup {
        let baseURL: String
        let providerID: String?
        let transport: BackendTransport
        private var found: (String, String, [String])?
        /// The chosen provider's entry of `GET /credentials/oidc` (with its `default_clients`).
        private(set) var entry: JSONValue?

        init(baseURL: String, providerID: String?, transport: BackendTransport) {
            self.baseURL = baseURL
            self.providerID = providerID
            self.transport = transport
        }

        func resolve() async throws -> (id: String, issuer: String, scopes: [String]) {
            if let found { return found }
            let response = try await self.transport.send(
                HTTPClient.Request(BackendTransport.join(self.baseURL, "credentials/oidc"), headers: ["Accept": "application/json"]),
                authorize: false
            )
            let document = try JSONDecoder().decode(JSONValue.self, from: response.body)
            let providers = document["providers"]?.arrayValue ?? []
            let chosen = providers.first { self.providerID == nil || $0["id"]?.stringValue == self.providerID }
            guard let chosen, let id = chosen["id"]?.stringValue, let issuer = chosen["issuer"]?.stringValue else {
                let known = providers.compactMap { $0["id"]?.stringValue }.joined(separator: ", ")
                throw BackendError.configuration(
                    message: "OIDC provider \(self.providerID ?? "(first)") not offered by \(self.baseURL) (offered: \(known.isEmpty ? "none" : known))"
                )
            }
            let scopes = chosen["scopes"]?.arrayValue?.compactMap(\.stringValue) ?? ["openid"]
            self.found = (id, issuer, scopes)
            self.entry = chosen
            return (id, issuer, scopes)
        }
    }
}

extension BackendTransport {
    /// The same transport without credentials: for token requests.
    public func withoutAuthenticator() -> BackendTransport {
        BackendTransport(client: self.client, policy: self.policy, authenticator: nil, logger: self.logger, requestTimeout: self.requestTimeout, sleep: self.sleep)
    }

    /// The same transport with `authenticator`.
    public func with(authenticator: (any BackendAuthenticator)?) -> BackendTransport {
        BackendTransport(client: self.client, policy: self.policy, authenticator: authenticator, logger: self.logger, requestTimeout: self.requestTimeout, sleep: self.sleep)
    }
}
