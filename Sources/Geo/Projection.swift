@preconcurrency import CProj

/// A PROJ transformation between WGS84 longitude/latitude and a target CRS, with x = easting (or
/// longitude) order on both sides (`proj_normalize_for_visualization`).
final class Projection {
    unowned let context: ProjContext
    let targetEPSG: Int
    private let pj: OpaquePointer
    /// Whether the target CRS is geographic (its units are degrees).
    let isGeographic: Bool

    init(context: ProjContext, targetEPSG: Int) throws {
        self.context = context
        self.targetEPSG = targetEPSG
        if let utm = UTMZone(epsg: targetEPSG) {
            // The pipeline PROJ's database gives for WGS84 → WGS84 / UTM, written out: creating it
            // needs no database look-up (which costs more than tiling a small area).
            guard let pipeline = proj_create(context.pointer, utm.projPipeline) else {
                throw GeoLibraryError(library: "PROJ", message: context.lastError())
            }
            isGeographic = false
            pj = pipeline
            return
        }
        guard let target = proj_create(context.pointer, "EPSG:\(targetEPSG)") else {
            throw GeoValidationError(.unknownCRS("EPSG:\(targetEPSG)"))
        }
        let type = proj_get_type(target)
        proj_destroy(target)
        isGeographic = type == PJ_TYPE_GEOGRAPHIC_2D_CRS || type == PJ_TYPE_GEOGRAPHIC_3D_CRS
        guard let raw = proj_create_crs_to_crs(context.pointer, "EPSG:4326", "EPSG:\(targetEPSG)", nil) else {
            throw GeoValidationError(.unknownCRS("EPSG:\(targetEPSG) (\(context.lastError()))"))
        }
        defer { proj_destroy(raw) }
        guard let normalized = proj_normalize_for_visualization(context.pointer, raw) else {
            throw GeoLibraryError(library: "PROJ", message: context.lastError())
        }
        pj = normalized
    }

    deinit {
        proj_destroy(pj)
    }

    /// Transforms interleaved lon, lat to x, y in place; throws when a point cannot be projected.
    func forward(_ xy: inout [Double]) throws {
        try transform(&xy, direction: PJ_FWD)
    }

    /// Transforms interleaved x, y to lon, lat in place.
    func inverse(_ xy: inout [Double]) throws {
        try transform(&xy, direction: PJ_INV)
    }

    private func transform(_ xy: inout [Double], direction: PJ_DIRECTION) throws {
        let count = xy.count / 2
        guard count > 0 else { return }
        let stride = 2 * MemoryLayout<Double>.stride
        xy.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            _ = proj_trans_generic(pj, direction, base, stride, count, base + 1, stride, count, nil, 0, 0, nil, 0, 0)
        }
        for value in xy where !value.isFinite {
            throw GeoValidationError(.notProjectable(epsg: targetEPSG))
        }
    }
}
