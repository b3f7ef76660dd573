import Foundation

extension HTTPClient {
    /// The final response of an exchange (after any redirects).
    ///
    /// Every status is a response, not an error: 4xx and 5xx come back here for the caller to judge.
    public struct Response: Sendable {
        /// The status code, e.g. 200 or 429.
        public var status: Int
        /// The final response's header fields.
        public var headers: Headers
        /// The body (empty for `HEAD` and for a download written to a file).
        public var body: Data
        /// The URL the final response came from, after redirects.
        public var effectiveURL: String
        /// How many redirects were followed.
        public var redirectCount: Int

        public init(status: Int, headers: Headers = [:], body: Data = Data(), effectiveURL: String, redirectCount: Int = 0) {
            self.status = status
            self.headers = headers
            self.body = body
            self.effectiveURL = effectiveURL
            self.redirectCount = redirectCount
        }

        /// Whether the status is 2xx.
        public var isSuccess: Bool { (200..<300).contains(self.status) }

        /// Whether the server asks to come back later: 429 Too Many Requests or 503 Service Unavailable.
        public var isThrottled: Bool { self.status == 429 || self.status == 503 }

        /// The parsed `Retry-After` header, if present and well-formed.
        public var retryAfterHeader: RetryAfter? {
            self.headers["Retry-After"].flatMap(RetryAfter.init(headerValue:))
        }

        /// For a throttled response (429/503), the delay the server asked for, measured from now.
        public var retryAfter: Duration? {
            self.retryAfter(now: Date())
        }

        /// For a throttled response (429/503), the delay the server asked for, measured from `now`.
        public func retryAfter(now: Date) -> Duration? {
            guard self.isThrottled else { return nil }
            return self.retryAfterHeader?.delay(from: now)
        }

        /// The `Location` header (e.g. of a `201 Created` openEO job), if any.
        public var location: String? { self.headers["Location"] }

        /// The body as UTF-8 text (invalid bytes are replaced).
        public var text: String { String(decoding: self.body, as: UTF8.self) }
    }
}

extension HTTPClient.Response: CustomStringConvertible {
    /// `status effectiveURL [headers] (n bytes)`, with secrets redacted.
    public var description: String {
        "\(self.status) \(HTTPClient.Request.redactingCredentials(in: self.effectiveURL)) \(self.headers) (\(self.body.count) bytes)"
    }
}
