import FleetModel
@preconcurrency import CGEOS

/// The `group:<grid>` mode: point or polygon samples grouped by the grid cell their centroid falls
/// in (openeo-gfmap does this with H3), each group split into chunks of at most `maxFeatures`.
///
/// Chunks follow a Hilbert curve through the cell, so each chunk is spatially compact (gfmap chunks
/// in file order). A group of n > max features becomes ⌈n / max⌉ chunks of near-equal size with ids
/// `<cell id>-p1`, `-p2`, …; a group that fits keeps the cell id.
enum SampleGrouping {
    /// Position along a Hilbert curve of order 16 for cell-relative coordinates in [0, 1).
    static func hilbertIndex(u: Double, v: Double) -> UInt64 {
        let side: UInt64 = 1 << 16
        var x = UInt64(min(max(u, 0), 0.999_999_999) * Double(side))
        var y = UInt64(min(max(v, 0), 0.999_999_999) * Double(side))
        var index: UInt64 = 0
        var scale = side / 2
        while scale > 0 {
            let rx: UInt64 = (x & scale) > 0 ? 1 : 0
            let ry: UInt64 = (y & scale) > 0 ? 1 : 0
            index += scale * scale * ((3 * rx) ^ ry)
            if ry == 0 {
                if rx == 1 {
                    x = side - 1 - x
                    y = side - 1 - y
                }
                swap(&x, &y)
            }
            scale /= 2
        }
        return index
    }

    /// Splits `count` members into ⌈count / max⌉ consecutive ranges of near-equal size.
    static func chunks(count: Int, maxFeatures: Int?) -> [Range<Int>] {
        guard let maxFeatures, count > maxFeatures else { return [0..<count] }
        let parts = (count + maxFeatures - 1) / maxFeatures
        return (0..<parts).map { part in (part * count / parts)..<((part + 1) * count / parts) }
    }

    struct Member {
        var featureIndex: Int
        /// Position in the cell's CRS.
        var x: Double
        var y: Double
    }

    /// A cell of the inner grid, as a cheap dictionary key (ids are spelled once per cell).
    struct CellKey: Hashable {
        var epsg: Int
        var column: Int
        var row: Int
        /// The MGRS latitude band (as its letter's code), 0 for other grids.
        var band: UInt8 = 0
    }

    struct Cell {
        var id: String
        var zone: String
        var projection: Projection
        var minX: Double
        var minY: Double
        var width: Double
        var height: Double
        var members: [Member] = []
    }
}

extension TilingRun {
    func groupTiles(_ aoi: AOI, grid: TileGrid, maxFeatures: Int?) throws -> [Tile] {
        var longitudes: [Double] = [], latitudes: [Double] = []
        longitudes.reserveCapacity(aoi.features.count)
        latitudes.reserveCapacity(aoi.features.count)
        for feature in aoi.features {
            switch feature.geometry {
            case .point(let longitude, let latitude):
                longitudes.append(longitude)
                latitudes.append(latitude)
            case .polygons(let polygons):
                let centroid = try geos.multiPolygon(polygons).centroid()
                longitudes.append(centroid.x)
                latitudes.append(centroid.y)
            }
        }
        var cells: [SampleGrouping.CellKey: SampleGrouping.Cell] = [:]
        switch grid {
        case .kilometres(let sizeKm):
            let planar = KilometreGrid.planarGrid(sizeKm: sizeKm)
            try assign(aoi, longitudes, latitudes, into: &cells, grid: planar, mgrsBands: false) { zone, key in
                (KilometreGrid.tileID(epsg: zone.epsg, column: key.column, row: key.row, sizeKm: sizeKm), zone.name)
            }
        case .mgrs:
            let planar = PlanarGrid(cellWidth: MGRSGrid.squareSize, cellHeight: MGRSGrid.squareSize)
            try assign(aoi, longitudes, latitudes, into: &cells, grid: planar, mgrsBands: true) { zone, key in
                let id = MGRSGrid.tileID(zone: zone.number, band: Character(Unicode.Scalar(key.band)), column: key.column, row: key.row)
                return (id, String(id.prefix(3)))
            }
        case .crs(let epsg, let width, let height):
            let projection = try proj.fromWGS84(to: epsg)
            var xy = [Double](repeating: 0, count: 2 * longitudes.count)
            for index in longitudes.indices {
                xy[2 * index] = longitudes[index]
                xy[2 * index + 1] = latitudes[index]
            }
            try projection.forward(&xy)
            let planar = PlanarGrid(cellWidth: width, cellHeight: height)
            for index in longitudes.indices {
                let x = xy[2 * index], y = xy[2 * index + 1]
                let key = SampleGrouping.CellKey(epsg: epsg, column: planar.column(x), row: planar.row(y))
                if cells[key] == nil {
                    let corner = planar.corner(column: key.column, row: key.row)
                    cells[key] = SampleGrouping.Cell(
                        id: CRSGrid.tileID(epsg: epsg, column: key.column, row: key.row), zone: "EPSG:\(epsg)",
                        projection: projection, minX: corner.x, minY: corner.y, width: width, height: height
                    )
                }
                cells[key]!.members.append(.init(featureIndex: index, x: x, y: y))
            }
        case .features, .group:
            throw GeoValidationError(.invalidGrid("group needs a cell grid (km:, crs:, mgrs)"))
        }
        var tiles: [Tile] = []
        for cell in cells.values.sorted(by: { $0.id < $1.id }) {
            tiles += try groupTiles(cell: cell, aoi: aoi, maxFeatures: maxFeatures)
        }
        return tiles
    }

