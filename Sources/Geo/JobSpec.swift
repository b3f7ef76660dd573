import FleetModel
/// One job of a ``JobMatrix``: a tile × a time window × one value of each dimension.
public struct JobSpec: Sendable, Hashable, Codable {
    /// Deterministic key: 16 hex digits of FNV-1a over the tile id, window and values; the same
    /// declaration always gives the same keys, whatever the order jobs are built in.
    public var key: String
    public var tileID: String
    public var window: TimeWindow?
    /// One value per dimension, by dimension name.
    public var values: [String: JSONValue]
    /// The job's parameters: the spatial and temporal parameters, the dimension values and the tile's
    /// own properties (a `features` input's properties travel here).
    public var parameters: [String: JSONValue]
}
