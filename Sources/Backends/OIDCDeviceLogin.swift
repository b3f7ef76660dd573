import FleetConfig
import FleetModel
import Foundation
import HTTP
import Timing

/// `tilefleet login`: the OIDC device authorization grant (RFC 8628) with PKCE (RFC 7636, S256)
/// against a backend's provider, found as openEO's clients find it: the provider in
/// `GET /credentials/oidc` (or the configured `issuer`), the client in the provider's
/// `default_clients` offering the device grant (or the configured `client_id`), the endpoints in
/// the provider's discovery document. Asks for `offline_access`, so a refresh token comes back.
public struct OIDCDeviceLogin: Sendable {
    /// Where and as whom to log in.
    public struct Target: Sendable, Hashable {
        public var issuer: String
        /// The openEO provider id (the `oidc/<id>/` of the bearer token), if any.
        public var providerID: String?
        public var clientID: String
        public var scopes: [String]
    }

    /// A started login: what to show the person, and what the polls need.
    public struct Started: Sendable {
        public var authorization: DeviceAuthorization
        public var tokenEndpoint: String
        public var pkce: PKCE
    }

    static let deviceGrant = "urn:ietf:params:oauth:grant-type:device_code"

    let transport: BackendTransport
    let sleep: @Sendable (Duration) async throws -> Void

    /// `transport` is used without credentials.
    public init(transport: BackendTransport, sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }) {
        self.transport = transport.withoutAuthenticator()
        self.sleep = sleep
    }

    /// The provider and client of `backend`, whose auth must be `oidc_device`.
    public func target(for backend: BackendConfiguration) async throws -> Target {
        guard case .oidcDevice(let clientID, let providerID, let issuer, let scopes, _) = backend.authentication else {
            throw BackendError.configuration(message:
                "backend \(backend.name) does not log in with the device flow: give it auth: {method: oidc_device, refresh_token_file: …}")
        }
        var target = Target(issuer: issuer ?? "", providerID: providerID, clientID: clientID ?? "", scopes: scopes ?? [])
        if backend.kind == .openEO {
            let lookup = OpenEOAuthenticator.ProviderLookup(baseURL: backend.url, providerID: providerID, transport: transport)
            let provider: (id: String, issuer: String, scopes: [String])
            do {
                provider = try await lookup.resolve()
            } catch let error as BackendError {
                if case .configuration(let message) = error, message.contains("offered: none") {
                    throw BackendError.configuration(message: "backend \(backend.name) offers no OIDC provider (GET \(BackendTransport.join(backend.url, "credentials/oidc")) lists none)")
                }
                throw error
            }
            target.providerID = provider.id
            if issuer == nil { target.issuer = provider.issuer }
            if scopes == nil { target.scopes = provider.scopes }
            if clientID == nil {
                let clients = await lookup.entry?["default_clients"]?.arrayValue ?? []
                let device = clients.first { client in
                    client["grant_types"]?.arrayValue?.contains { $0.stringValue?.hasPrefix(Self.deviceGrant) == true } == true
                }
                guard let id = device?["id"]?.stringValue, !id.isEmpty else {
                    throw BackendError.configuration(message:
                        "the OIDC provider \(provider.id) of backend \(backend.name) names no default client for the device flow: set auth.client_id")
                }
                target.clientID = id
            }
        }
        guard !target.issuer.isEmpty else { throw BackendError.configuration(message: "backend \(backend.name): auth.issuer is required") }
        guard !target.clientID.isEmpty else { throw BackendError.configuration(message: "backend \(backend.name): auth.client_id is required") }
        for scope in ["openid", "offline_access"] where !target.scopes.contains(scope) { target.scopes.append(scope) }
        return target
    }

    /// Asks the provider for a device code.
    public func start(_ target: Target) async throws -> Started {
        let discovery = try await self.discovery(issuer: target.issuer)
        guard let deviceEndpoint = discovery["device_authorization_endpoint"]?.stringValue else {
            throw BackendError.configuration(message: "the OIDC provider \(target.issuer) offers no device authorization (its discovery document has no device_authorization_endpoint)")
        }
        guard let tokenEndpoint = discovery["token_endpoint"]?.stringValue else {
            throw BackendError.invalidResponse(message: "the discovery document of \(target.issuer) has no token_endpoint")
        }
        let pkce = PKCE.random()
        let response = try await self.post(deviceEndpoint, form: [
            ("client_id", Secret(target.clientID)), ("scope", Secret(target.scopes.joined(separator: " "))),
            ("code_challenge", Secret(pkce.challenge)), ("code_challenge_method", Secret(pkce.method)),
        ], accept: [])
        return Started(authorization: try DeviceAuthorization.parse(response.body, source: deviceEndpoint), tokenEndpoint: tokenEndpoint, pkce: pkce)
    }

    /// Polls the token endpoint as RFC 8628 says until the person approves, refuses, or the code
    /// expires; returns the tokens (with the refresh token), or throws
    /// ``BackendError/authentication(message:)`` saying why not.
    public func finish(_ started: Started, target: Target, now: @Sendable () -> Date = { Date() }) async throws -> TokenCache.Token {
        var poll = DeviceTokenPoll(authorization: started.authorization, started: now())
        var step = poll.start()
        while true {
            switch step {
            case .done(let token):
                guard token.refreshToken != nil else {
                    throw BackendError.authentication(message: "the provider \(target.issuer) gave no refresh token (is offline_access allowed for client \(target.clientID)?)")
                }
                return token
            case .failed(let reason):
                throw BackendError.authentication(message: reason)
            case .wait(let delay):
                try await self.sleep(delay)
                let response = try await self.post(started.tokenEndpoint, form: [
                    ("grant_type", Secret(Self.deviceGrant)), ("device_code", started.authorization.deviceCode),
                    ("client_id", Secret(target.clientID)), ("code_verifier", Secret(started.pkce.verifier)),
                ], accept: [400, 401, 403])
                step = poll.receive(try Self.answer(response, source: started.tokenEndpoint), now: now())
            }
        }
    }

    /// A poll's answer: tokens on 2xx, else the OAuth `error` and its description.
    static func answer(_ response: HTTPClient.Response, source: String) throws -> DeviceTokenPoll.Answer {
        if response.isSuccess {
            return .token(try OIDCTokenClient.parseToken(response.body, source: source))
        }
        let document = try? JSONDecoder().decode(JSONValue.self, from: response.body)
        guard let code = document?["error"]?.stringValue else {
            throw BackendError.invalidResponse(message: "the token endpoint \(source) answered \(response.status) without an OAuth error")
        }
        return .error(code: code, description: document?["error_description"]?.stringValue.map { String($0.prefix(300)) })
    }

    private func discovery(issuer: String) async throws -> JSONValue {
        let url = BackendTransport.join(issuer, ".well-known/openid-configuration")
        let response = try await self.transport.send(HTTPClient.Request(url, headers: ["Accept": "application/json"]), authorize: false)
        guard let document = try? JSONDecoder().decode(JSONValue.self, from: response.body) else {
            throw BackendError.invalidResponse(message: "the discovery document \(url) is not JSON")
        }
        return document
    }

    private func post(_ url: String, form: [(String, Secret)], accept: Set<Int>) async throws -> HTTPClient.Response {
        var request = HTTPClient.Request(url, method: .post, headers: ["Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"])
        request.body = Data(OIDCTokenClient.formEncode(form).utf8)
        return try await self.transport.send(request, authorize: false, accept: accept)
    }
}
