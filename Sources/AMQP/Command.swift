/// A message to publish, as queued for the connection thread.
struct PublishRequest: Sendable {
    var channel: UInt16
    var exchange: String
    var routingKey: String
    var mandatory: Bool
    var properties: AMQPProperties
    var body: [UInt8]
    /// Resumed when the broker confirms (or refuses) this message; nil for fire-and-forget publishes
    /// whose outcome ``AMQPChannel/waitForConfirms()`` reports.
    var confirmation: CheckedContinuation<Void, any Error>?
}

/// How a delivery is settled.
enum SettleKind: Sendable, Hashable {
    case ack(multiple: Bool)
    case nack(multiple: Bool, requeue: Bool)
    case reject(requeue: Bool)
}

/// Work handed from callers to the connection thread through ``ConnectionShared``.
enum Command: Sendable {
    case openChannel(CheckedContinuation<UInt16, any Error>)
    case operation(
        channel: UInt16, ChannelOperation, CheckedContinuation<OperationReply, any Error>,
        consumer: ConsumerStream?
    )
    case publish(PublishRequest)
    case settle(channel: UInt16, generation: UInt64, tag: UInt64, SettleKind)
    case waitForConfirms(channel: UInt16, CheckedContinuation<Void, any Error>)
    case close(CheckedContinuation<Void, Never>?)

    /// Fails the command without performing it. Returns the channel whose publish window slot the
    /// caller must release, if any.
    func fail(_ error: AMQPError) -> UInt16? {
        switch self {
        case .openChannel(let continuation): continuation.resume(throwing: error)
        case .operation(_, _, let continuation, let consumer):
            consumer?.finish(.connectionClosed)
            continuation.resume(throwing: error)
        case .publish(let request):
            request.confirmation?.resume(throwing: error)
            return request.channel
        case .settle: break
        case .waitForConfirms(_, let continuation): continuation.resume(throwing: error)
        case .close(let continuation): continuation?.resume()
        }
        return nil
    }
}
