import Hummingbird

/// Lets a request through only with `Authorization: Bearer <token>` of a configured user, whom it
/// puts in the context; else `401 AUTHENTICATION_FAILED`.
public struct BearerAuthMiddleware: RouterMiddleware {
    public typealias Context = ServeContext
    let tokens: BearerTokens

    public init(tokens: BearerTokens) {
        self.tokens = tokens
    }

    public func handle(_ request: Request, context: ServeContext, next: (Request, ServeContext) async throws -> Response) async throws -> Response {
        guard let user = tokens.user(authorization: request.headers[.authorization]) else { throw APIError.authenticationFailed }
        var context = context
        context.user = user
        return try await next(request, context)
    }
}
