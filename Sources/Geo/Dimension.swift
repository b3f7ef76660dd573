import FleetModel
/// A job parameter with a list of values (the APEx `dimension {name, values}`); the job set takes
/// every value once.
public struct Dimension: Sendable, Hashable, Codable {
    public var name: String
    public var values: [JSONValue]

    public init(name: String, values: [JSONValue]) {
        self.name = name
        self.values = values
    }
}
