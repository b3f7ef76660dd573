import FleetModel
import Foundation
import HTTP

/// The OpenID Connect calls tilefleet makes: discovery of a provider's token endpoint and the
/// `client_credentials` / `refresh_token` grants (RFC 6749 §4.4, §6). No browser flows: workers are
/// unattended.
struct OIDCTokenClient: Sendable {
    /// A transport without an authenticator.
    let transport: BackendTransport

    /// The provider's `token_endpoint` from `<issuer>/.well-known/openid-configuration`.
    func tokenEndpoint(issuer: String) async throws -> String {
        let url = BackendTransport.join(issuer, ".well-known/openid-configuration")
        let response = try await self.transport.send(HTTPClient.Request(url, headers: ["Accept": "application/json"]), authorize: false)
        let document = try JSONDecoder().decode(JSONValue.self, from: response.body)
        guard let endpoint = document["token_endpoint"]?.stringValue else {
            throw BackendError.invalidResponse(message: "the discovery document of \(issuer) has no token_endpoint")
        }
        return endpoint
    }

    /// Runs one grant against `endpoint`; errors are ``BackendError/authentication(message:)`` with the
    /// provider's `error_description`.
    func requestToken(endpoint: String, form: [(String, Secret)]) async throws -> TokenCache.Token {
        var request = HTTPClient.Request(endpoint, method: .post, headers: [
            "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
        ])
        request.body = Data(Self.formEncode(form).utf8)
        let response: HTTPClient.Response
        do {
            response = try await self.transport.send(request, authorize: false)
        } catch let error as BackendError {
            switch error {
            case .rejected(_, let message), .authentication(let message), .notFound(let message):
                throw BackendError.authentication(message: "token request to \(endpoint) refused: \(message)")
            default:
                throw error
            }
        }
        return try Self.parseToken(response.body, source: endpoint)
    }

    /// `{access_token, expires_in?, refresh_token?}` → a token.
    static func parseToken(_ body: Data, source: String, now: Date = Date()) throws -> TokenCache.Token {
        guard let document = try? JSONDecoder().decode(JSONValue.self, from: body) else {
            // Never echoed: a token response may carry secrets. Said is what it looks like.
            let what = PlatformMessage.htmlSummary(body) ?? "\(body.count) bytes that are not JSON"
            throw BackendError.invalidResponse(message: "the token response of \(source) is not JSON (\(what)): is the backend's url its API root?")
        }
        guard let access = document["access_token"]?.stringValue, !access.isEmpty else {
            let keys = document.jsonObject.map { $0.keys.sorted().joined(separator: ", ") } ?? "not an object"
            throw BackendError.invalidResponse(message: "the token response of \(source) has no access_token (members: \(keys.isEmpty ? "none" : keys))")
        }
        return TokenCache.Token(
            accessToken: Secret(access),
            expiresIn: document["expires_in"]?.numberValue ?? document["expires_in"]?.stringValue.flatMap(Double.init),
            refreshToken: document["refresh_token"]?.stringValue.map(Secret.init),
            now: now
        )
    }

    /// `application/x-www-form-urlencoded` of the pairs.
    static func formEncode(_ pairs: [(String, Secret)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return pairs.map { name, value in
            "\(name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name)=\(value.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
        }.joined(separator: "&")
    }
}
