import FleetModel
import Foundation
import Hummingbird

extension Response {
    /// A JSON answer.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, contentType: String = "application/json") -> Response {
        Response(status: status, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: ByteBuffer(string: value.canonicalJSON)))
    }
}

extension Request {
    /// The body, at most `limit` bytes (413 beyond).
    func data(limit: Int = 16 * 1024 * 1024) async throws -> Data {
        var buffer = try await body.collect(upTo: limit)
        return Data(buffer.readBytes(length: buffer.readableBytes) ?? [])
    }

    /// The body as a JSON object; ``APIError`` 422 when it is not one.
    func jsonObject() async throws -> [String: JSONValue] {
        let data = try await data()
        guard case .object(let members)? = try? JSONDecoder().decode(JSONValue.self, from: data) else {
            throw APIError.validation("", "the body must be a JSON object")
        }
        return members
    }

    /// An integer query parameter within `range` (nil when absent); ``APIError`` 422 naming it otherwise.
    func queryInt(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = uri.queryParameters.get(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw APIError.validation(name, "'\(text)' is not a whole number within \(range.lowerBound)…\(range.upperBound)")
        }
        return value
    }
}
