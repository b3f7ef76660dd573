import FleetConfig
import FleetModel
import Foundation
import Geo

/// `POST /tiles`: `{"aoi": <GeoJSON geometry>, "grid": "20x20km" | "250x250km" | any tilefleet
/// grid}` → the tiles as a GeoJSON `GeometryCollection`. tilefleet cuts its true-size grid
/// (`km:20`, `km:250`: square kilometres in the local UTM zone), not APEx's EPSG:3857 cells.
public struct TileRequest: Sendable {
    public var aoi: String
    public var grid: String

    /// Reads the request body; ``APIError`` 422 naming the field that is missing or wrong.
    public init(body: Data) throws {
        guard case .object(let members)? = try? JSONDecoder().decode(JSONValue.self, from: body) else {
            throw APIError.validation("", "the body must be a JSON object {aoi, grid}")
        }
        guard let aoi = members["aoi"], case .object = aoi else { throw APIError.validation("aoi", "is required: a GeoJSON Polygon or MultiPolygon") }
        guard let grid = members["grid"]?.stringValue else { throw APIError.validation("grid", "is required, e.g. \"20x20km\" or \"250x250km\"") }
        self.aoi = aoi.canonicalJSON
        self.grid = grid
    }

    /// The tiles within `limits`, as a GeometryCollection.
    public func tiles(limits: JobLimits) throws -> JSONValue {
        let tileGrid: TileGrid
        do {
            tileGrid = try TileGrid(parsing: grid)
        } catch {
            throw APIError.validation("grid", "\(error)")
        }
        let parsed: AOI
        do {
            parsed = try AOIParser().parse(aoi)
        } catch {
            throw APIError.validation("aoi", "\(error)")
        }
        let result: TilingResult
        do {
            let bounds = JobBounds(maxJobs: limits.maxJobs, confirmJobs: limits.confirmJobs)
            result = try Tiler(options: TilingOptions(bounds: bounds)).tiles(for: parsed, grid: tileGrid)
            try bounds.check(cells: result.tiles.count, grid: tileGrid, approximate: false)
        } catch {
            throw APIError.validation("grid", "\(error)")
        }
        let geometries = result.tiles.compactMap { tile in
            try? JSONDecoder().decode(JSONValue.self, from: Data(tile.geometry.utf8))
        }
        return .object(["type": .string("GeometryCollection"), "geometries": .array(geometries)])
    }
}
