import Hummingbird

/// The request context of `serve`: the request's correlation id (echoed as `X-Correlation-ID` and
/// named in every error) and, on authenticated routes, the user the bearer token belongs to.
public struct ServeContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The client's `X-Correlation-ID`, or a new UUID.
    public var requestID: String = ""
    /// The authenticated user (set by ``BearerAuthMiddleware``).
    public var user: String?

    public init(source: Source) {
        coreContext = .init(source: source)
    }

    /// The authenticated user; a route behind ``BearerAuthMiddleware`` always has one.
    public func requireUser() throws -> String {
        guard let user else { throw APIError.authenticationFailed }
        return user
    }
}
