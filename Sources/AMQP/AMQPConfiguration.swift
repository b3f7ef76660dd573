/// How to connect: the URLs plus the settings the URLs do not carry.
public struct AMQPConfiguration: Sendable {
    /// The brokers to connect to: one, or the nodes of a cluster. The first connection takes the
    /// first that answers; after a loss the connection moves on to the next (round the list).
    public var urls: [AMQPURL]
    /// The first URL (the one connections start with).
    public var url: AMQPURL { urls[0] }
    /// Heartbeat interval in seconds offered to the broker (0 disables). A dead peer is noticed after
    /// about twice this. The URL's `?heartbeat=` wins over this.
    public var heartbeat: Int
    /// A PEM file of CA certificates for `amqps` (the URL's `?cacertfile=` wins). Without it, the
    /// system's default trust store is used. Peer and host name verification are always on.
    public var caCertificateFile: String?
    /// Shown in the broker's management UI for this connection.
    public var connectionName: String?
    /// Timeout for connecting, the TLS and AMQP handshakes, in seconds.
    public var connectTimeout: Double
    public var reconnect: AMQPReconnectPolicy
    /// The largest frame to negotiate (bytes); messages larger than this are split into frames.
    public var frameMax: Int

    public init(
        url: AMQPURL,
        alternatives: [AMQPURL] = [],
        heartbeat: Int = 30,
        caCertificateFile: String? = nil,
        connectionName: String? = nil,
        connectTimeout: Double = 10,
        reconnect: AMQPReconnectPolicy = AMQPReconnectPolicy(),
        frameMax: Int = 131_072
    ) {
        self.urls = [url] + alternatives
        self.heartbeat = heartbeat
        self.caCertificateFile = caCertificateFile
        self.connectionName = connectionName
        self.connectTimeout = connectTimeout
        self.reconnect = reconnect
        self.frameMax = frameMax
    }

    /// Parses `url` — one URL, or several separated by commas (a cluster's nodes) — and uses
    /// the defaults for the rest.
    public init(url: String) throws(AMQPURL.ParseError) {
        var parsed: [AMQPURL] = []
        for part in url.split(separator: ",", omittingEmptySubsequences: false) {
            parsed.append(try AMQPURL(String(part.filter { $0 != " " })))
        }
        self.init(url: parsed[0], alternatives: Array(parsed.dropFirst()))
    }

    func effectiveHeartbeat(_ url: AMQPURL) -> Int { url.heartbeat ?? heartbeat }
    func effectiveCACertificateFile(_ url: AMQPURL) -> String? { url.caCertificateFile ?? caCertificateFile }
}
