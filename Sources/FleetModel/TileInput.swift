/// How a tile enters a backend job's spatial parameter.
public enum TileInput: String, Sendable, Hashable, Codable, CaseIterable {
    /// The tile's GeoJSON geometry (WGS84).
    case geometry
    /// `{west, south, east, north, crs: 4326}`.
    case bboxWGS84 = "bbox"
    /// `{west, south, east, north, crs: <tile EPSG>}` in the tile's own CRS (exact UTM edges).
    case bboxNative = "bbox-native"
    /// A FeatureCollection: a group's samples, or one Feature carrying the tile and its properties.
    case featureCollection = "feature-collection"
}
