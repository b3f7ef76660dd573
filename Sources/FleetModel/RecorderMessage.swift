import Foundation

/// What the recorder reads from its queue: a status event, a heartbeat or a tick, told apart by
/// the message's `schema`.
public enum RecorderMessage: Sendable, Equatable {
    case event(StatusEvent)
    case heartbeat(Heartbeat)
    case tick(FleetTick)

    /// Decodes a recorder message, naming what is wrong.
    public static func decode(_ body: [UInt8]) throws(MessageRejection) -> RecorderMessage {
        // An oversize body is refused before any parse, the schema sniffing below included.
        guard body.count <= MessageLimits.body else {
            throw MessageRejection(MessageLimits.oversizeBody(body.count))
        }
        // Most messages are status events: one parse for them.
        if let event = try? StatusEvent.decode(body) { return .event(event) }
        switch Self.schema(of: body) {
        case Heartbeat.schema: return .heartbeat(try Heartbeat.decode(body))
        case FleetTick.schema: return .tick(try FleetTick.decode(body))
        default: return .event(try StatusEvent.decode(body))
        }
    }

    private static func schema(of body: [UInt8]) -> String? {
        struct Envelope: Decodable { var schema: String }
        return try? JSONDecoder().decode(Envelope.self, from: Data(body)).schema
    }
}
