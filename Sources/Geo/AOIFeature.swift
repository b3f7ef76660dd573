import FleetModel
/// One feature of an area of interest or sample set: a geometry with its GeoJSON id and properties.
public struct AOIFeature: Sendable, Hashable {
    /// Position in the input (FeatureCollection order); used in error messages and as a default id.
    public var index: Int
    /// The GeoJSON `id` member, if any.
    public var id: JSONValue?
    public var properties: [String: JSONValue]
    public var geometry: AOIGeometry

    public init(index: Int, id: JSONValue? = nil, properties: [String: JSONValue] = [:], geometry: AOIGeometry) {
        self.index = index
        self.id = id
        self.properties = properties
        self.geometry = geometry
    }

    /// The feature as GeoJSON text (RFC 7946).
    public var geoJSON: String {
        var output = JSONBytes()
        write(to: &output)
        return output.string
    }

    func write(to output: inout JSONBytes) {
        output.append("{\"type\":\"Feature\"")
        if let id {
            output.append(",\"id\":")
            id.write(to: &output)
        }
        output.append(",\"properties\":")
        JSONValue.object(properties).write(to: &output)
        output.append(",\"geometry\":")
        geometry.write(to: &output)
        output.append(byte: UInt8(ascii: "}"))
    }
}
