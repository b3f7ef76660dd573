@preconcurrency import CGEOS

/// An owned GEOS geometry; freed with its context when the last reference goes.
final class GEOSGeom {
    let context: GEOSContext
    private(set) var pointer: OpaquePointer?

    init(context: GEOSContext, pointer: OpaquePointer) {
        self.context = context
        self.pointer = pointer
    }

    deinit {
        if let pointer { GEOSGeom_destroy_r(context.handle, pointer) }
    }

    /// Hands the pointer to GEOS (e.g. into a collection); this object no longer frees it.
    func release() -> OpaquePointer? {
        defer { pointer = nil }
        return pointer
    }

    private var handle: GEOSContextHandle_t { context.handle }

    // MARK: Predicates and measures

    var isEmpty: Bool { GEOSisEmpty_r(handle, pointer) == 1 }

    var typeID: Int32 { GEOSGeomTypeId_r(handle, pointer) }

    var area: Double {
        var value = 0.0
        GEOSArea_r(handle, pointer, &value)
        return value
    }

    /// The envelope as (minX, minY, maxX, maxY); nil when empty.
    var extent: (minX: Double, minY: Double, maxX: Double, maxY: Double)? {
        if isEmpty { return nil }
        var minX = 0.0, minY = 0.0, maxX = 0.0, maxY = 0.0
        guard GEOSGeom_getExtent_r(handle, pointer, &minX, &minY, &maxX, &maxY) == 1 else { return nil }
        return (minX, minY, maxX, maxY)
    }

    /// GEOS's validity reason and location, or nil when valid.
    func invalidity() -> (reason: String, x: Double, y: Double)? {
        var reason: UnsafeMutablePointer<CChar>?
        var location: OpaquePointer?
        let valid = GEOSisValidDetail_r(handle, pointer, 0, &reason, &location)
        defer {
            if let reason { GEOSFree_r(handle, reason) }
            if let location { GEOSGeom_destroy_r(handle, location) }
        }
        guard valid == 0 else { return nil }
        var x = Double.nan, y = Double.nan
        if let location {
            GEOSGeomGetX_r(handle, location, &x)
            GEOSGeomGetY_r(handle, location, &y)
        }
        return (reason.map { String(cString: $0) } ?? "invalid", x, y)
    }

    // MARK: Operations

    func intersection(_ other: GEOSGeom) throws -> GEOSGeom {
        try context.wrap(GEOSIntersection_r(handle, pointer, other.pointer), "intersection")
    }

    func unaryUnion() throws -> GEOSGeom {
        try context.wrap(GEOSUnaryUnion_r(handle, pointer), "union")
    }

    func makeValid() throws -> GEOSGeom {
        try context.wrap(GEOSMakeValid_r(handle, pointer), "make valid")
    }

    func densified(maxSegment: Double) throws -> GEOSGeom {
        try context.wrap(GEOSDensify_r(handle, pointer, maxSegment), "densify")
    }

    func convexHull() throws -> GEOSGeom {
        try context.wrap(GEOSConvexHull_r(handle, pointer), "convex hull")
    }

    func centroid() throws -> (x: Double, y: Double) {
        let point = try context.wrap(GEOSGetCentroid_r(handle, pointer), "centroid")
        var x = Double.nan, y = Double.nan
        GEOSGeomGetX_r(handle, point.pointer, &x)
        GEOSGeomGetY_r(handle, point.pointer, &y)
        return (x, y)
    }

    func prepared() throws -> GEOSPrepared {
        guard let prepared = GEOSPrepare_r(handle, pointer) else { throw context.error("prepare") }
        return GEOSPrepared(owner: self, pointer: prepared)
    }

    // MARK: Coordinates

    /// Polygons as rings of interleaved x, y (shell first); points and lines are skipped.
    func polygonRings() -> [[[Double]]] {
        var result: [[[Double]]] = []
        collectPolygons(pointer, into: &result)
        return result
    }

    private func collectPolygons(_ geometry: OpaquePointer?, into result: inout [[[Double]]]) {
        let type = GEOSGeomTypeId_r(handle, geometry)
        if type == Int32(GEOS_POLYGON.rawValue) {
            if GEOSisEmpty_r(handle, geometry) == 1 { return }
            var rings = [coordinates(of: GEOSGetExteriorRing_r(handle, geometry))]
            let holes = GEOSGetNumInteriorRings_r(handle, geometry)
            if holes > 0 {
                for index in 0..<holes { rings.append(coordinates(of: GEOSGetInteriorRingN_r(handle, geometry, index))) }
            }
            result.append(rings)
        } else if type == Int32(GEOS_MULTIPOLYGON.rawValue) || type == Int32(GEOS_GEOMETRYCOLLECTION.rawValue) {
            let count = GEOSGetNumGeometries_r(handle, geometry)
            for index in 0..<max(count, 0) { collectPolygons(GEOSGetGeometryN_r(handle, geometry, index), into: &result) }
        }
    }

    /// Interleaved x, y of a point, line string or linear ring.
    func coordinates() -> [Double] { coordinates(of: pointer) }

    private func coordinates(of geometry: OpaquePointer?) -> [Double] {
        guard let sequence = GEOSGeom_getCoordSeq_r(handle, geometry) else { return [] }
        var size: UInt32 = 0
        GEOSCoordSeq_getSize_r(handle, sequence, &size)
        var xy = [Double](repeating: 0, count: Int(size) * 2)
        xy.withUnsafeMutableBufferPointer { _ = GEOSCoordSeq_copyToBuffer_r(handle, sequence, $0.baseAddress, 0, 0) }
        return xy
    }
}
