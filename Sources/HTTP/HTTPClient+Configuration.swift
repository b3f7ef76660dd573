extension HTTPClient {
    /// Client-wide settings. Per-request timeouts in ``Request`` override the defaults here.
    public struct Configuration: Sendable {
        /// Limit on a whole exchange including redirects, unless the request sets its own.
        public var timeout: Duration
        /// Limit on establishing a connection (TCP and TLS), unless the request sets its own.
        public var connectTimeout: Duration
        /// The most redirects followed for one request.
        public var maxRedirects: Int
        /// A PEM bundle of trusted CA certificates; `nil` uses the system store. Verification of the peer
        /// certificate and host name is always on.
        public var caBundlePath: String?
        /// Connections to one host open at once; further requests to it wait inside curl for a free
        /// connection, and their timeout runs while they wait.
        public var maxConnectionsPerHost: Int
        /// Idle connections kept for reuse.
        public var connectionCacheSize: Int
        /// The largest body kept in memory; a larger one fails with ``HTTPClientError/Code/responseTooLarge``.
        /// Use ``HTTPClient/download(_:to:)`` for big files.
        public var maxResponseBodySize: Int
        /// Sent as `User-Agent` unless the request sets one.
        public var userAgent: String
        /// Whether to advertise and transparently decode compressed responses (gzip, deflate, …).
        public var acceptCompressedResponses: Bool

        public init(
            timeout: Duration = .seconds(60),
            connectTimeout: Duration = .seconds(10),
            maxRedirects: Int = 10,
            caBundlePath: String? = nil,
            maxConnectionsPerHost: Int = 256,
            connectionCacheSize: Int = 512,
            maxResponseBodySize: Int = 64 * 1024 * 1024,
            userAgent: String = "tilefleet",
            acceptCompressedResponses: Bool = true
        ) {
            self.timeout = timeout
            self.connectTimeout = connectTimeout
            self.maxRedirects = maxRedirects
            self.caBundlePath = caBundlePath
            self.maxConnectionsPerHost = maxConnectionsPerHost
            self.connectionCacheSize = connectionCacheSize
            self.maxResponseBodySize = maxResponseBodySize
            self.userAgent = userAgent
            self.acceptCompressedResponses = acceptCompressedResponses
        }
    }
}

extension Duration {
    /// Whole milliseconds, rounded up, at least 1 (curl treats 0 as "no limit").
    var curlMilliseconds: Int {
        let (seconds, attoseconds) = self.components
        let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int(max(1, milliseconds))
    }
}
