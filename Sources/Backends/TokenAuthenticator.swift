import Foundation

/// Fetches, caches and renews an access token, one fetch at a time however many requests wait.
///
/// `fetch` gets the refresh token of the previous token (if any) and returns a new token; the header
/// sent is `prefix + token` (openEO: `Bearer basic//`, `Bearer oidc/<provider>/`; others `Bearer `).
public actor TokenAuthenticator: BackendAuthenticator {
    /// Fetches a new token, using the refresh token when one is given.
    public typealias Fetch = @Sendable (_ refreshToken: Secret?) async throws -> TokenCache.Token

    private let prefix: String
    private let fetch: Fetch
    private let now: @Sendable () -> Date
    private var cache: TokenCache
    private var pending: Task<TokenCache.Token, any Error>?

    public init(prefix: String, refreshMargin: TimeInterval = 60, now: @escaping @Sendable () -> Date = { Date() }, fetch: @escaping Fetch) {
        self.prefix = prefix
        self.fetch = fetch
        self.now = now
        self.cache = TokenCache(refreshMargin: refreshMargin)
    }

    public func authorization() async throws -> Secret? {
        let token: Secret
        switch self.cache.action(now: self.now()) {
        case .use(let cached):
            token = cached
        case .fetch(let refreshToken):
            token = try await self.fetchOnce(refreshToken: refreshToken).accessToken
        }
        return Secret(self.prefix + token.value)
    }

    public func invalidate(_ authorization: Secret) async -> Bool {
        guard authorization.value.hasPrefix(self.prefix) else { return true }
        self.cache.invalidate(rejected: Secret(String(authorization.value.dropFirst(self.prefix.count))))
        return true
    }

    private func fetchOnce(refreshToken: Secret?) async throws -> TokenCache.Token {
        if let pending {
            return try await pending.value
        }
        let fetch = self.fetch
        let task = Task { () async throws -> TokenCache.Token in
            if let refreshToken {
                // A refresh token can expire or be revoked: fall back to the primary grant.
                if let token = try? await fetch(refreshToken) {
                    return token
                }
            }
            return try await fetch(nil)
        }
        self.pending = task
        defer { self.pending = nil }
        let token = try await task.value
        self.cache.store(token)
        return token
    }
}
