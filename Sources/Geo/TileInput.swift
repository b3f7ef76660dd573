import FleetModel
import Foundation

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

    /// The parameter value for `tile`.
    public func value(for tile: Tile) throws -> JSONValue {
        switch self {
        case .geometry:
            return try Self.decode(tile.geometry)
        case .bboxWGS84:
            return tile.bboxWGS84.jsonValue
        case .bboxNative:
            return tile.bboxNative.jsonValue
        case .featureCollection:
            if let collection = tile.featureCollection { return try Self.decode(collection) }
            var properties = tile.properties
            properties["tile_id"] = .string(tile.id)
            return .object([
                "type": .string("FeatureCollection"),
                "features": .array([.object([
                    "type": .string("Feature"), "id": .string(tile.id),
                    "properties": .object(properties), "geometry": try Self.decode(tile.geometry),
                ])]),
            ])
        }
    }

    private static func decode(_ text: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }
}
