/// A failure to complete an HTTP exchange. HTTP error statuses are not errors: see ``HTTPClient/Response``.
///
/// ``code`` says what went wrong; ``requestWasNotSent`` says whether the server provably received nothing,
/// which is what decides whether a non-idempotent request (a `POST` that creates a job) may be retried.
public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Base: String, Sendable {
            case invalidURL
            case invalidRequest
            case couldNotResolveHost
            case couldNotConnect
            case connectTimeout
            case timeout
            case tls
            case tooManyRedirects
            case connectionLost
            case responseTooLarge
            case fileSystem
            case decoding
            case unexpectedStatus
            case shutdown
            case other
        }

        let base: Base

        /// The URL is malformed or not `http`/`https`.
        public static let invalidURL = Code(base: .invalidURL)
        /// The request cannot be sent as built (e.g. a header containing a line break).
        public static let invalidRequest = Code(base: .invalidRequest)
        /// The host name (or proxy) did not resolve.
        public static let couldNotResolveHost = Code(base: .couldNotResolveHost)
        /// The TCP connection was refused or failed.
        public static let couldNotConnect = Code(base: .couldNotConnect)
        /// No connection within the connect timeout.
        public static let connectTimeout = Code(base: .connectTimeout)
        /// The exchange did not complete within its timeout.
        public static let timeout = Code(base: .timeout)
        /// TLS handshake or certificate verification failed.
        public static let tls = Code(base: .tls)
        /// More redirects than ``HTTPClient/Configuration/maxRedirects``.
        public static let tooManyRedirects = Code(base: .tooManyRedirects)
        /// The connection broke or the server closed it without a complete response.
        public static let connectionLost = Code(base: .connectionLost)
        /// The body exceeded ``HTTPClient/Configuration/maxResponseBodySize``.
        public static let responseTooLarge = Code(base: .responseTooLarge)
        /// A download could not be written to its file.
        public static let fileSystem = Code(base: .fileSystem)
        /// A response body could not be decoded as the expected JSON.
        public static let decoding = Code(base: .decoding)
        /// A convenience that expects success got another HTTP status (see ``HTTPClientError/status``).
        public static let unexpectedStatus = Code(base: .unexpectedStatus)
        /// The client was shut down before the exchange completed.
        public static let shutdown = Code(base: .shutdown)
        /// Any other transfer failure; ``HTTPClientError/message`` has curl's explanation.
        public static let other = Code(base: .other)

        public var description: String { self.base.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// A human-readable explanation (curl's own message for transfer failures).
    public var message: String
    /// The `CURLcode` for transfer failures, for diagnostics.
    public var curlCode: Int?
    /// True only when the server provably received none of the request (it was never sent),
    /// so even a non-idempotent request may be retried.
    public var requestWasNotSent: Bool
    /// The request's URL, with credentials redacted.
    public var url: String?
    /// The HTTP status, for ``Code/unexpectedStatus`` and ``Code/decoding``.
    public var status: Int?

    public init(
        code: Code,
        message: String,
        curlCode: Int? = nil,
        requestWasNotSent: Bool = false,
        url: String? = nil,
        status: Int? = nil
    ) {
        self.code = code
        self.message = message
        self.curlCode = curlCode
        self.status = status
        self.requestWasNotSent = requestWasNotSent
        self.url = url.map(HTTPClient.Request.redactingCredentials(in:))
    }

    /// Whether this is a timeout, of the connection or of the whole exchange.
    public var isTimeout: Bool { self.code == .timeout || self.code == .connectTimeout }

    public var description: String {
        var text = "HTTP \(self.code)"
        if let url = self.url {
            text += " (\(url))"
        }
        text += ": \(self.message)"
        if let curlCode = self.curlCode {
            text += " [curl \(curlCode)]"
        }
        if self.requestWasNotSent {
            text += " (request not sent)"
        }
        return text
    }
}
