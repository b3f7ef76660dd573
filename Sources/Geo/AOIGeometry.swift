/// The geometry of an ``AOIFeature`` in WGS84.
public enum AOIGeometry: Sendable, Hashable {
    /// A sample point.
    case point(longitude: Double, latitude: Double)
    /// One or more polygons, each as rings of interleaved longitude, latitude (shell first, then
    /// holes; closed). Never crosses the antimeridian: such input is split at ±180°.
    case polygons([[[Double]]])

    /// GeoJSON geometry text (Point, Polygon or MultiPolygon), rings oriented by the right-hand rule.
    public var geoJSON: String {
        switch self {
        case .point(let longitude, let latitude):
            return "{\"type\":\"Point\",\"coordinates\":[\(JSONValue.format(longitude)),\(JSONValue.format(latitude))]}"
        case .polygons(let polygons):
            return GeoJSONWriter.geometry(polygons: polygons)
        }
    }
}
