import FleetModel
import Foundation
/// The state of one tiling call: its own PROJ and GEOS contexts, the sliver tally and the helpers
/// every grid shares (AOI union, zone parts, projecting, building ``Tile`` values).
///
/// Not Sendable: lives on one thread for the duration of ``Tiler/tiles(for:grid:)``.
final class TilingRun {
    let options: TilingOptions
    let geos = GEOSContext()
    let proj: ProjContext
    let geodesic = GeodesicArea()
    var droppedCount = 0
    var droppedAreaKm2 = 0.0

    init(options: TilingOptions) throws {
        self.options = options
        proj = try ProjContext()
    }

    func tiles(for aoi: AOI, grid: TileGrid) throws -> TilingResult {
        guard !aoi.features.isEmpty else { throw GeoValidationError(.emptyGeometry) }
        var aoiArea = 0.0
        var tiles: [Tile]
        switch grid {
        case .kilometres(let size):
            let area = try polygonalArea(of: aoi)
            aoiArea = area.areaKm2
            try checkCells(areaKm2: aoiArea, perimeterKm: area.perimeterKm, cellKm2: size * size, grid: grid)
            tiles = try kilometreTiles(area.geometry, sizeKm: size)
        case .crs(let epsg, let width, let height):
            let area = try polygonalArea(of: aoi)
            aoiArea = area.areaKm2
            tiles = try crsTiles(area.geometry, areaKm2: aoiArea, perimeterKm: area.perimeterKm, epsg: epsg, cellWidth: width, cellHeight: height)
        case .mgrs(let footprint):
            let area = try polygonalArea(of: aoi)
            aoiArea = area.areaKm2
            try options.bounds?.check(cells: Int((aoiArea / 10_000 + area.perimeterKm / 100).rounded(.up)), grid: grid, approximate: true)
            tiles = try mgrsTiles(area.geometry, sentinel2Footprint: footprint)
        case .features:
            try options.bounds?.check(cells: aoi.features.count, grid: grid, approximate: false)
            tiles = try featureTiles(aoi)
            aoiArea = tiles.reduce(0) { $0 + $1.areaKm2 }
        case .group(let inner, let maxFeatures):
            try options.bounds?.check(cells: aoi.features.count, grid: grid, approximate: true)
            tiles = try groupTiles(aoi, grid: inner, maxFeatures: maxFeatures)
        }
        guard !tiles.isEmpty else { throw GeoValidationError(.noTiles(noTileReason(aoi: aoi, areaKm2: aoiArea))) }
        tiles.sort { $0.id < $1.id }
        return TilingResult(
            grid: grid, tiles: tiles, aoiAreaKm2: aoiArea,
            droppedSliverCount: droppedCount, droppedSliverAreaKm2: droppedAreaKm2
        )
    }

    // MARK: Before and after the work

    /// Refuses cells that would all be dropped as slivers, and more cells than the bounds allow,
    /// before any cell is made. The count is the area over a cell's area plus the perimeter over
    /// a cell's side (the cells the boundary passes through), so a long thin area is not
    /// underestimated.
    func checkCells(areaKm2: Double, perimeterKm: Double, cellKm2: Double, grid: TileGrid, units: String? = nil) throws {
        if cellKm2 < options.minimumAreaKm2 {
            let f = { (value: Double) in String(format: "%.6g", value) }
            var detail = "every cell of \(grid) is \(f(cellKm2)) km², below min_area \(f(options.minimumAreaKm2)) km², "
                + "so every piece would be dropped"
            if let units { detail += "; cell sizes are in the CRS's units (\(units))" }
            if case .crs(let epsg, let width, let height) = grid, width == height, units?.hasPrefix("metres") == true {
                detail += "; did you mean crs:\(epsg):\(JSONValue.format(width * 1000))?"
            } else {
                detail += "; use larger cells or a smaller min_area"
            }
            throw GeoValidationError(.noTiles(detail))
        }
        let cells = (areaKm2 / cellKm2 + perimeterKm / cellKm2.squareRoot()).rounded(.up)
        try options.bounds?.check(cells: cells >= Double(Int.max) ? Int.max : Int(cells), grid: grid, approximate: true)
    }

    /// Why an area gave no tile: its size against `min_area`, with a hint at the CRS it was read in.
    func noTileReason(aoi: AOI, areaKm2: Double) -> String {
        let f = { (value: Double) in String(format: "%.6g", value) }
        var reason: String
        if droppedCount > 0 {
            reason = (droppedCount == 1 ? "the only piece is" : "all \(droppedCount) pieces are") + " below min_area \(f(options.minimumAreaKm2)) km² "
                + "(together \(f(droppedAreaKm2)) km², the area of interest \(f(areaKm2)) km²); lower min_area (--min-area) or enlarge the area"
        } else {
            reason = "the area of interest (\(f(areaKm2)) km²) meets no cell of the grid"
        }
        if aoi.sourceEPSG != 4326, areaKm2 < 1 {
            reason += "; its coordinates were read in EPSG:\(aoi.sourceEPSG) units: if they are longitude/latitude, "
                + "give EPSG:4326 (or no --crs)"
        }
        return reason
    }

