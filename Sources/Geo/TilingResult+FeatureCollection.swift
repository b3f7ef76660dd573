import FleetModel
extension TilingResult {
    /// All tiles as one GeoJSON FeatureCollection (WGS84), one feature per line.
    public var geoJSON: String {
        var output = "{\"type\":\"FeatureCollection\",\"features\":[\n"
        for (index, tile) in tiles.enumerated() {
            if index > 0 { output += ",\n" }
            output += tile.geoJSONFeature
        }
        return output + "\n]}\n"
    }

    /// The figures of the run (count, areas, slivers, per-zone counts) as JSON.
    public var summary: JSONValue {
        .object([
            "grid": .string(grid.description),
            "tile_count": .number(Double(tiles.count)),
            "full_cells": .number(Double(tiles.filter(\.fullCell).count)),
            "aoi_area_km2": .number((aoiAreaKm2 * 1000).rounded() / 1000),
            "total_area_km2": .number((totalAreaKm2 * 1000).rounded() / 1000),
            "dropped_slivers": .number(Double(droppedSliverCount)),
            "dropped_area_km2": .number((droppedSliverAreaKm2 * 1e6).rounded() / 1e6),
            "zones": .object(Dictionary(uniqueKeysWithValues: countsByZone.map { ($0.zone, JSONValue.number(Double($0.count))) })),
        ])
    }
}
