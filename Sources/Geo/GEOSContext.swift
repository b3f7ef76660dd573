@preconcurrency import CGEOS

/// One GEOS reentrant context (`GEOS_init_r`) with its geometry factory methods.
///
/// GEOS contexts are not thread-safe: create one per tiling run (or per thread) and never share it.
/// Geometries created here keep their context alive and free themselves.
final class GEOSContext {
    let handle: GEOSContextHandle_t
    private let messages = MessageBox()

    private final class MessageBox {
        var lastError: String?
    }

    init() {
        handle = GEOS_init_r()
        GEOSContext_setErrorMessageHandler_r(handle, { message, userData in
            guard let message, let userData else { return }
            Unmanaged<MessageBox>.fromOpaque(userData).takeUnretainedValue().lastError = String(cString: message)
        }, Unmanaged.passUnretained(messages).toOpaque())
    }

    deinit {
        GEOS_finish_r(handle)
    }

    func error(_ operation: String) -> GeoLibraryError {
        let detail = messages.lastError ?? "unknown error"
        messages.lastError = nil
        return GeoLibraryError(library: "GEOS", message: "\(operation): \(detail)")
    }

    func wrap(_ pointer: OpaquePointer?, _ operation: String) throws -> GEOSGeom {
        guard let pointer else { throw error(operation) }
        return GEOSGeom(context: self, pointer: pointer)
    }

    // MARK: Construction

    /// A linear ring from interleaved x, y coordinates (closed by the caller).
    private func ringPointer(_ xy: [Double]) throws -> OpaquePointer {
        let count = UInt32(xy.count / 2)
        let sequence = xy.withUnsafeBufferPointer {
            GEOSCoordSeq_copyFromBuffer_r(handle, $0.baseAddress, count, 0, 0)
        }
        guard let sequence, let ring = GEOSGeom_createLinearRing_r(handle, sequence) else {
            throw error("create ring")
        }
        return ring
    }

    /// A polygon from rings of interleaved x, y coordinates; the first ring is the shell.
    func polygon(_ rings: [[Double]]) throws -> GEOSGeom {
        try wrap(polygonPointer(rings), "create polygon")
    }

    private func polygonPointer(_ rings: [[Double]]) throws -> OpaquePointer? {
        guard let shellXY = rings.first else { return GEOSGeom_createEmptyPolygon_r(handle) }
        let shell = try ringPointer(shellXY)
        var holes: [OpaquePointer?] = []
        for ring in rings.dropFirst() { holes.append(try ringPointer(ring)) }
        return holes.withUnsafeMutableBufferPointer {
            GEOSGeom_createPolygon_r(handle, shell, $0.baseAddress, UInt32($0.count))
        }
    }

    /// A MultiPolygon from polygons given as rings of interleaved x, y coordinates.
    func multiPolygon(_ polygons: [[[Double]]]) throws -> GEOSGeom {
        var parts: [OpaquePointer?] = []
        for rings in polygons { parts.append(try polygonPointer(rings)) }
        let pointer = parts.withUnsafeMutableBufferPointer {
            GEOSGeom_createCollection_r(handle, Int32(GEOS_MULTIPOLYGON.rawValue), $0.baseAddress, UInt32($0.count))
        }
        return try wrap(pointer, "create multipolygon")
    }

    /// Takes ownership of the given geometries and returns them as one collection of `type`.
    func collection(_ geometries: [GEOSGeom], type: Int32) throws -> GEOSGeom {
        var pointers: [OpaquePointer?] = geometries.map { $0.release() }
        let pointer = pointers.withUnsafeMutableBufferPointer {
            GEOSGeom_createCollection_r(handle, type, $0.baseAddress, UInt32($0.count))
        }
        return try wrap(pointer, "create collection")
    }

    func point(x: Double, y: Double) throws -> GEOSGeom {
        try wrap(GEOSGeom_createPointFromXY_r(handle, x, y), "create point")
    }

    func rectangle(minX: Double, minY: Double, maxX: Double, maxY: Double) throws -> GEOSGeom {
        try wrap(GEOSGeom_createRectangle_r(handle, minX, minY, maxX, maxY), "create rectangle")
    }

    /// Parses WKT; returns nil with GEOS's message when the text is not WKT.
    func readWKT(_ text: String) -> Result<GEOSGeom, GeoLibraryError> {
        guard let reader = GEOSWKTReader_create_r(handle) else { return .failure(error("WKT reader")) }
        defer { GEOSWKTReader_destroy_r(handle, reader) }
        guard let pointer = GEOSWKTReader_read_r(handle, reader, text) else { return .failure(error("WKT")) }
        return .success(GEOSGeom(context: self, pointer: pointer))
    }
}
