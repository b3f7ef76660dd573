import FleetModel
import Foundation
import Hummingbird

/// An error answer in the APEx Dispatch API's envelope:
/// `{"status": "error", "error_code", "message", "details", "request_id"}`, with the status code
/// its error code stands for. Messages say what and where (the field, the id) and never carry a
/// secret.
public struct APIError: Error, Sendable, HTTPResponseError, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var details: JSONValue

    public init(status: HTTPResponse.Status, code: String, message: String, details: JSONValue = .null) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
    }

    public var description: String { "\(code): \(message)" }

    public static func taskNotFound(_ id: String) -> APIError {
        APIError(status: .notFound, code: "TASK_NOT_FOUND", message: "no upscale task '\(id)' (or it is not yours)")
    }

    public static func jobNotFound(_ id: String) -> APIError {
        APIError(status: .notFound, code: "JOB_NOT_FOUND", message: "no unit job '\(id)' (or it is not yours)")
    }

    public static func tileNotFound(task: String, tile: String) -> APIError {
        APIError(status: .notFound, code: "TILE_NOT_FOUND", message: "task '\(task)' has no tile '\(tile)'")
    }

    public static let authenticationFailed = APIError(
        status: .unauthorized, code: "AUTHENTICATION_FAILED",
        message: "a valid bearer token is required (Authorization: Bearer <token>)")

    /// 422 naming the field; `problems` as `details` (`[{field, message}]`).
    public static func validation(_ field: String, _ message: String, problems: [(field: String, message: String)] = []) -> APIError {
        let list = problems.isEmpty ? [(field, message)] : problems
        return APIError(status: .unprocessableContent, code: "VALIDATION_ERROR", message: field.isEmpty ? message : "\(field): \(message)",
                        details: .array(list.map { .object(["field": .string($0.0), "message": .string($0.1)]) }))
    }

    public static let internalError = APIError(status: .internalServerError, code: "INTERNAL_ERROR",
                                               message: "internal error; the server's log has the details under this request_id")

    /// The envelope's JSON text for the request `requestID`.
    public func body(requestID: String) -> String {
        JSONValue.object([
            "status": .string("error"), "error_code": .string(code), "message": .string(message), "details": details,
            "request_id": .string(requestID),
        ]).canonicalJSON
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let requestID = request.headers[CorrelationMiddleware.header] ?? ""
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: body(requestID: requestID))))
    }
}
