/// The kind of an exchange: how it routes a message to bound queues.
public struct AMQPExchangeType: RawRepresentable, Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    /// Routes to queues bound with exactly the message's routing key.
    public static let direct: AMQPExchangeType = "direct"
    /// Routes by pattern (`*` one word, `#` any words) on dot-separated routing keys.
    public static let topic: AMQPExchangeType = "topic"
    /// Routes to every bound queue.
    public static let fanout: AMQPExchangeType = "fanout"
    /// Routes by header values instead of the routing key.
    public static let headers: AMQPExchangeType = "headers"

    public var description: String { rawValue }
}
