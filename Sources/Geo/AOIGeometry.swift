import FleetModel
/// The geometry of an ``AOIFeature`` in WGS84.
public enum AOIGeometry: Sendable, Hashable {
    /// A sample point.
    case point(longitude: Double, latitude: Double)
    /// One or more polygons, each as rings of interleaved longitude, latitude (shell first, then
    /// holes; closed). Never crosses the antimeridian: such input is split at ±180°.
    case polygons([[[Double]]])

    /// GeoJSON geometry text (Point, Polygon or MultiPolygon), rings oriented by the right-hand rule.
    public var geoJSON: String {
        var output = JSONBytes()
        write(to: &output)
        return output.string
    }

    func write(to output: inout JSONBytes) {
        switch self {
        case .point(let longitude, let latitude):
            output.append("{\"type\":\"Point\",\"coordinates\":[")
            output.append(number: longitude)
            output.append(byte: UInt8(ascii: ","))
            output.append(number: latitude)
            output.append("]}")
        case .polygons(let polygons):
            GeoJSONWriter.write(polygons: polygons, to: &output)
        }
    }
}
