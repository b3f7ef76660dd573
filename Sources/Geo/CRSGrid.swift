/// The `crs:<EPSG>:…` grid: cells of a fixed size in one CRS, aligned to the CRS origin (the
/// Geocube way: e.g. 4096 × 4096 px at 10 m in EPSG:32631). Ids are `<EPSG>-X<column>-Y<row>`.
enum CRSGrid {
    static func tileID(epsg: Int, column: Int, row: Int) -> String {
        "\(epsg)-X\(column)-Y\(row)"
    }
}

extension TilingRun {
    func crsTiles(_ area: GEOSGeom, areaKm2: Double, perimeterKm: Double, epsg: Int, cellWidth: Double, cellHeight: Double) throws -> [Tile] {
        let projection = try proj.fromWGS84(to: epsg)
        let grid = PlanarGrid(cellWidth: cellWidth, cellHeight: cellHeight)
        guard let part = try projectedPart(
            of: area, west: -180, south: -90, east: 180, north: 90, projection: projection
        ) else { return [] }
        // km² per square CRS unit, from the projected and the geodesic area: true for any unit.
        let scale = part.geometry.area > 0 ? areaKm2 / part.geometry.area : 0
        if scale > 0 {
            try checkCells(
                areaKm2: areaKm2, perimeterKm: perimeterKm, cellKm2: cellWidth * cellHeight * scale, grid: .crs(epsg: epsg, cellWidth: cellWidth, cellHeight: cellHeight),
                units: projection.isGeographic ? "degrees" : "metres here, unless the CRS says otherwise"
            )
        }
        return try gridTiles(
            over: part.geometry, grid: grid, projection: projection, zone: "EPSG:\(epsg)",
            referenceLongitude: nil
        ) { column, row in
            CRSGrid.tileID(epsg: epsg, column: column, row: row)
        }
    }
}