    // MARK: Area of interest

    /// The union of all polygons (lon/lat) and its geodesic area and perimeter after densifying edges.
    func polygonalArea(of aoi: AOI) throws -> (geometry: GEOSGeom, areaKm2: Double, perimeterKm: Double) {
        for feature in aoi.features {
            if case .point = feature.geometry {
                throw GeoValidationError(
                    .unsupportedType("Point (point samples need a group:<grid>)"), featureIndex: feature.index
                )
            }
        }
        let union = try geos.multiPolygon(aoi.polygons).unaryUnion()
        guard !union.isEmpty else { throw GeoValidationError(.emptyGeometry) }
        let dense = try union.densified(maxSegment: options.densifyDegrees)
        let measured = geodesic.measure(polygons: dense.polygonRings())
        return (union, measured.area / 1e6, measured.perimeter / 1000)
    }

    /// Refuses areas beyond UTM's latitudes.
    func requireUTMLatitudes(_ extent: (minX: Double, minY: Double, maxX: Double, maxY: Double)) throws {
        if extent.minY < UTMZone.minimumLatitude || extent.maxY > UTMZone.maximumLatitude {
            throw GeoValidationError(.outsideUTMRange(minLatitude: extent.minY, maxLatitude: extent.maxY))
        }
    }

    /// UTM zone numbers touched by each polygon's longitude range (not the union's, which spans
    /// the globe for areas split at the antimeridian).
    func zoneNumbers(of area: GEOSGeom) -> [Int] {
        var numbers = Set<Int>()
        for rings in area.polygonRings() {
            let box = BoundingBox(coordinates: [rings[0]], epsg: 4326)
            for number in UTMZone.number(longitude: box.west)...UTMZone.number(longitude: box.east) {
                numbers.insert(number)
            }
        }
        return numbers.sorted()
    }

    /// The part of `area` (lon/lat) inside a lon/lat rectangle, densified and projected to `epsg`,
    /// as a valid GEOS geometry; nil when the part has no area.
    func projectedPart(
        of area: GEOSGeom, west: Double, south: Double, east: Double, north: Double, projection: Projection
    ) throws -> (geometry: GEOSGeom, rings: [[[Double]]])? {
        let rectangle = try geos.rectangle(minX: west, minY: south, maxX: east, maxY: north)
        let part = try area.intersection(rectangle)
        if part.isEmpty || part.area == 0 { return nil }
        var polygons = try part.densified(maxSegment: options.densifyDegrees).polygonRings()
        for polygonIndex in polygons.indices {
            for ringIndex in polygons[polygonIndex].indices {
                try projection.forward(&polygons[polygonIndex][ringIndex])
            }
        }
        var projected = try geos.multiPolygon(polygons)
        if projected.invalidity() != nil { projected = try projected.makeValid() }
        return (projected, polygons)
    }

    // MARK: Building tiles

    /// Turns a projected piece into a ``Tile``: densifies its edges, unprojects to WGS84 and
    /// measures it geodesically. Returns nil (and counts a sliver) when below the minimum area.
    func makeTile(
        id: String, zone: String, polygons projected: [[[Double]]], projection: Projection,
        fullCell: Bool, cellSize: Double, referenceLongitude: Double?
    ) throws -> Tile? {
        let maxSegment = projection.isGeographic ? cellSize / 10 : options.outputMaxSegmentMetres
        var lonLat = projected.map { rings in rings.map { PlanarRing.densify($0, maxSegment: maxSegment) } }
        for polygonIndex in lonLat.indices {
            for ringIndex in lonLat[polygonIndex].indices {
                try projection.inverse(&lonLat[polygonIndex][ringIndex])
                PlanarRing.unwrapLongitudes(&lonLat[polygonIndex][ringIndex], around: referenceLongitude)
            }
        }
        let areaKm2 = geodesic.area(polygons: lonLat) / 1e6
        if areaKm2 < options.minimumAreaKm2 {
            droppedCount += 1
            droppedAreaKm2 += areaKm2
            return nil
        }
        return Tile(
            id: id, epsg: projection.targetEPSG, zone: zone, fullCell: fullCell, areaKm2: areaKm2,
            bboxWGS84: BoundingBox(coordinates: lonLat.map { $0[0] }, epsg: 4326),
            bboxNative: BoundingBox(coordinates: projected.map { $0[0] }, epsg: projection.targetEPSG),
            geometry: GeoJSONWriter.geometry(polygons: lonLat)
        )
    }

    /// Tiles for every cell of a planar grid over a projected part.
    func gridTiles(
        over part: GEOSGeom, grid: PlanarGrid, projection: Projection, zone: String,
        referenceLongitude: Double?, id: (Int, Int) -> String
    ) throws -> [Tile] {
        var tiles: [Tile] = []
        try grid.forEachCell(covering: part, geos: geos) { column, row, polygons, full in
            if let tile = try makeTile(
                id: id(column, row), zone: zone, polygons: polygons, projection: projection,
                fullCell: full, cellSize: min(grid.cellWidth, grid.cellHeight), referenceLongitude: referenceLongitude
            ) {
                tiles.append(tile)
            }
        }
        return tiles
    }
}
