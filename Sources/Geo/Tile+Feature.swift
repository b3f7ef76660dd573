import FleetModel
extension Tile {
    /// The tile as a GeoJSON Feature (WGS84): id, CRS, zone, area in km², full-cell flag, the
    /// native bbox and the tile's own properties, ready for QGIS or PostgreSQL.
    public var geoJSONFeature: String {
        var properties = self.properties
        properties["tile_id"] = .string(id)
        properties["crs"] = .string("EPSG:\(epsg)")
        properties["zone"] = .string(zone)
        properties["area_km2"] = .number((areaKm2 * 1e6).rounded() / 1e6)
        properties["full_cell"] = .bool(fullCell)
        properties["bbox_native"] = .array([bboxNative.west, bboxNative.south, bboxNative.east, bboxNative.north].map { .number($0) })
        if featureCollection != nil { properties["feature_count"] = .number(Double(featureCount)) }
        var output = "{\"type\":\"Feature\",\"id\":"
        JSONValue.writeString(id, to: &output)
        output += ",\"properties\":"
        JSONValue.object(properties).write(to: &output)
        output += ",\"geometry\":" + geometry + "}"
        return output
    }
}
