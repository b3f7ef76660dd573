@preconcurrency import CProj

/// Ellipsoidal polygon areas on WGS84 with Karney's algorithm (`geod_polygon_*`, shipped in PROJ).
///
/// Edges are geodesics, so callers densify edges that are straight in another projection first.
/// A ring means the region on its left once it runs counter-clockwise as drawn on a lon/lat map,
/// so an area larger than half the Earth reports its own size, not its complement's.
struct GeodesicArea {
    private var geodesic = geod_geodesic()
    /// WGS84's surface, m² (what Karney's signed areas wrap around).
    static let earthArea = 510_065_621_724_088.5

    init() {
        geod_init(&geodesic, 6_378_137, 1 / 298.257223563)
    }

    /// Unsigned area in m² of one ring of interleaved lon, lat (closing point optional).
    func ringArea(_ lonLat: [Double]) -> Double {
        ring(lonLat).area
    }

    /// Unsigned area (m²) and perimeter (m) of one ring.
    private func ring(_ lonLat: [Double]) -> (area: Double, perimeter: Double) {
        var count = lonLat.count / 2
        if count > 1, lonLat[0] == lonLat[2 * count - 2], lonLat[1] == lonLat[2 * count - 1] { count -= 1 }
        guard count >= 3 else { return (0, 0) }
        let planar = Self.planarSignedArea(lonLat, count: count)
        var polygon = geod_polygon()
        geod_polygon_init(&polygon, 0)
        var geodesic = self.geodesic
        for step in 0..<count {
            let index = planar < 0 ? count - 1 - step : step
            geod_polygon_addpoint(&geodesic, &polygon, lonLat[2 * index + 1], lonLat[2 * index])
        }
        var area = 0.0, perimeter = 0.0
        // Signed, counter-clockwise positive, within ±half the Earth: a counter-clockwise ring
        // that comes out negative encloses more than half the Earth, unless it is a sliver whose
        // orientation is lost in rounding (its lon/lat area is tiny: half the Earth needs at
        // least 20,000 square degrees).
        geod_polygon_compute(&geodesic, &polygon, 0, 1, &area, &perimeter)
        if area < 0, abs(planar) / 2 > 10_000 { return (area + Self.earthArea, perimeter) }
        return (abs(area), perimeter)
    }

    /// Twice the shoelace area of the ring on the lon/lat plane: its sign is its orientation.
    static func planarSignedArea(_ xy: [Double], count: Int) -> Double {
        var sum = 0.0
        for index in 0..<count {
            let next = (index + 1) % count
            sum += xy[2 * index] * xy[2 * next + 1] - xy[2 * next] * xy[2 * index + 1]
        }
        return sum
    }

    /// Area in m² of polygons given as rings (shell minus holes).
    func area(polygons: [[[Double]]]) -> Double {
        measure(polygons: polygons).area
    }

    /// Area (m², shells minus holes) and length of every ring (m) of polygons.
    func measure(polygons: [[[Double]]]) -> (area: Double, perimeter: Double) {
        var total = 0.0, length = 0.0
        for rings in polygons {
            for (index, lonLat) in rings.enumerated() {
                let measured = ring(lonLat)
                total += index == 0 ? measured.area : -measured.area
                length += measured.perimeter
            }
        }
        return (total, length)
    }
}
