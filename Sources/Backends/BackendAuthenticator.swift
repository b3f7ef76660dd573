import Foundation

/// Supplies the `Authorization` header of a backend's requests and renews it after a 401.
public protocol BackendAuthenticator: Sendable {
    /// The `Authorization` header value to send now (fetching or refreshing a token if needed), or
    /// `nil` for anonymous access.
    func authorization() async throws -> Secret?
    /// The platform refused `authorization` (401): forget it so the next call fetches a new one.
    /// Returns whether a retry may help (false for static credentials).
    func invalidate(_ authorization: Secret) async -> Bool
}

/// Credentials that never change: a static bearer token, HTTP basic, or none.
public struct StaticAuthenticator: BackendAuthenticator {
    private let header: Secret?

    /// `Authorization: <header>`; `nil` for none.
    public init(header: Secret?) {
        self.header = header
    }

    /// `Authorization: Bearer <token>`.
    public static func bearer(_ token: Secret) -> StaticAuthenticator {
        StaticAuthenticator(header: Secret("Bearer \(token.value)"))
    }

    /// `Authorization: Basic base64(user:password)`.
    public static func basic(username: String, password: Secret) -> StaticAuthenticator {
        let encoded = Data("\(username):\(password.value)".utf8).base64EncodedString()
        return StaticAuthenticator(header: Secret("Basic \(encoded)"))
    }

    public func authorization() async throws -> Secret? { self.header }
    public func invalidate(_ authorization: Secret) async -> Bool { false }
}
