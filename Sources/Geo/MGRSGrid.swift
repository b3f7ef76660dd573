import Foundation

/// The `mgrs` grid: MGRS 100 km squares (e.g. `33UXP`) and, optionally, the Sentinel-2 tiles
/// built on them (109.8 km squares sharing the square's upper-left corner).
///
/// Squares are cut per grid zone (UTM zone × 8° latitude band, X being 72°–84°N), so a square
/// crossing a band border gives one tile per band, as in MGRS. MGRS's exceptions apply: in band V
/// zone 32 reaches west to 3°E (31V is 0°–3°E); in band X zones 31, 33, 35 and 37 span 0°–9°,
/// 9°–21°, 21°–33° and 33°–42°E, and 32X, 34X, 36X do not exist. Each grid zone is projected with
/// its own UTM zone, extended where the exception widens it. Checked against the `mgrs` package
/// in `Tests/GeoTests/MGRSExceptionTests.swift`. Sentinel-2 footprints (`mgrs:s2`) keep the
/// regular zones (not checked against ESA's tiling grid there).
enum MGRSGrid {
    static let bandLetters = Array("CDEFGHJKLMNPQRSTUVWX")
    static let rowLetters = Array("ABCDEFGHJKLMNPQRSTUV")
    static let columnLetters = [Array("ABCDEFGH"), Array("JKLMNPQR"), Array("STUVWXYZ")]
    static let squareSize = 100_000.0
    static let sentinel2Size = 109_800.0

    /// Latitude bands as (letter, south, north).
    static var bands: [(letter: Character, south: Double, north: Double)] {
        bandLetters.enumerated().map { index, letter in
            let south = -80 + Double(index) * 8
            return (letter, south, index == bandLetters.count - 1 ? 84 : south + 8)
        }
    }

    static func band(latitude: Double) -> Character {
        bandLetters[min(max(Int(((latitude + 80) / 8).rounded(.down)), 0), bandLetters.count - 1)]
    }

    /// The 100 km square letters for a square's column and row (easting and northing / 100 km).
    static func squareLetters(zone: Int, column: Int, row: Int) -> String {
        let set = columnLetters[(zone - 1) % 3]
        let columnLetter = set[min(max(column - 1, 0), set.count - 1)]
        let rowIndex = ((row % 20) + 20 + (zone % 2 == 0 ? 5 : 0)) % 20
        return "\(columnLetter)\(rowLetters[rowIndex])"
    }

    static func tileID(zone: Int, band: Character, column: Int, row: Int) -> String {
        String(format: "%02d", zone) + "\(band)" + squareLetters(zone: zone, column: column, row: row)
    }

    /// The longitudes of grid zone `zone` in `band`, with the Norway and Svalbard exceptions; nil
    /// for the zones band X does not have.
    static func longitudes(zone: Int, band: Character) -> (west: Double, east: Double)? {
        let west = Double(zone - 1) * 6 - 180
        switch (band, zone) {
        case ("V", 31): return (0, 3)
        case ("V", 32): return (3, 12)
        case ("X", 32), ("X", 34), ("X", 36): return nil
        case ("X", 31): return (0, 9)
        case ("X", 33): return (9, 21)
        case ("X", 35): return (21, 33)
        case ("X", 37): return (33, 42)
        default: return (west, west + 6)
        }
    }

    /// The grid zone number of a position, with the exceptions.
    static func zoneNumber(longitude: Double, latitude: Double) -> Int {
        let regular = UTMZone.number(longitude: longitude)
        let band = band(latitude: latitude)
        for zone in [regular - 1, regular, regular + 1] where (1...60).contains(zone) {
            if let range = longitudes(zone: zone, band: band), longitude >= range.west, longitude < range.east { return zone }
        }
        return regular
    }

