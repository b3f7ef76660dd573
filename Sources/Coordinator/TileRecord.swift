import FleetModel
import Foundation
import Geo

/// One job of a task as stored in `tiles`: a tile × window × dimension values.
public struct TileRecord: Sendable, Hashable {
    /// `tiles.tile_id`: the grid cell id, with the window label when there are several windows and
    /// a short hash of the dimension values when there are dimensions.
    public var tileID: String
    public var cellID: String
    public var window: TimeWindow?
    /// The job's own arguments (tile geometry, time window, dimension values, tile properties) as
    /// JSON text, built without decoding the geometry (what makes 100,000-tile submits fast).
    public var parametersJSON: String
    /// The tile's GeoJSON geometry (WGS84).
    public var geometry: String
    public var areaKm2: Double

    public init(tileID: String, cellID: String, window: TimeWindow?, parametersJSON: String, geometry: String, areaKm2: Double) {
        self.tileID = tileID
        self.cellID = cellID
        self.window = window
        self.parametersJSON = parametersJSON
        self.geometry = geometry
        self.areaKm2 = areaKm2
    }

    /// The job's own arguments, decoded.
    public var parameters: [String: JSONValue] {
        (try? JSONDecoder().decode([String: JSONValue].self, from: Data(parametersJSON.utf8))) ?? [:]
    }
}
