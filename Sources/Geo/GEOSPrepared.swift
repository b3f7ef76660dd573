@preconcurrency import CGEOS

/// A prepared geometry (indexed for repeated predicates against one geometry).
final class GEOSPrepared {
    private let owner: GEOSGeom
    private let pointer: OpaquePointer

    init(owner: GEOSGeom, pointer: OpaquePointer) {
        self.owner = owner
        self.pointer = pointer
    }

    deinit {
        GEOSPreparedGeom_destroy_r(owner.context.handle, pointer)
    }

    func containsProperly(_ other: GEOSGeom) -> Bool {
        GEOSPreparedContainsProperly_r(owner.context.handle, pointer, other.pointer) == 1
    }

    func intersects(_ other: GEOSGeom) -> Bool {
        GEOSPreparedIntersects_r(owner.context.handle, pointer, other.pointer) == 1
    }

    func covers(_ other: GEOSGeom) -> Bool {
        GEOSPreparedCovers_r(owner.context.handle, pointer, other.pointer) == 1
    }
}
