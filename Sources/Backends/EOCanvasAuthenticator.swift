import Foundation
import HTTP

/// The WEkEO HDA broker's tokens for EOCanvas: `POST …/hda-broker/gettoken` with user name and
/// password, `POST …/hda-broker/refreshtoken` with the refresh token; sent as `Bearer <token>`.
public enum EOCanvasAuthenticator {
    /// The token URL next to a `…/serverless` API root: `…/hda-broker/gettoken`.
    public static func defaultTokenURL(for baseURL: String) -> String {
        var root = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        if root.hasSuffix("/serverless") {
            root = String(root.dropLast("/serverless".count))
        }
        return root + "/hda-broker/gettoken"
    }

    /// The refresh URL beside `tokenURL`.
    public static func refreshURL(for tokenURL: String) -> String {
        tokenURL.hasSuffix("/gettoken") ? String(tokenURL.dropLast("gettoken".count)) + "refreshtoken" : tokenURL
    }

    public static func make(tokenURL: String, username: String, password: Secret, transport: BackendTransport) -> TokenAuthenticator {
        let plain = transport.withoutAuthenticator()
        return TokenAuthenticator(prefix: "Bearer ") { refreshToken in
            let request: HTTPClient.Request
            if let refreshToken {
                request = try HTTPClient.Request(self.refreshURL(for: tokenURL), method: .post, json: ["refresh_token": refreshToken.value])
            } else {
                request = try HTTPClient.Request(tokenURL, method: .post, json: ["username": username, "password": password.value])
            }
            let response: HTTPClient.Response
            do {
                response = try await plain.send(request, authorize: false)
            } catch BackendError.rejected(let status, let message) where (400..<500).contains(status) {
                throw BackendError.authentication(message: "the HDA broker refused the credentials of \(username): \(message)")
            } catch BackendError.authentication(let message) {
                throw BackendError.authentication(message: "the HDA broker refused the credentials of \(username): \(message)")
            }
            return try OIDCTokenClient.parseToken(response.body, source: tokenURL)
        }
    }
}
