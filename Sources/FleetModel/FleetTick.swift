import Foundation

/// The coordinator's clock through the events queue: published to `tilefleet.events` (routing key
/// `_tick`) on every recovery pass; the recorder stores the latest tick it applied as the
/// watermark. Every event and heartbeat published before a tick was applied with it or before it,
/// so a tile silent since long before the watermark is silent in fact, not hidden in a backlog.
public struct FleetTick: Sendable, Codable, Equatable, VersionedMessage {
    /// The wire schema this type reads and writes.
    public static let schema = "tilefleet.tick/1"
    /// Its routing key on `tilefleet.events`.
    public static let routingKey = "_tick"

    public var schema: String
    public var id: UUID
    /// When the coordinator published it.
    public var time: Date

    public init(id: UUID = UUID(), time: Date) {
        self.schema = Self.schema
        self.id = id
        self.time = time
    }

    /// Decodes a tick, naming what is wrong.
    public static func decode(_ body: [UInt8]) throws(MessageRejection) -> FleetTick {
        try MessageCoding.decode(FleetTick.self, from: body, schema: Self.schema, reader: "recorder")
    }
}
