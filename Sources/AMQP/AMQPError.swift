/// Everything the AMQP wrapper throws, apart from ``AMQPURL/ParseError``.
public enum AMQPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The TCP/TLS connection or the AMQP handshake failed (wrong host, port, credentials, vhost,
    /// or certificate). `url` is redacted.
    case connectFailed(url: String, reason: String)
    /// The connection is down and being re-established: retry once ``AMQPConnectionEvent/reconnected``
    /// arrives (or after a short wait).
    case connectionUnavailable(reason: String)
    /// The connection was lost while this operation was in flight; its effect on the broker is unknown.
    case connectionLost(reason: String)
    /// The connection was closed by ``AMQPConnection/close()``.
    case connectionClosed
    /// The broker closed the channel because of this operation (e.g. 404 NOT_FOUND, 406
    /// PRECONDITION_FAILED). The channel is reopened and usable again.
    case channelClosed(replyCode: UInt16, replyText: String)
    /// The broker refused responsibility for the message (basic.nack): publish it again.
    case publishNacked
    /// The confirm for this message never arrived (connection or channel lost): it may or may not
    /// have reached a queue. Publish it again if duplicates are acceptable.
    case publishUnconfirmed(reason: String)
    /// A mandatory message could not be routed to any queue.
    case publishReturned(replyCode: UInt16, replyText: String)
    /// ``AMQPChannel/waitForConfirms()``: some publishes since the last wait were not confirmed.
    case publishesNotConfirmed(nacked: Int, unconfirmed: Int)
    /// The delivery came through an earlier incarnation of the channel (before a reconnect or channel
    /// error); the broker has already requeued it, so it can no longer be settled.
    case staleDelivery
    /// The operation needs publisher confirms on the channel (``AMQPChannel/enablePublisherConfirms(window:)``).
    case confirmsNotEnabled
    /// The channel was closed by ``AMQPChannel/close()``.
    case channelNotOpen
    /// An argument the broker would reject anyway (too long a name, …).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .connectFailed(let url, let reason): "cannot connect to \(url): \(reason)"
        case .connectionUnavailable(let reason): "AMQP connection unavailable (reconnecting): \(reason)"
        case .connectionLost(let reason): "AMQP connection lost: \(reason)"
        case .connectionClosed: "AMQP connection closed"
        case .channelClosed(let code, let text): "channel closed by the broker: \(code) \(text)"
        case .publishNacked: "publish rejected by the broker (basic.nack)"
        case .publishUnconfirmed(let reason): "publish not confirmed, outcome unknown: \(reason)"
        case .publishReturned(let code, let text): "mandatory publish returned unroutable: \(code) \(text)"
        case .publishesNotConfirmed(let nacked, let unconfirmed):
            "publishes not confirmed: \(nacked) nacked, \(unconfirmed) with unknown outcome"
        case .staleDelivery: "delivery belongs to an earlier channel incarnation and was already requeued"
        case .confirmsNotEnabled: "publisher confirms are not enabled on this channel"
        case .channelNotOpen: "channel is closed"
        case .invalidArgument(let text): "invalid argument: \(text)"
        }
    }
}
