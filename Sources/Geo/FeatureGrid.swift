import FleetModel
/// The `features` grid: every feature of the input is one tile; its properties travel with it.
///
/// Tile ids are the features' GeoJSON `id` (string or number) or `feature-<index>`; duplicates
/// are refused because ids must be unique within a run.
enum FeatureGrid {
    static func tileID(_ feature: AOIFeature) -> String {
        switch feature.id {
        case .string(let value)?: return value
        case .number(let value)?: return JSONValue.format(value)
        default: return "feature-\(feature.index)"
        }
    }
}

extension TilingRun {
    func featureTiles(_ aoi: AOI) throws -> [Tile] {
        var seen = Set<String>()
        return try aoi.features.map { feature in
            let id = FeatureGrid.tileID(feature)
            guard seen.insert(id).inserted else {
                throw GeoValidationError(.malformed("duplicate feature id '\(id)'"), featureIndex: feature.index)
            }
            let coordinates: [[Double]]
            var areaKm2 = 0.0
            switch feature.geometry {
            case .point(let longitude, let latitude):
                coordinates = [[longitude, latitude]]
            case .polygons(let polygons):
                coordinates = polygons.map { $0[0] }
                let dense = try geos.multiPolygon(polygons).densified(maxSegment: options.densifyDegrees)
                areaKm2 = geodesic.area(polygons: dense.polygonRings()) / 1e6
            }
            let box = BoundingBox(coordinates: coordinates, epsg: 4326)
            return Tile(
                id: id, epsg: 4326, zone: "EPSG:4326", fullCell: true, areaKm2: areaKm2,
                bboxWGS84: box, bboxNative: box, geometry: feature.geometry.geoJSON,
                properties: feature.properties
            )
        }
    }
}
