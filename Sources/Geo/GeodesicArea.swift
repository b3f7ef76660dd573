@preconcurrency import CProj

/// Ellipsoidal polygon areas on WGS84 with Karney's algorithm (`geod_polygonarea`, shipped in PROJ).
///
/// Edges are geodesics, so callers densify edges that are straight in another projection first.
struct GeodesicArea {
    private var geodesic = geod_geodesic()

    init() {
        geod_init(&geodesic, 6_378_137, 1 / 298.257223563)
    }

    /// Unsigned area in m² of one ring of interleaved lon, lat (closing point optional).
    func ringArea(_ lonLat: [Double]) -> Double {
        var count = lonLat.count / 2
        if count > 1, lonLat[0] == lonLat[2 * count - 2], lonLat[1] == lonLat[2 * count - 1] { count -= 1 }
        guard count >= 3 else { return 0 }
        var lats = [Double](repeating: 0, count: count)
        var lons = [Double](repeating: 0, count: count)
        for index in 0..<count {
            lons[index] = lonLat[2 * index]
            lats[index] = lonLat[2 * index + 1]
        }
        var area = 0.0, perimeter = 0.0
        var geodesic = self.geodesic
        geod_polygonarea(&geodesic, &lats, &lons, Int32(count), &area, &perimeter)
        return abs(area)
    }

    /// Area in m² of polygons given as rings (shell minus holes).
    func area(polygons: [[[Double]]]) -> Double {
        var total = 0.0
        for rings in polygons {
            for (index, ring) in rings.enumerated() {
                total += index == 0 ? ringArea(ring) : -ringArea(ring)
            }
        }
        return total
    }
}
