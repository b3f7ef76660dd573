import Foundation

/// The token state of one backend: which access token to send, and when to fetch a new one. Pure
/// value logic; ``TokenAuthenticator`` does the fetching.
public struct TokenCache: Sendable {
    /// An access token with what is known about its lifetime.
    public struct Token: Sendable {
        /// The access token.
        public var accessToken: Secret
        /// When it expires; `nil` when the platform did not say.
        public var expiresAt: Date?
        /// A refresh token to get the next one without the primary credentials.
        public var refreshToken: Secret?
        /// How long it was valid when issued (`expires_in`), when the platform said.
        public var lifetime: TimeInterval?

        public init(accessToken: Secret, expiresAt: Date? = nil, refreshToken: Secret? = nil) {
            self.accessToken = accessToken
            self.expiresAt = expiresAt
            self.refreshToken = refreshToken
        }

        /// A token answered with `expires_in` seconds at `now`.
        public init(accessToken: Secret, expiresIn: Double?, refreshToken: Secret? = nil, now: Date = Date()) {
            self.init(accessToken: accessToken, expiresAt: expiresIn.map { now.addingTimeInterval($0) }, refreshToken: refreshToken)
            self.lifetime = expiresIn
        }
    }

    /// What to do before a request.
    public enum Action: Sendable {
        /// Send this token.
        case use(Secret)
        /// Fetch a new token, with this refresh token if there is one.
        case fetch(refreshToken: Secret?)
    }

    /// Tokens are renewed this long before they expire, so none expires in flight; a short-lived
    /// token (a 60 s one) is renewed when a quarter of its lifetime is left, not at every request.
    public var refreshMargin: TimeInterval
    /// The current token.
    public private(set) var token: Token?

    public init(refreshMargin: TimeInterval = 60) {
        self.refreshMargin = refreshMargin
    }

    /// Whether to use the cached token or fetch one at `now`.
    public func action(now: Date = Date()) -> Action {
        guard let token else { return .fetch(refreshToken: nil) }
        let margin = min(self.refreshMargin, (token.lifetime ?? .infinity) / 4)
        if let expiresAt = token.expiresAt, expiresAt.timeIntervalSince(now) <= margin {
            return .fetch(refreshToken: token.refreshToken)
        }
        return .use(token.accessToken)
    }

    /// Stores a freshly fetched token (keeping the old refresh token when the platform sent none).
    public mutating func store(_ new: Token) {
        var new = new
        if new.refreshToken == nil {
            new.refreshToken = self.token?.refreshToken
        }
        self.token = new
    }

    /// Forgets the token after the platform refused `rejected` (a 401); a newer token, fetched
    /// meanwhile by a concurrent request, is kept. The refresh token stays for the next fetch.
    public mutating func invalidate(rejected: Secret) {
        guard let token, token.accessToken == rejected else { return }
        self.token = Token(accessToken: Secret(""), expiresAt: .distantPast, refreshToken: token.refreshToken)
    }
}
