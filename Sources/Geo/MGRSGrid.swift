import Foundation

/// The `mgrs` grid: MGRS 100 km squares (e.g. `33UXP`) and, optionally, the Sentinel-2 tiles
/// built on them (109.8 km squares sharing the square's upper-left corner).
///
/// Squares are cut per grid zone (UTM zone × 8° latitude band, X being 72°–84°N), so a square
/// crossing a band border gives one tile per band, as in MGRS. Regular zones only: the Norway and
/// Svalbard exceptions are not applied.
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
}

extension TilingRun {
    func mgrsTiles(_ area: GEOSGeom, sentinel2Footprint: Bool) throws -> [Tile] {
        guard let extent = area.extent else { return [] }
        try requireUTMLatitudes(extent)
        let grid = PlanarGrid(cellWidth: MGRSGrid.squareSize, cellHeight: MGRSGrid.squareSize)
        var tiles: [Tile] = []
        var seen = Set<String>()
        for number in zoneNumbers(of: area) {
            let west = Double(number - 1) * 6 - 180
            for band in MGRSGrid.bands where extent.maxY > band.south && extent.minY < band.north {
                let zone = UTMZone(number: number, isNorth: band.south >= 0)
                let projection = try proj.fromWGS84(to: zone.epsg)
                guard let part = try projectedPart(
                    of: area, west: west, south: band.south, east: west + 6, north: band.north, projection: projection
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
