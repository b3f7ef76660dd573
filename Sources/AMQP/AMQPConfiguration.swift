/// How to connect: the URL plus the settings the URL does not carry.
public struct AMQPConfiguration: Sendable {
    public var url: AMQPURL
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
        heartbeat: Int = 30,
        caCertificateFile: String? = nil,
        connectionName: String? = nil,
        connectTimeout: Double = 10,
        reconnect: AMQPReconnectPolicy = AMQPReconnectPolicy(),
        frameMax: Int = 131_072
    ) {
        self.url = url
        self.heartbeat = heartbeat
        self.caCertificateFile = caCertificateFile
        self.connectionName = connectionName
        self.connectTimeout = connectTimeout
        self.reconnect = reconnect
        self.frameMax = frameMax
    }

    /// Parses `url` and uses the defaults for the rest.
    public init(url: String) throws(AMQPURL.ParseError) {
        self.init(url: try AMQPURL(url))
    }

    var effectiveHeartbeat: Int { url.heartbeat ?? heartbeat }
    var effectiveCACertificateFile: String? { url.caCertificateFile ?? caCertificateFile }
}
