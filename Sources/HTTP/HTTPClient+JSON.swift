import Foundation

extension HTTPClient.Request {
    /// Creates a request whose body is `value` encoded as JSON, with `Content-Type` and `Accept` set to
    /// `application/json`.
    public init(
        _ url: String,
        method: HTTPClient.Method = .post,
        headers: HTTPClient.Headers = [:],
        json value: some Encodable,
        encoder: JSONEncoder = JSONEncoder()
    ) throws {
        self.init(url, method: method, headers: headers)
        try self.setJSONBody(value, encoder: encoder)
    }

    /// Sets the body to `value` encoded as JSON and the JSON `Content-Type` (and `Accept`, unless set).
    public mutating func setJSONBody(_ value: some Encodable, encoder: JSONEncoder = JSONEncoder()) throws {
        self.body = try encoder.encode(value)
        self.headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        if !self.headers.contains("Accept") {
            self.headers.add(name: "Accept", value: "application/json")
        }
    }
}

extension HTTPClient.Response {
    /// Decodes the body as JSON.
    ///
    /// Throws ``HTTPClientError`` with code ``HTTPClientError/Code/decoding`` naming the status, the
    /// decoding problem and the start of the body, so that a backend answering garbage is easy to diagnose.
    public func decode<Value: Decodable>(_ type: Value.Type = Value.self, decoder: JSONDecoder = JSONDecoder()) throws -> Value {
        do {
            return try decoder.decode(type, from: self.body)
        } catch {
            let excerpt = String(decoding: self.body.prefix(200), as: UTF8.self)
            throw HTTPClientError(
                code: .decoding,
                message: "could not decode \(Value.self) from a \(self.status) response: \(error); body starts: \(excerpt.debugDescription)",
                url: self.effectiveURL,
                status: self.status
            )
        }
    }
}

extension HTTPClient {
    /// Sends `request` and decodes a 2xx JSON body as `Value`; any other status throws
    /// ``HTTPClientError`` (code ``HTTPClientError/Code/unexpectedStatus``) carrying the status and body excerpt.
    ///
    /// Use ``execute(_:)`` to handle statuses such as 429 yourself.
    public func execute<Value: Decodable>(
        _ request: Request,
        decoding type: Value.Type,
        decoder: JSONDecoder = JSONDecoder()
    ) async throws -> Value {
        let response = try await self.execute(request)
        guard response.isSuccess else {
            let excerpt = String(decoding: response.body.prefix(200), as: UTF8.self)
            throw HTTPClientError(
                code: .unexpectedStatus,
                message: "expected a 2xx JSON response, got \(response.status); body starts: \(excerpt.debugDescription)",
                url: response.effectiveURL,
                status: response.status
            )
        }
        return try response.decode(type, decoder: decoder)
    }
}
