import FleetModel
/// The `km:<size>` grid: true-size squares in each UTM zone's own projection.
///
/// The area is split at the zone borders (6° meridians) and the equator; each part is gridded in
/// EPSG 326xx / 327xx with cells at multiples of the size from the zone's false origin, so a cell's
/// id (`32633-E580-N5320`: zone EPSG, lower-left corner in km) never depends on the area.
enum KilometreGrid {
    static func tileID(epsg: Int, column: Int, row: Int, sizeKm: Double) -> String {
        "\(epsg)-E\(kilometres(Double(column) * sizeKm))-N\(kilometres(Double(row) * sizeKm))"
    }

    private static func kilometres(_ value: Double) -> String {
        JSONValue.format((value * 1e6).rounded() / 1e6)
    }

    static func planarGrid(sizeKm: Double) -> PlanarGrid {
        PlanarGrid(cellWidth: sizeKm * 1000, cellHeight: sizeKm * 1000)
    }
}

extension TilingRun {
    func kilometreTiles(_ area: GEOSGeom, sizeKm: Double) throws -> [Tile] {
        guard let extent = area.extent else { return [] }
        try requireUTMLatitudes(extent)
        let grid = KilometreGrid.planarGrid(sizeKm: sizeKm)
        var tiles: [Tile] = []
        for number in zoneNumbers(of: area) {
            for isNorth in [false, true] {
                let zone = UTMZone(number: number, isNorth: isNorth)
                let latitudes = zone.latitudeRange
                guard extent.maxY > latitudes.lowerBound, extent.minY < latitudes.upperBound else { continue }
                let projection = try proj.fromWGS84(to: zone.epsg)
                guard let part = try projectedPart(
                    of: area, west: zone.westLongitude, south: latitudes.lowerBound,
                    east: zone.eastLongitude, north: latitudes.upperBound, projection: projection
                ) else { continue }
                tiles += try gridTiles(
                    over: part.geometry, grid: grid, projection: projection, zone: zone.name,
                    referenceLongitude: zone.centralMeridian
                ) { column, row in
                    KilometreGrid.tileID(epsg: zone.epsg, column: column, row: row, sizeKm: sizeKm)
                }
            }
        }
        return tiles
    }
}
