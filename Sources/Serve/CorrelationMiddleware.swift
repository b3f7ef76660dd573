import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Gives every request a correlation id (the client's `X-Correlation-ID` when it sent a sane one,
/// else a new UUID), echoes it on the answer, and turns every error into the APEx envelope: an
/// ``APIError`` as it is, Hummingbird's own (unknown route, bad method) with their status, anything
/// else as `INTERNAL_ERROR`, logged with the id (the client sees only the id).
public struct CorrelationMiddleware: RouterMiddleware {
    public typealias Context = ServeContext
    public static let header = HTTPField.Name("X-Correlation-ID")!

    public init() {}

    public func handle(_ request: Request, context: ServeContext, next: (Request, ServeContext) async throws -> Response) async throws -> Response {
        var context = context
        context.requestID = Self.requestID(request.headers[Self.header])
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            let apiError = Self.apiError(error)
            if apiError.status == .internalServerError {
                context.logger.error("request failed", metadata: [
                    "request_id": "\(context.requestID)", "path": "\(request.uri.path)", "error": "\(error)",
                ])
            }
            response = Response(status: apiError.status, headers: [.contentType: "application/json"],
                                body: ResponseBody(byteBuffer: ByteBuffer(string: apiError.body(requestID: context.requestID))))
        }
        response.headers[Self.header] = context.requestID
        return response
    }

    /// The client's id when it is 1–128 printable ASCII characters without spaces, else a new UUID.
    static func requestID(_ given: String?) -> String {
        if let given, (1...128).contains(given.count), given.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0.asciiValue.map { $0 >= 0x21 && $0 < 0x7f } == true }) {
            return given
        }
        return UUID().uuidString.lowercased()
    }

    /// The envelope for `error`.
    static func apiError(_ error: any Error) -> APIError {
        if let error = error as? APIError { return error }
        if let error = error as? HTTPError {
            switch error.status {
            case .notFound: return APIError(status: .notFound, code: "NOT_FOUND", message: "no such route")
            case .methodNotAllowed: return APIError(status: .methodNotAllowed, code: "METHOD_NOT_ALLOWED", message: "method not allowed on this route")
            case .contentTooLarge: return APIError(status: .contentTooLarge, code: "VALIDATION_ERROR", message: "the request body is too large")
            default:
                if (400..<500).contains(error.status.code) {
                    return APIError(status: error.status, code: "BAD_REQUEST", message: error.body ?? error.status.reasonPhrase)
                }
            }
        }
        return .internalError
    }
}