    /// Assigns samples to UTM (or MGRS grid-zone) cells, projecting each zone's samples in one call.
    private func assign(
        _ aoi: AOI, _ longitudes: [Double], _ latitudes: [Double],
        into cells: inout [SampleGrouping.CellKey: SampleGrouping.Cell], grid planar: PlanarGrid, mgrsBands: Bool,
        name: (UTMZone, SampleGrouping.CellKey) -> (id: String, zone: String)
    ) throws {
        var byZone: [UTMZone: [Int]] = [:]
        for index in longitudes.indices {
            let latitude = latitudes[index]
            if latitude < UTMZone.minimumLatitude || latitude > UTMZone.maximumLatitude {
                throw GeoValidationError(
                    .outsideUTMRange(minLatitude: latitude, maxLatitude: latitude), featureIndex: aoi.features[index].index
                )
            }
            byZone[UTMZone.containing(longitude: longitudes[index], latitude: latitude), default: []].append(index)
        }
        for zone in byZone.keys.sorted() {
            let indices = byZone[zone]!
            let projection = try proj.fromWGS84(to: zone.epsg)
            var xy = [Double](repeating: 0, count: 2 * indices.count)
            for (slot, index) in indices.enumerated() {
                xy[2 * slot] = longitudes[index]
                xy[2 * slot + 1] = latitudes[index]
            }
            try projection.forward(&xy)
            for (slot, index) in indices.enumerated() {
                let x = xy[2 * slot], y = xy[2 * slot + 1]
                var key = SampleGrouping.CellKey(epsg: zone.epsg, column: planar.column(x), row: planar.row(y))
                if mgrsBands { key.band = MGRSGrid.band(latitude: latitudes[index]).asciiValue ?? 0 }
                if cells[key] == nil {
                    let (id, label) = name(zone, key)
                    let corner = planar.corner(column: key.column, row: key.row)
                    cells[key] = SampleGrouping.Cell(
                        id: id, zone: label, projection: projection,
                        minX: corner.x, minY: corner.y, width: planar.cellWidth, height: planar.cellHeight
                    )
                }
                cells[key]!.members.append(.init(featureIndex: index, x: x, y: y))
            }
        }
    }

    /// One tile per chunk of a cell's samples, in Hilbert order through the cell.
    private func groupTiles(cell: SampleGrouping.Cell, aoi: AOI, maxFeatures: Int?) throws -> [Tile] {
        var members = cell.members
        if let maxFeatures, members.count > maxFeatures {
            let keyed = members.map { member in
                (SampleGrouping.hilbertIndex(u: (member.x - cell.minX) / cell.width, v: (member.y - cell.minY) / cell.height), member)
            }
            members = keyed.sorted { ($0.0, $0.1.featureIndex) < ($1.0, $1.1.featureIndex) }.map(\.1)
        }
        let chunks = SampleGrouping.chunks(count: members.count, maxFeatures: maxFeatures)
        return try chunks.enumerated().map { part, range in
            let chunk = members[range]
            var geometries: [GEOSGeom] = []
            var lonLat: [Double] = []
            // Points keep the position they were binned with; polygons' vertices are projected.
            var native: [Double] = []
            var polygonVertices: [Double] = []
            var collection = JSONBytes(capacity: chunk.count * 120)
            collection.append("{\"type\":\"FeatureCollection\",\"features\":[")
            for (index, member) in chunk.enumerated() {
                let feature = aoi.features[member.featureIndex]
                if index > 0 { collection.append(byte: UInt8(ascii: ",")) }
                feature.write(to: &collection)
                switch feature.geometry {
                case .point(let longitude, let latitude):
                    geometries.append(try geos.point(x: longitude, y: latitude))
                    lonLat += [longitude, latitude]
                    native += [member.x, member.y]
                case .polygons(let polygons):
                    geometries.append(try geos.multiPolygon(polygons))
                    for rings in polygons {
                        lonLat += rings[0]
                        polygonVertices += rings[0]
                    }
                }
            }
            collection.append("]}")
            if !polygonVertices.isEmpty {
                try cell.projection.forward(&polygonVertices)
                native += polygonVertices
            }
            let hull = try geos.collection(geometries, type: Int32(GEOS_GEOMETRYCOLLECTION.rawValue)).convexHull()
            let hullPolygons = hull.polygonRings()
            return Tile(
                id: chunks.count == 1 ? cell.id : "\(cell.id)-p\(part + 1)",
                epsg: cell.projection.targetEPSG, zone: cell.zone, fullCell: false,
                areaKm2: geodesic.area(polygons: hullPolygons) / 1e6,
                bboxWGS84: BoundingBox(coordinates: [lonLat], epsg: 4326),
                bboxNative: BoundingBox(coordinates: [native], epsg: cell.projection.targetEPSG),
                geometry: GeoJSONWriter.geometry(hull: hull.coordinates(), polygons: hullPolygons),
                featureCollection: collection.string, featureCount: chunk.count
            )
        }
    }
}