    /// The 100 km square holding a position (e.g. `32VKM`), as the tiler names it.
    static func squareID(longitude: Double, latitude: Double) throws -> String {
        let zone = zoneNumber(longitude: longitude, latitude: latitude)
        let utm = UTMZone(number: zone, isNorth: latitude >= 0)
        let projection = try ProjContext().fromWGS84(to: utm.epsg)
        var xy = [longitude, latitude]
        try projection.forward(&xy)
        let column = Int((xy[0] / squareSize).rounded(.down)), row = Int((xy[1] / squareSize).rounded(.down))
        return tileID(zone: zone, band: band(latitude: latitude), column: column, row: row)
    }
}

extension TilingRun {
    func mgrsTiles(_ area: GEOSGeom, sentinel2Footprint: Bool) throws -> [Tile] {
        guard let extent = area.extent else { return [] }
        try requireUTMLatitudes(extent)
        let grid = PlanarGrid(cellWidth: MGRSGrid.squareSize, cellHeight: MGRSGrid.squareSize)
        var tiles: [Tile] = []
        var seen = Set<String>()
        // The exceptions widen zones by up to 9°: the neighbours of every zone touched are candidates.
        let touched = zoneNumbers(of: area)
        let candidates = Set(touched.flatMap { [$0 - 1, $0, $0 + 1] }.filter { (1...60).contains($0) }).sorted()
        for number in candidates {
            for band in MGRSGrid.bands where extent.maxY > band.south && extent.minY < band.north {
                // Sentinel-2 footprints keep the regular zones, as before: the exceptions are checked
                // for MGRS squares only.
                let regular = (west: Double(number - 1) * 6 - 180, east: Double(number - 1) * 6 - 174)
                guard let (west, east) = sentinel2Footprint ? regular : MGRSGrid.longitudes(zone: number, band: band.letter) else { continue }
                let zone = UTMZone(number: number, isNorth: band.south >= 0)
                let projection = try proj.fromWGS84(to: zone.epsg)
                guard let part = try projectedPart(
                    of: area, west: west, south: band.south, east: east, north: band.north, projection: projection
                ) else { continue }
                let label = String(format: "%02d", number) + "\(band.letter)"
                if sentinel2Footprint {
                    for tile in try sentinel2Tiles(over: part.geometry, zone: zone, band: band.letter, projection: projection)
                    where seen.insert(tile.id).inserted {
                        tiles.append(tile)
                    }
                } else {
                    tiles += try gridTiles(
                        over: part.geometry, grid: grid, projection: projection, zone: label,
                        referenceLongitude: zone.centralMeridian
                    ) { column, row in
                        MGRSGrid.tileID(zone: number, band: band.letter, column: column, row: row)
                    }
                }
            }
        }
        return tiles
    }

    /// Sentinel-2 footprints whose area meets the zone-band part (footprints reach 9.8 km into
    /// the squares east and south, so candidates extend west and north).
    private func sentinel2Tiles(over part: GEOSGeom, zone: UTMZone, band: Character, projection: Projection) throws -> [Tile] {
        guard let extent = part.extent else { return [] }
        let size = MGRSGrid.squareSize, footprint = MGRSGrid.sentinel2Size
        let prepared = try part.prepared()
        let columns = Int(((extent.minX - footprint) / size).rounded(.down))...Int((extent.maxX / size).rounded(.down))
        let rows = (Int((extent.minY / size).rounded(.up)) - 1)...(Int(((extent.maxY + footprint) / size).rounded(.down)) - 1)
        var tiles: [Tile] = []
        for row in rows {
            for column in columns {
                let minX = Double(column) * size, maxY = Double(row + 1) * size
                let cell = try geos.rectangle(minX: minX, minY: maxY - footprint, maxX: minX + footprint, maxY: maxY)
                guard prepared.intersects(cell) else { continue }
                let full = prepared.containsProperly(cell)
                if !full, try part.intersection(cell).area == 0 { continue }
                let id = MGRSGrid.tileID(zone: zone.number, band: band, column: column, row: row)
                if let tile = try makeTile(
                    id: id, zone: String(format: "%02d", zone.number) + "\(band)", polygons: cell.polygonRings(),
                    projection: projection, fullCell: full, cellSize: footprint, referenceLongitude: nil
                ) {
                    tiles.append(tile)
                }
            }
        }
        return tiles
    }
}
