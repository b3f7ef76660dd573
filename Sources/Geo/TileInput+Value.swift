import FleetModel
import Foundation

extension TileInput {
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
