@preconcurrency import CProj

/// One PROJ context (`proj_context_create`): owns the database handle and error state.
///
/// PROJ contexts are not thread-safe: one per tiling run (or per thread), never shared.
final class ProjContext {
    let pointer: OpaquePointer
    private var cache: [Int: Projection] = [:]

    init() throws {
        guard let context = proj_context_create() else {
            throw GeoLibraryError(library: "PROJ", message: "cannot create a context")
        }
        pointer = context
        proj_log_level(context, PJ_LOG_NONE)
    }

    deinit {
        cache.removeAll()
        proj_context_destroy(pointer)
    }

    /// The transformation from WGS84 (lon, lat) to `epsg`, created once per context and CRS.
    func fromWGS84(to epsg: Int) throws -> Projection {
        if let cached = cache[epsg] { return cached }
        let projection = try Projection(context: self, targetEPSG: epsg)
        cache[epsg] = projection
        return projection
    }

    func lastError() -> String {
        let code = proj_context_errno(pointer)
        guard code != 0, let text = proj_context_errno_string(pointer, code) else { return "unknown error" }
        return String(cString: text)
    }
}
